// The Payment API v1 routes and Agora's payment extras over HTTP, on the API
// server the daemon runs, in front of a PaymentApi held in memory: every
// operation's answer, its refusals (which never reach the payment module, or
// change nothing there), and the long polls' ends (an event, the timeout, the
// client gone, the server closing).
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import { createApiServer } from '../../daemon/index.ts'
import { paymentRoutes } from '../../daemon/api/payment-routes.ts'
import type { DebitNote, Invoice } from '../../payment/index.ts'
import { MarketClient } from '../helpers/market-client.ts'
import { MEMORY_ADDRESS, MEMORY_PLATFORM, MemoryPaymentApi } from '../helpers/memory-payment-api.ts'
import { waitFor } from '../helpers/wait.ts'

const KEY = 'payment-routes-test-key-01'
const P = '/payment-api/v1'
const X = '/agora-api/v1/payment'
const PROVIDER = '0x00000000000000000000000000000000000000bb'
const TOKEN = 10n ** 18n

function debitNote(id: string, fields: Partial<DebitNote> = {}): DebitNote {
  return {
    role: 'Requestor',
    debitNoteId: id,
    issuerId: PROVIDER,
    recipientId: MEMORY_ADDRESS,
    payeeAddr: PROVIDER,
    payerAddr: MEMORY_ADDRESS,
    paymentPlatform: MEMORY_PLATFORM,
    agreementId: 'agreement1',
    activityId: 'activity1',
    timestamp: Date.UTC(2026, 0, 1),
    status: 'RECEIVED',
    totalAmountDue: 2n * TOKEN,
    usageCounterVector: [10, 2.5],
    ...fields
  }
}

function invoice(id: string, fields: Partial<Invoice> = {}): Invoice {
  return {
    role: 'Requestor',
    invoiceId: id,
    issuerId: PROVIDER,
    recipientId: MEMORY_ADDRESS,
    payeeAddr: PROVIDER,
    payerAddr: MEMORY_ADDRESS,
    paymentPlatform: MEMORY_PLATFORM,
    agreementId: 'agreement1',
    activityIds: ['activity1'],
    timestamp: Date.UTC(2026, 0, 1, 1),
    paymentDueDate: Date.UTC(2026, 0, 2),
    status: 'RECEIVED',
    amount: 3n * TOKEN,
    ...fields
  }
}

/** golem-js 3.6.0's PaymentApiAdapter.createAllocation body, as it sends it. */
function golemJsAllocationBody(totalAmount: string): Record<string, unknown> {
  const now = new Date()
  return {
    totalAmount,
    paymentPlatform: 'erc20-holesky-tglm',
    address: MEMORY_ADDRESS,
    timestamp: now.toISOString(),
    timeout: new Date(+now + 3600_000).toISOString(),
    makeDeposit: false,
    remainingAmount: '',
    spentAmount: '',
    allocationId: ''
  }
}

