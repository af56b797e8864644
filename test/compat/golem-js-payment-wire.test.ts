// golem-js 3.x's own payment code, unchanged, against the Payment API routes
// (in front of a PaymentApi held in memory): its allocation calls, its demand
// decoration, its event reader and its accept and reject bodies, each as it
// sends them and reads the answers.
import assert from 'node:assert/strict'
import {
  DebitNote as GolemDebitNote,
  EventReader,
  Invoice as GolemInvoice,
  MarketApiAdapter,
  PaymentApiAdapter,
  YagnaApi,
  nullLogger
} from '@golem-sdk/golem-js'
import type { FastifyInstance } from 'fastify'
import { paymentRoutes } from '../../daemon/api/payment-routes.ts'
import { createApiServer } from '../../daemon/index.ts'
import type { DebitNote, Invoice } from '../../payment/index.ts'
import { recordFetch } from '../helpers/http-recorder.ts'
import type { HttpRecorder } from '../helpers/http-recorder.ts'
import { MEMORY_ADDRESS, MEMORY_PLATFORM, MemoryPaymentApi } from '../helpers/memory-payment-api.ts'

const KEY = 'golem-js-payment-wire-key'
const PROVIDER = '0x00000000000000000000000000000000000000bb'
const TOKEN = 10n ** 18n

const common = {
  role: 'Requestor' as const,
  issuerId: PROVIDER,
  recipientId: MEMORY_ADDRESS,
  payeeAddr: PROVIDER,
  payerAddr: MEMORY_ADDRESS,
  paymentPlatform: MEMORY_PLATFORM,
  agreementId: 'agreement1',
  timestamp: Date.UTC(2026, 0, 1),
  status: 'RECEIVED' as const
}
const NOTE: DebitNote = { ...common, debitNoteId: 'dn1', activityId: 'activity1', totalAmountDue: 15n * 10n ** 17n, usageCounterVector: [3, 0.5] }
const INVOICE: Invoice = { ...common, invoiceId: 'in1', activityIds: ['activity1'], amount: 2n * TOKEN, paymentDueDate: Date.UTC(2026, 0, 2) }

