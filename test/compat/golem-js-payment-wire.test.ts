// golem-js 3.x's own payment code, unchanged, against the Payment API of a
// real requester daemon (its payment module on a dev chain, a provider daemon
// issuing the documents): its allocation calls, its demand decoration, its
// event reader and its accept and reject bodies, each as it sends them and
// reads the answers.
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
import { recordFetch } from '../helpers/http-recorder.ts'
import type { HttpRecorder } from '../helpers/http-recorder.ts'
import { PAIR_ALIAS, PAIR_PLATFORM, paymentPairFixture } from '../helpers/payment-pair.ts'

const P = '/payment-api/v1'

describe("golem-js's payment calls against a daemon's Payment API", function () {
  this.timeout(180_000)
  const pair = paymentPairFixture()
  let recorder: HttpRecorder
  let yagna: YagnaApi

  beforeEach(() => {
    recorder = recordFetch(pair.requester.client.url)
    yagna = new YagnaApi({ apiKey: pair.requester.client.key, basePath: pair.requester.client.url, logger: nullLogger() })
  })

  afterEach(() => {
    recorder.restore()
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
    const allocation = await payment.createAllocation({ budget: 2.5, expirationSec: 3600, paymentPlatform: PAIR_ALIAS })
    const address = pair.requester.nodeId.toLowerCase()
    assert.equal(allocation.address, address)
    assert.equal(allocation.paymentPlatform, PAIR_PLATFORM)
    assert.equal(allocation.totalAmount, '2.5')
    assert.equal(allocation.remainingAmount, '2.5')
    const path = `${P}/allocations/${allocation.id}`
    assert.equal((await pair.requester.client.expect(200, 'GET', path)).totalAmount, '2.5')
    assert.equal((await payment.getAllocation(allocation.id)).id, allocation.id)
    await payment.releaseAllocation(allocation)
    assert.deepEqual(recorder.failures(), [])
    assert.equal((await pair.requester.client.call('GET', path)).status, 410, 'released')
  })

  it('decorates its demand with the allocation: properties merged, constraints as golem-js re-parses them', async () => {
    const allocation = await adapter().createAllocation({ budget: 1, expirationSec: 600, paymentPlatform: PAIR_PLATFORM })
    const market = new MarketApiAdapter(yagna, null as never, null as never, null as never, nullLogger())
    const decoration = await market.getPaymentRelatedDemandDecorations(allocation.id)
    // What MarketApiAdapter makes of a demand's prototype (private in its typings).
    const build = (market as unknown as { buildDemandRequestBody: (d: typeof decoration) => { properties: Record<string, string>; constraints: string } })
      .buildDemandRequestBody
    const body = build.call(market, decoration)
    assert.equal(body.properties[`golem.com.payment.platform.${PAIR_PLATFORM}.address`], pair.requester.nodeId.toLowerCase())
    assert.equal(body.constraints, `(golem.com.payment.platform.${PAIR_PLATFORM}.address=*)`)
    await adapter().releaseAllocation(allocation)
    assert.deepEqual(recorder.failures(), [])
  })

  it("receives documents through golem-js's event reader, and accepts and rejects them with its bodies", async () => {
    const payment = adapter()
    const allocation = await payment.createAllocation({ budget: 10, expirationSec: 600, paymentPlatform: PAIR_ALIAS })
    // As YagnaApi.startPollingEvents polls: timeout 5 s, at most 100, the app session, after the last event's date.
    const reader = new EventReader(nullLogger()).createReader('DebitNoteEvents', after => yagna.payment.getDebitNoteEvents(5, after, 100, yagna.appSessionId))
    const events = reader.pollValues()
    const next = events.next()
    // Its agreement is confirmed in golem-js's app session: the session's first event is its first debit note.
    const { agreementId, activityId } = await pair.agreementWithActivity(yagna.appSessionId)
    const received = (await next).value as { eventType: string; debitNoteId: string; eventDate: string }
    assert.equal(received.eventType, 'DebitNoteReceivedEvent')
    // As golem-js's pollToSubject does: cancel, and read on until the reader ends.
    const cancelled = reader.cancel()
    while ((await events.next()).done !== true);
    await cancelled

    const note = await payment.getDebitNote(received.debitNoteId)
    assert.equal(note.agreementId, agreementId)
    assert.equal(note.activityId, activityId)
    const wire = await pair.requester.client.expect(200, 'GET', `${P}/debitNotes/${received.debitNoteId}`)
    assert.equal(note.totalAmountDue, wire.totalAmountDue)
    assert.deepEqual(note.usageCounterVector, wire.usageCounterVector)
    await payment.acceptDebitNote(note, allocation, note.totalAmountDue)
    assert.equal((await pair.requester.client.expect(200, 'GET', `${P}/debitNotes/${note.id}`)).status, 'ACCEPTED')
    assert.equal((await pair.requester.client.expect(200, 'GET', `${P}/allocations/${allocation.id}`)).spentAmount, note.totalAmountDue)

    await pair.requester.client.expect(204, 'POST', `/market-api/v1/agreements/${agreementId}/terminate`, { message: 'done' })
    const invoiceEvent = await nextInvoiceEvent(yagna)
    const invoice = await payment.getInvoice(invoiceEvent.invoiceId)
    assert.equal(invoice.agreementId, agreementId)
    await payment.rejectInvoice(invoice, 'rejected by the invoice filter')
    assert.equal((await pair.requester.client.expect(200, 'GET', `${P}/invoices/${invoice.id}`)).status, 'REJECTED')
    const rejected = await nextProviderInvoiceEvent(pair.provider.client, e => e.eventType === 'InvoiceRejectedEvent' && e.invoiceId === invoice.id)
    assert.deepEqual(rejected.rejection, { rejectionReason: 'BAD_SERVICE', totalAmountAccepted: '0', message: 'rejected by the invoice filter' })
    assert.deepEqual(recorder.failures(), [])
  })
})

/** The first invoice event in golem-js's app session, polled as golem-js polls. */
async function nextInvoiceEvent(yagna: YagnaApi): Promise<{ eventType: string; invoiceId: string }> {
  for (let round = 0; round < 60; round++) {
    const events = (await yagna.payment.getInvoiceEvents(5, undefined, 100, yagna.appSessionId)) as Array<{ eventType: string; invoiceId: string }>
    const found = events.find(e => e.eventType === 'InvoiceReceivedEvent')
    if (found !== undefined) return found
  }
  throw new Error('no invoice in the app session')
}

async function nextProviderInvoiceEvent(
  client: { expect: <T>(status: number, method: string, path: string) => Promise<T> },
  test: (e: any) => boolean
): Promise<any> {
  let after: string | undefined
  for (let round = 0; round < 60; round++) {
    const since = after === undefined ? '' : `&afterTimestamp=${encodeURIComponent(after)}`
    const events = await client.expect<any[]>(200, 'GET', `${P}/invoiceEvents?timeout=5&maxEvents=100${since}`)
    const found = events.find(test)
    if (found !== undefined) return found
    if (events.length > 0) after = events.at(-1).eventDate
  }
  throw new Error('no such invoice event on the provider')
}