describe('the Payment API routes', function () {
  this.timeout(60_000)
  let api: MemoryPaymentApi
  let server: FastifyInstance
  let client: MarketClient

  beforeEach(async () => {
    api = new MemoryPaymentApi()
    server = await createApiServer({
      appKeys: { verify: key => (key === KEY ? { name: 'payment', id: '0000000000000001', createdAt: new Date(0).toISOString() } : null) },
      identity: { nodeId: MEMORY_ADDRESS },
      routes: paymentRoutes(api)
    })
    client = new MarketClient(await server.listen({ host: '127.0.0.1', port: 0 }), KEY)
  })

  afterEach(async () => {
    await server.close()
  })

  describe('allocations', () => {
    it("creates one from golem-js's body and answers every field golem-js reads", async () => {
      const created = await client.expect(201, 'POST', `${P}/allocations`, golemJsAllocationBody('1.5'))
      assert.equal(created.address, MEMORY_ADDRESS)
      assert.equal(created.paymentPlatform, MEMORY_PLATFORM)
      assert.equal(created.totalAmount, '1.5')
      assert.equal(created.spentAmount, '0')
      assert.equal(created.remainingAmount, '1.5')
      assert.match(created.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
      assert.match(created.timeout, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
      assert.equal(created.makeDeposit, false)
      assert.notEqual(created.allocationId, '')
      assert.deepEqual(await client.expect(200, 'GET', `${P}/allocations/${created.allocationId}`), created)
      assert.deepEqual(await client.expect(200, 'GET', `${P}/allocations`), [created])
    })

    it('amends and releases one; a released one is gone, an unknown one not found', async () => {
      const created = await client.expect(201, 'POST', `${P}/allocations`, { totalAmount: '2' })
      const path = `${P}/allocations/${created.allocationId}`
      const amended = await client.expect(200, 'PUT', path, { totalAmount: '3.25', timeout: '2030-01-01T00:00:00Z' })
      assert.equal(amended.totalAmount, '3.25')
      assert.equal(amended.remainingAmount, '3.25')
      assert.equal(amended.timeout, '2030-01-01T00:00:00.000Z')
      const released = await client.call('DELETE', path)
      assert.equal(released.status, 200)
      assert.equal(released.body, undefined)
      assert.equal((await client.call('GET', path)).status, 410)
      assert.equal((await client.call('DELETE', path)).status, 410)
      const unknown = await client.call('GET', `${P}/allocations/nosuch`)
      assert.equal(unknown.status, 404)
      assert.match(unknown.body.message, /no allocation nosuch/)
    })

    it('refuses bad amounts with 400 naming the field, before the payment module sees them', async () => {
      const cases: [unknown, RegExp][] = [
        ['0.0000000000000000001', /totalAmount has 19 decimals/],
        ['-1', /totalAmount must be a non-negative decimal/],
        ['12abc', /totalAmount must be a non-negative decimal/],
        [12, /body\/totalAmount must be string/]
      ]
      for (const [totalAmount, message] of cases) {
        const refused = await client.call('POST', `${P}/allocations`, { ...golemJsAllocationBody('1'), totalAmount })
        assert.equal(refused.status, 400, JSON.stringify(totalAmount))
        assert.match(refused.body.message, message)
      }
      const amend = await client.call('PUT', `${P}/allocations/alloc1`, { totalAmount: '1.0000000000000000001' })
      assert.equal(amend.status, 400)
      assert.match(amend.body.message, /totalAmount has 19 decimals/)
      const deposit = await client.call('POST', `${P}/allocations`, { totalAmount: '1', deposit: { id: '0x01', contract: '0x02' } })
      assert.equal(deposit.status, 400)
      const badTimeout = await client.call('POST', `${P}/allocations`, { totalAmount: '1', timeout: 'tomorrow' })
      assert.equal(badTimeout.status, 400)
      assert.deepEqual(api.calls, [])
    })

    it('answers 404 to an unknown platform and 409 to a budget the funds do not cover, creating nothing', async () => {
      const unknown = await client.call('POST', `${P}/allocations`, { totalAmount: '1', paymentPlatform: 'erc20-nosuch-tglm' })
      assert.equal(unknown.status, 404)
      assert.deepEqual(Object.keys(unknown.body), ['message'])
      assert.match(unknown.body.message, /erc20-nosuch-tglm/)
      const byObject = await client.call('POST', `${P}/allocations`, { totalAmount: '1', paymentPlatform: { network: 'nosuch', token: 'tglm' } })
      assert.equal(byObject.status, 404)
      const tooMuch = await client.call('POST', `${P}/allocations`, { totalAmount: '1000' })
      assert.equal(tooMuch.status, 409)
      assert.deepEqual(await client.expect(200, 'GET', `${P}/allocations`), [])
    })

    it('gives demand decorations for allocation ids repeated or comma-separated; 404 for an unknown one, 400 for none', async () => {
      const a = await client.expect(201, 'POST', `${P}/allocations`, { totalAmount: '1' })
      const b = await client.expect(201, 'POST', `${P}/allocations`, { totalAmount: '1' })
      const property = `golem.com.payment.platform.${MEMORY_PLATFORM}.address`
      const expected = {
        properties: [
          { key: property, value: MEMORY_ADDRESS },
          { key: 'golem.com.payment.chosen-platform', value: MEMORY_PLATFORM }
        ],
        constraints: [`(${property}=*)`]
      }
      assert.deepEqual(await client.expect(200, 'GET', `${P}/demandDecorations?allocationIds=${a.allocationId}`), expected)
      assert.deepEqual(await client.expect(200, 'GET', `${P}/demandDecorations?allocationIds=${a.allocationId}&allocationIds=${b.allocationId}`), expected)
      assert.deepEqual(await client.expect(200, 'GET', `${P}/demandDecorations?allocationIds=${a.allocationId},${b.allocationId}`), expected)
      assert.equal((await client.call('GET', `${P}/demandDecorations?allocationIds=nosuch`)).status, 404)
      assert.equal((await client.call('GET', `${P}/demandDecorations`)).status, 400)
    })
  })

  describe('debit notes and invoices', () => {
    it('answers a debit note and an invoice with every spec field, and lists them after a time', async () => {
      api.debitNotesById.set('dn1', debitNote('dn1', { paymentDueDate: Date.UTC(2026, 0, 1, 0, 5), previousDebitNoteId: 'dn0' }))
      api.invoicesById.set('in1', invoice('in1'))
      const note = await client.expect(200, 'GET', `${P}/debitNotes/dn1`)
      assert.deepEqual(note, {
        debitNoteId: 'dn1',
        issuerId: PROVIDER,
        recipientId: MEMORY_ADDRESS,
        payeeAddr: PROVIDER,
        payerAddr: MEMORY_ADDRESS,
        paymentPlatform: MEMORY_PLATFORM,
        previousDebitNoteId: 'dn0',
        timestamp: '2026-01-01T00:00:00.000Z',
        agreementId: 'agreement1',
        activityId: 'activity1',
        totalAmountDue: '2',
        usageCounterVector: [10, 2.5],
        paymentDueDate: '2026-01-01T00:05:00.000Z',
        status: 'RECEIVED'
      })
      const bill = await client.expect(200, 'GET', `${P}/invoices/in1`)
      assert.equal(bill.amount, '3')
      assert.deepEqual(bill.activityIds, ['activity1'])
      assert.equal(bill.paymentDueDate, '2026-01-02T00:00:00.000Z')
      assert.deepEqual(await client.expect(200, 'GET', `${P}/debitNotes`), [note])
      assert.deepEqual(await client.expect(200, 'GET', `${P}/debitNotes?afterTimestamp=2026-01-01T00:00:00.000Z`), [])
      assert.deepEqual(await client.expect(200, 'GET', `${P}/invoices?afterTimestamp=2025-12-31T23:59:59.999Z&maxItems=1`), [bill])
      assert.equal((await client.call('GET', `${P}/debitNotes/nosuch`)).status, 404)
      assert.equal((await client.call('GET', `${P}/invoices/nosuch`)).status, 404)
      assert.equal((await client.call('GET', `${P}/debitNotes?maxItems=101`)).status, 400)
    })

    it("accepts with golem-js's body against an allocation, which the amount reduces", async () => {
      api.debitNotesById.set('dn1', debitNote('dn1'))
      api.invoicesById.set('in1', invoice('in1', { amount: 5n * TOKEN }))
      const allocation = await client.expect(201, 'POST', `${P}/allocations`, { totalAmount: '10' })
      const accepted = await client.call('POST', `${P}/debitNotes/dn1/accept?timeout=5`, { totalAmountAccepted: '2', allocationId: allocation.allocationId })
      assert.equal(accepted.status, 200, JSON.stringify(accepted.body))
      assert.equal((await client.expect(200, 'GET', `${P}/debitNotes/dn1`)).status, 'ACCEPTED')
      await client.expect(200, 'POST', `${P}/invoices/in1/accept`, { totalAmountAccepted: '5.0', allocationId: allocation.allocationId })
      const after = await client.expect(200, 'GET', `${P}/allocations/${allocation.allocationId}`)
      assert.equal(after.spentAmount, '7')
      assert.equal(after.remainingAmount, '3')
    })

    it('answers 409 to accepting more than the allocation holds, and changes nothing', async () => {
      api.invoicesById.set('in1', invoice('in1', { amount: 5n * TOKEN }))
      const allocation = await client.expect(201, 'POST', `${P}/allocations`, { totalAmount: '4.999999999999999999' })
      const refused = await client.call('POST', `${P}/invoices/in1/accept`, { totalAmountAccepted: '5', allocationId: allocation.allocationId })
      assert.equal(refused.status, 409)
      assert.match(refused.body.message, /allocation holds/)
      assert.equal((await client.expect(200, 'GET', `${P}/invoices/in1`)).status, 'RECEIVED')
      assert.equal((await client.expect(200, 'GET', `${P}/allocations/${allocation.allocationId}`)).spentAmount, '0')
    })

    it('refuses a malformed acceptance or rejection with 400 before the payment module sees it', async () => {
      api.debitNotesById.set('dn1', debitNote('dn1'))
      const bodies = [
        { totalAmountAccepted: '2.0000000000000000000', allocationId: 'alloc1' },
        { totalAmountAccepted: '-2', allocationId: 'alloc1' },
        { totalAmountAccepted: '2' },
        { totalAmountAccepted: '2', allocationId: 'alloc1', autoAcceptTo: '3' }
      ]
      for (const body of bodies) {
        const refused = await client.call('POST', `${P}/debitNotes/dn1/accept`, body)
        assert.equal(refused.status, 400, JSON.stringify(body))
      }
      const rejections = [
        { rejectionReason: 'NOT_A_REASON', totalAmountAccepted: '0' },
        { rejectionReason: 'BAD_SERVICE', totalAmountAccepted: 'none' },
        { rejectionReason: 'BAD_SERVICE', totalAmountAccepted: '0', message: 'x'.repeat(1025) }
      ]
      for (const body of rejections) assert.equal((await client.call('POST', `${P}/invoices/in1/reject`, body)).status, 400, JSON.stringify(body))
      assert.deepEqual(api.calls, [])
    })

    it("rejects with golem-js's body (and a debit note with INCORRECT_AMOUNT), emitting the rejection in the event", async () => {
      api.invoicesById.set('in1', invoice('in1'))
      api.debitNotesById.set('dn1', debitNote('dn1'))
      await client.expect(200, 'POST', `${P}/invoices/in1/reject`, {
        rejectionReason: 'BAD_SERVICE',
        totalAmountAccepted: '0.00',
        message: 'rejected by filter'
      })
      assert.equal((await client.expect(200, 'GET', `${P}/invoices/in1`)).status, 'REJECTED')
      await client.expect(200, 'POST', `${P}/debitNotes/dn1/reject`, { rejectionReason: 'INCORRECT_AMOUNT', totalAmountAccepted: '1.5' })
      const [event] = await client.expect(200, 'GET', `${P}/debitNoteEvents?timeout=0`)
      assert.equal(event.eventType, 'DebitNoteRejectedEvent')
      assert.deepEqual(event.rejection, { rejectionReason: 'INCORRECT_AMOUNT', totalAmountAccepted: '1.5' })
    })

    it('refuses issuing a document by hand (the daemon issues its own), sends its own at once, refuses cancelling', async () => {
      api.debitNotesById.set('own', debitNote('own', { role: 'Provider' }))
      api.debitNotesById.set('theirs', debitNote('theirs'))
      api.invoicesById.set('own', invoice('own', { role: 'Provider' }))
      const issued = await client.call('POST', `${P}/debitNotes`, { activityId: 'activity1', totalAmountDue: '1' })
      assert.equal(issued.status, 400)
      assert.match(issued.body.message, /the daemon issues and sends its debit notes and invoices itself/)
      assert.equal((await client.call('POST', `${P}/invoices`, { agreementId: 'agreement1', amount: '1' })).status, 400)
      assert.equal((await client.call('POST', `${P}/debitNotes/own/send`)).status, 200)
      assert.equal((await client.call('POST', `${P}/invoices/own/send?timeout=1`)).status, 200)
      assert.equal((await client.call('POST', `${P}/debitNotes/theirs/send`)).status, 404)
      const cancel = await client.call('POST', `${P}/invoices/own/cancel`)
      assert.equal(cancel.status, 409)
      assert.match(cancel.body.message, /cannot be cancelled/)
      assert.equal((await client.call('POST', `${P}/debitNotes/theirs/cancel`)).status, 404)
      assert.equal((await client.expect(200, 'GET', `${P}/invoices/own`)).status, 'RECEIVED')
    })
  })

  describe('event long polls', () => {
    it('answers at once with the events strictly after afterTimestamp, in the app session, at most maxEvents', async () => {
      const first = api.addInvoiceEvent({ eventType: 'InvoiceReceivedEvent', invoiceId: 'in1', appSessionId: 's1' })
      api.addInvoiceEvent({ eventType: 'InvoiceReceivedEvent', invoiceId: 'in2', appSessionId: 's2' })
      api.addInvoiceEvent({ eventType: 'InvoiceReceivedEvent', invoiceId: 'in3', appSessionId: 's1' })
      const all = await client.expect(200, 'GET', `${P}/invoiceEvents?timeout=5&maxEvents=100`)
      assert.deepEqual(
        all.map((event: any) => event.invoiceId),
        ['in1', 'in2', 'in3']
      )
      assert.equal(all[0].eventDate, new Date(first.eventDate).toISOString())
      const s1 = await client.expect(200, 'GET', `${P}/invoiceEvents?appSessionId=s1&afterTimestamp=${encodeURIComponent(all[0].eventDate)}`)
      assert.deepEqual(
        s1.map((event: any) => event.invoiceId),
        ['in3']
      )
      const one = await client.expect(200, 'GET', `${P}/invoiceEvents?maxEvents=1`)
      assert.equal(one.length, 1)
      assert.deepEqual(Object.keys(one[0]).sort(), ['eventDate', 'eventType', 'invoiceId'])
    })

    it('waits for the first event and answers with it', async () => {
      const polled = client.call('GET', `${P}/debitNoteEvents?timeout=60&appSessionId=s1`)
      await waitFor('the poll to wait', () => api.waits.length === 1)
      api.addDebitNoteEvent({ eventType: 'DebitNoteReceivedEvent', debitNoteId: 'other', appSessionId: 's2' })
      api.addDebitNoteEvent({ eventType: 'DebitNoteReceivedEvent', debitNoteId: 'dn1', appSessionId: 's1' })
      const reply = await polled
      assert.equal(reply.status, 200)
      assert.deepEqual(
        reply.body.map((event: any) => [event.eventType, event.debitNoteId]),
        [['DebitNoteReceivedEvent', 'dn1']]
      )
    })

    it('answers 200 with an empty list when the timeout passes with no event', async () => {
      const reply = await client.call('GET', `${P}/invoiceEvents?timeout=0.2`)
      assert.equal(reply.status, 200)
      assert.deepEqual(reply.body, [])
      assert.equal(api.waits.length, 1)
    })

    it('ends the wait when the client goes away', async () => {
      const controller = new AbortController()
      const polled = fetch(`${client.url}${P}/debitNoteEvents?timeout=300`, { headers: { authorization: `Bearer ${KEY}` }, signal: controller.signal })
      await waitFor('the poll to wait', () => api.waits.length === 1)
      controller.abort()
      await assert.rejects(polled)
      await waitFor('the wait to end', () => api.waits[0]?.aborted === true)
    })

    it('ends the wait when the server closes, answering the waiting client 200 with a list', async () => {
      const polled = client.call('GET', `${P}/invoiceEvents?timeout=300`)
      await waitFor('the poll to wait', () => api.waits.length === 1)
      await server.close()
      const reply = await polled
      assert.equal(reply.status, 200)
      assert.deepEqual(reply.body, [])
    })

    it('refuses a malformed poll with 400 (maxEvents over 100, a negative timeout, a bad time)', async () => {
      for (const query of ['maxEvents=101', 'maxEvents=0', 'timeout=-1', 'afterTimestamp=yesterday']) {
        assert.equal((await client.call('GET', `${P}/debitNoteEvents?${query}`)).status, 400, query)
      }
      assert.deepEqual(api.calls, [])
    })
  })

  describe('payments, status and accounts', () => {
    it('lists payments (filtered by network and driver), gives one, and those of a document', async () => {
      api.debitNotesById.set('dn1', debitNote('dn1'))
      api.invoicesById.set('in1', invoice('in1'))
      api.paymentsById.set('pay1', {
        paymentId: 'pay1',
        payerId: MEMORY_ADDRESS,
        payeeId: PROVIDER,
        payerAddr: MEMORY_ADDRESS,
        payeeAddr: PROVIDER,
        paymentPlatform: MEMORY_PLATFORM,
        amount: 3n * TOKEN,
        timestamp: Date.UTC(2026, 0, 3),
        agreementPayments: [{ agreementId: 'agreement1', amount: 3n * TOKEN }],
        activityPayments: [{ activityId: 'activity1', amount: 2n * TOKEN }],
        details: `0x${'cd'.repeat(32)}`
      })
      const payment = await client.expect(200, 'GET', `${P}/payments/pay1`)
      assert.equal(payment.amount, '3')
      assert.equal(payment.timestamp, '2026-01-03T00:00:00.000Z')
      assert.deepEqual(payment.agreementPayments, [{ agreementId: 'agreement1', amount: '3' }])
      assert.deepEqual(payment.activityPayments, [{ activityId: 'activity1', amount: '2' }])
      assert.deepEqual(await client.expect(200, 'GET', `${P}/payments`), [payment])
      assert.deepEqual(await client.expect(200, 'GET', `${P}/payments?network=dev&driver=erc20`), [payment])
      assert.deepEqual(await client.expect(200, 'GET', `${P}/payments?network=holesky`), [])
      assert.deepEqual(await client.expect(200, 'GET', `${P}/payments?afterTimestamp=2026-01-03T00:00:00.000Z`), [])
      assert.deepEqual(await client.expect(200, 'GET', `${P}/debitNotes/dn1/payments`), [payment])
      assert.deepEqual(await client.expect(200, 'GET', `${P}/invoices/in1/payments?maxItems=1`), [payment])
      assert.equal((await client.call('GET', `${P}/payments/nosuch`)).status, 404)
      assert.equal((await client.call('GET', `${P}/invoices/nosuch/payments`)).status, 404)
    })

    it('gives the status by platform or by network, amounts as decimal strings; 404 for an unknown one', async () => {
      const byPlatform = await client.expect(200, 'GET', `${P}/payments/status?platform=${MEMORY_PLATFORM}&address=${MEMORY_ADDRESS}`)
      assert.equal(byPlatform.amount, '100')
      assert.equal(byPlatform.gasBalance, '1')
      assert.deepEqual(byPlatform.outgoing, { accepted: '0', confirmed: '0', requested: '0' })
      assert.deepEqual(await client.expect(200, 'GET', `${P}/payments/status?network=dev`), byPlatform)
      assert.deepEqual(await client.expect(200, 'GET', `${P}/payments/status`), byPlatform)
      assert.equal((await client.call('GET', `${P}/payments/status?network=nosuch`)).status, 404)
      assert.equal((await client.call('GET', `${P}/payments/status?platform=erc20-nosuch-tglm`)).status, 404)
      assert.equal((await client.call('GET', `${P}/payments/status?address=nothex`)).status, 400)
    })

    it('lists the requestor and provider accounts', async () => {
      const [requestor] = await client.expect(200, 'GET', `${P}/requestorAccounts`)
      assert.deepEqual(requestor, {
        platform: MEMORY_PLATFORM,
        address: MEMORY_ADDRESS,
        driver: 'erc20',
        network: 'dev',
        token: 'agt',
        send: true,
        receive: false
      })
      const [provider] = await client.expect(200, 'GET', `${P}/providerAccounts`)
      assert.equal(provider.receive, true)
    })
  })

  describe("Agora's extras", () => {
    it('lists deposits with amounts as decimal strings and the deadline as a time', async () => {
      api.depositViews.push({
        depositId: `0x${'01'.repeat(32)}`,
        role: 'Provider',
        requester: MEMORY_ADDRESS,
        provider: PROVIDER,
        token: `0x${'02'.repeat(20)}`,
        paymentPlatform: MEMORY_PLATFORM,
        agreementIds: ['agreement1'],
        amount: 10n * TOKEN,
        claimed: TOKEN,
        deadline: Date.UTC(2026, 1, 1),
        voucherCumulative: 25n * 10n ** 17n
      })
      const [deposit] = await client.expect(200, 'GET', `${X}/deposits`)
      assert.equal(deposit.amount, '10')
      assert.equal(deposit.claimed, '1')
      assert.equal(deposit.voucherCumulative, '2.5')
      assert.equal(deposit.deadline, '2026-02-01T00:00:00.000Z')
    })

    it('claims named deposits or all; refuses a malformed claim with 400 and an unknown deposit with 404', async () => {
      assert.deepEqual(await client.expect(200, 'POST', `${X}/claim`, { all: true }), { depositIds: [], amount: '0' })
      assert.deepEqual(await client.expect(200, 'POST', `${X}/claim`), { depositIds: [], amount: '0' })
      assert.equal((await client.call('POST', `${X}/claim`, { depositIds: ['nosuch'] })).status, 404)
      const calls = api.calls.length
      for (const body of [{ depositIds: [] }, { depositIds: ['a', 'a'] }, { every: true }, { depositIds: ['../x'] }]) {
        assert.equal((await client.call('POST', `${X}/claim`, body)).status, 400, JSON.stringify(body))
      }
      assert.equal(api.calls.length, calls)
    })

    it('funds this node on a dev network, with or without a platform', async () => {
      const funded = await client.expect(200, 'POST', `${X}/fund`)
      assert.deepEqual(await client.expect(200, 'POST', `${X}/fund`, {}), funded)
      assert.deepEqual(funded, { token: '1000', gas: '1', txHashes: [`0x${'ab'.repeat(32)}`] })
      assert.deepEqual(await client.expect(200, 'POST', `${X}/fund`, { platform: MEMORY_PLATFORM }), funded)
      assert.equal((await client.call('POST', `${X}/fund`, { platform: 'erc20-nosuch-tglm' })).status, 404)
      assert.equal((await client.call('POST', `${X}/fund`, { platform: 'Not A Platform' })).status, 400)
    })
  })
})