describe("golem-js's payment calls against the Payment API", function () {
  this.timeout(60_000)
  let api: MemoryPaymentApi
  let server: FastifyInstance
  let url: string
  let recorder: HttpRecorder
  let yagna: YagnaApi

  beforeEach(async () => {
    api = new MemoryPaymentApi()
    server = await createApiServer({
      appKeys: { verify: key => (key === KEY ? { name: 'golem-js', id: '0000000000000001', createdAt: new Date(0).toISOString() } : null) },
      identity: { nodeId: MEMORY_ADDRESS },
      routes: paymentRoutes(api)
    })
    url = await server.listen({ host: '127.0.0.1', port: 0 })
    recorder = recordFetch(url)
    yagna = new YagnaApi({ apiKey: KEY, basePath: url, logger: nullLogger() })
  })

  afterEach(async () => {
    recorder.restore()
    await server.close()
  })

  /** The adapter golem-js builds, its repositories reading documents with the Payment API only (golem-js's also read the agreement). */
  function adapter(): PaymentApiAdapter {
    const provider = (model: { issuerId: string; payeeAddr: string }) => ({ id: model.issuerId, walletAddress: model.payeeAddr, name: 'provider' })
    const invoices = {
      getById: async (id: string) => {
        const model = await yagna.payment.getInvoice(id)
        return new GolemInvoice(model, provider(model))
      }
    }
    const debitNotes = {
      getById: async (id: string) => {
        const model = await yagna.payment.getDebitNote(id)
        return new GolemDebitNote(model, provider(model))
      }
    }
    return new PaymentApiAdapter(yagna, invoices as never, debitNotes as never, nullLogger())
  }

  it('creates, reads and releases an allocation as glm.oneOf does', async () => {
    const payment = adapter()
    const allocation = await payment.createAllocation({ budget: 2.5, expirationSec: 3600, paymentPlatform: 'erc20-holesky-tglm' })
    assert.equal(allocation.address, MEMORY_ADDRESS)
    assert.equal(allocation.paymentPlatform, MEMORY_PLATFORM)
    assert.equal(allocation.totalAmount, '2.5')
    assert.equal(allocation.remainingAmount, '2.5')
    assert.equal(api.allocationsById.get(allocation.id)?.totalAmount, 25n * 10n ** 17n)
    assert.equal((await payment.getAllocation(allocation.id)).id, allocation.id)
    await payment.releaseAllocation(allocation)
    assert.equal(api.allocationsById.get(allocation.id)?.released, true)
    assert.deepEqual(recorder.failures(), [])
  })

  it('decorates its demand with the allocation: properties merged, constraints as golem-js re-parses them', async () => {
    const allocation = await adapter().createAllocation({ budget: 1, expirationSec: 600, paymentPlatform: MEMORY_PLATFORM })
    const market = new MarketApiAdapter(yagna, null as never, null as never, null as never, nullLogger())
    const decoration = await market.getPaymentRelatedDemandDecorations(allocation.id)
    // What MarketApiAdapter makes of a demand's prototype (private in its typings).
    const build = (market as unknown as { buildDemandRequestBody: (d: typeof decoration) => { properties: Record<string, string>; constraints: string } })
      .buildDemandRequestBody
    const body = build.call(market, decoration)
    assert.equal(body.properties[`golem.com.payment.platform.${MEMORY_PLATFORM}.address`], MEMORY_ADDRESS)
    assert.equal(body.constraints, `(golem.com.payment.platform.${MEMORY_PLATFORM}.address=*)`)
    assert.deepEqual(recorder.failures(), [])
  })

  it("receives documents through golem-js's event reader, and accepts and rejects them with its bodies", async () => {
    api.debitNotesById.set(NOTE.debitNoteId, NOTE)
    api.invoicesById.set(INVOICE.invoiceId, INVOICE)
    const payment = adapter()
    const allocation = await payment.createAllocation({ budget: 10, expirationSec: 600, paymentPlatform: MEMORY_PLATFORM })
    // As YagnaApi.startPollingEvents polls: timeout 5 s, at most 100, the app session, after the last event's date.
    const reader = new EventReader(nullLogger()).createReader('DebitNoteEvents', after => yagna.payment.getDebitNoteEvents(5, after, 100, yagna.appSessionId))
    const events = reader.pollValues()
    const next = events.next()
    api.addDebitNoteEvent({ eventType: 'DebitNoteReceivedEvent', debitNoteId: 'other', appSessionId: 'another-session' })
    api.addDebitNoteEvent({ eventType: 'DebitNoteReceivedEvent', debitNoteId: NOTE.debitNoteId, appSessionId: yagna.appSessionId })
    const received = (await next).value as { eventType: string; debitNoteId: string; eventDate: string }
    assert.equal(received.eventType, 'DebitNoteReceivedEvent')
    assert.equal(received.debitNoteId, NOTE.debitNoteId)
    // As golem-js's pollToSubject does: cancel, and read on until the reader ends.
    const cancelled = reader.cancel()
    while ((await events.next()).done !== true);
    await cancelled

    const note = await payment.getDebitNote(NOTE.debitNoteId)
    assert.equal(note.totalAmountDue, '1.5')
    assert.deepEqual(note.usageCounterVector, [3, 0.5])
    await payment.acceptDebitNote(note, allocation, note.totalAmountDue)
    assert.equal(api.debitNotesById.get(NOTE.debitNoteId)?.status, 'ACCEPTED')
    const invoice = await payment.getInvoice(INVOICE.invoiceId)
    assert.equal(invoice.amount, '2')
    await payment.rejectInvoice(invoice, 'rejected by the invoice filter')
    const rejected = api.invoicesById.get(INVOICE.invoiceId)
    assert.equal(rejected?.status, 'REJECTED')
    assert.deepEqual(rejected?.rejection, { rejectionReason: 'BAD_SERVICE', totalAmountAccepted: 0n, message: 'rejected by the invoice filter' })
    assert.equal(api.allocationsById.get(allocation.id)?.spentAmount, 15n * 10n ** 17n)
    assert.deepEqual(recorder.failures(), [])
  })
})
