// The Payment API v1 routes and Agora's payment extras over HTTP, on two real
// daemons (their payment modules, LevelDB, settlement on a real dev chain):
// every operation's answer as golem-js reads it, its refusals changing
// nothing, and the long polls' ends (an event, the timeout, the client gone,
// the daemon stopping). One chain and one pair of daemons for the whole file.
import assert from 'node:assert/strict'
import { parseEther } from 'ethers'
import type { TestNode } from '../helpers/cluster.ts'
import { PAIR_ALIAS as ALIAS, PAIR_PLATFORM as PLATFORM, paymentPairFixture } from '../helpers/payment-pair.ts'
import { waitFor } from '../helpers/wait.ts'

const P = '/payment-api/v1'
const X = '/agora-api/v1/payment'
const SESSION = 'routes-session'
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/
const DECIMAL = /^\d+(\.\d+)?$/

/** golem-js 3.6.0's PaymentApiAdapter.createAllocation body, as it sends it. */
function golemJsAllocationBody(totalAmount: string, address: string): Record<string, unknown> {
  const now = new Date()
  return {
    totalAmount,
    paymentPlatform: ALIAS,
    address,
    timestamp: now.toISOString(),
    timeout: new Date(+now + 3600_000).toISOString(),
    makeDeposit: false,
    remainingAmount: '',
    spentAmount: '',
    allocationId: ''
  }
}

describe('the Payment API routes of two daemons on the dev chain', function () {
  this.timeout(180_000)
  const pair = paymentPairFixture()
  let provider: TestNode
  let requester: TestNode
  let agreementId: string
  let activityId: string
  let allocationId: string

  before(() => {
    provider = pair.provider
    requester = pair.requester
  })

  /**
   * What a node's Payment API shows that a refused call could change: it must leave all of it as it was. What the
   * other side changes meanwhile is left out: documents arriving (a running agreement's debit notes come RECEIVED),
   * and what claims change (claimed and confirmed amounts, payments). Refusals on the provider, whose own notes keep
   * coming while an agreement runs, are made once its agreement has ended and been claimed.
   */
  async function snapshot(node: TestNode): Promise<unknown> {
    const get = async (path: string) => await node.client.expect(200, 'GET', `${P}${path}`)
    const handled = (documents: any[]) => documents.filter(d => d.status !== 'RECEIVED')
    const { outgoing, incoming, ...status } = await node.client.expect(200, 'GET', `${X}/status`)
    const deposits = (await node.client.expect<any[]>(200, 'GET', `${X}/deposits`)).map(({ claimed: _claimed, ...deposit }) => deposit)
    return {
      allocations: await get('/allocations'),
      debitNotes: handled(await get('/debitNotes?maxItems=100')),
      invoices: handled(await get('/invoices?maxItems=100')),
      status: { ...status, accepted: [outgoing?.accepted, incoming?.accepted] },
      deposits
    }
  }

  /** Asserts that every call is refused with `status` and a message only, and that nothing changed. */
  async function refusedUnchanged(node: TestNode, calls: Array<[number, string, string, unknown?, RegExp?]>): Promise<void> {
    const before = await snapshot(node)
    for (const [status, method, path, body, message] of calls) {
      const reply = await node.client.call(method, path, body)
      assert.equal(reply.status, status, `${method} ${path} ${JSON.stringify(body)}: ${JSON.stringify(reply.body)}`)
      assert.deepEqual(Object.keys(reply.body ?? {}).sort(), ['code', 'message'], `${method} ${path}`)
      if (message !== undefined) assert.match(reply.body.message, message)
    }
    assert.deepEqual(await snapshot(node), before)
  }

  /** The date of the newest event so far: a poll after it waits for new ones. */
  async function lastEventDate(node: TestNode, kind: 'debitNoteEvents' | 'invoiceEvents'): Promise<string | undefined> {
    let after: string | undefined
    for (;;) {
      const query = after === undefined ? '' : `&afterTimestamp=${encodeURIComponent(after)}`
      const events = await node.client.expect<any[]>(200, 'GET', `${P}/${kind}?timeout=0&maxEvents=100${query}`)
      if (events.length === 0) return after
      after = events.at(-1).eventDate
    }
  }

  /** Long-polls `kind` on `node` until an event matches. */
  async function eventOn(node: TestNode, kind: 'debitNoteEvents' | 'invoiceEvents', test: (e: any) => boolean, query = ''): Promise<any> {
    let after: string | undefined
    for (let round = 0; round < 60; round++) {
      const since = after === undefined ? '' : `&afterTimestamp=${encodeURIComponent(after)}`
      const events = await node.client.expect<any[]>(200, 'GET', `${P}/${kind}?timeout=5&maxEvents=100${since}${query}`)
      const found = events.find(test)
      if (found !== undefined) return found
      if (events.length > 0) after = events.at(-1).eventDate
    }
    throw new Error(`no such event in ${kind}`)
  }

  describe('allocations', () => {
    it("creates one from golem-js's body on the platform's alias and answers every field golem-js reads", async () => {
      const created = await requester.client.expect(201, 'POST', `${P}/allocations`, golemJsAllocationBody('1.5', requester.nodeId))
      assert.equal(created.address, requester.nodeId.toLowerCase())
      assert.equal(created.paymentPlatform, PLATFORM)
      assert.equal(created.totalAmount, '1.5')
      assert.equal(created.spentAmount, '0')
      assert.equal(created.remainingAmount, '1.5')
      assert.match(created.timestamp, ISO)
      assert.match(created.timeout, ISO)
      assert.notEqual(created.allocationId, '')
      assert.deepEqual(await requester.client.expect(200, 'GET', `${P}/allocations/${created.allocationId}`), created)
      assert.ok((await requester.client.expect<any[]>(200, 'GET', `${P}/allocations`)).some(a => a.allocationId === created.allocationId))
      assert.equal((await requester.client.call('DELETE', `${P}/allocations/${created.allocationId}`)).status, 200)
    })

    it('amends and releases one; a released one is gone, an unknown one not found', async () => {
      const created = await requester.client.expect(201, 'POST', `${P}/allocations`, { totalAmount: '2' })
      const path = `${P}/allocations/${created.allocationId}`
      const amended = await requester.client.expect(200, 'PUT', path, { totalAmount: '3.25', timeout: '2030-01-01T00:00:00Z' })
      assert.equal(amended.totalAmount, '3.25')
      assert.equal(amended.remainingAmount, '3.25')
      assert.equal(amended.timeout, '2030-01-01T00:00:00.000Z')
      assert.equal((await requester.client.expect(200, 'GET', `${X}/status`)).reserved, '3.25')
      const released = await requester.client.call('DELETE', path)
      assert.equal(released.status, 200)
      assert.equal(released.body, undefined)
      await refusedUnchanged(requester, [
        [410, 'GET', path],
        [410, 'DELETE', path],
        [404, 'GET', `${P}/allocations/nosuch`, undefined, /no allocation nosuch/]
      ])
    })

    it('gives demand decorations for allocation ids repeated or comma-separated; 404 for an unknown one, 400 for none', async () => {
      const a = await requester.client.expect(201, 'POST', `${P}/allocations`, { totalAmount: '1' })
      const b = await requester.client.expect(201, 'POST', `${P}/allocations`, { totalAmount: '1' })
      const property = `golem.com.payment.platform.${PLATFORM}.address`
      const one = await requester.client.expect(200, 'GET', `${P}/demandDecorations?allocationIds=${a.allocationId}`)
      assert.deepEqual(one.properties[0], { key: property, value: requester.nodeId.toLowerCase() })
      assert.deepEqual(one.constraints, [`(${property}=*)`])
      const ids = `${a.allocationId}&allocationIds=${b.allocationId}`
      assert.deepEqual(await requester.client.expect(200, 'GET', `${P}/demandDecorations?allocationIds=${ids}`), one)
      assert.deepEqual(await requester.client.expect(200, 'GET', `${P}/demandDecorations?allocationIds=${a.allocationId},${b.allocationId}`), one)
      for (const allocation of [a, b]) await requester.client.expect(200, 'DELETE', `${P}/allocations/${allocation.allocationId}`)
      await refusedUnchanged(requester, [
        [404, 'GET', `${P}/demandDecorations?allocationIds=nosuch`],
        [400, 'GET', `${P}/demandDecorations`]
      ])
    })

    it('refuses bad amounts, unknown platforms and a budget the funds do not cover, changing nothing', async () => {
      const body = golemJsAllocationBody('1', requester.nodeId)
      await refusedUnchanged(requester, [
        [400, 'POST', `${P}/allocations`, { ...body, totalAmount: '0.0000000000000000001' }, /totalAmount has 19 decimals/],
        [400, 'POST', `${P}/allocations`, { ...body, totalAmount: '-1' }, /totalAmount must be a non-negative decimal/],
        [400, 'POST', `${P}/allocations`, { ...body, totalAmount: '12abc' }, /totalAmount must be a non-negative decimal/],
        [400, 'POST', `${P}/allocations`, { ...body, totalAmount: 12 }, /body\/totalAmount must be string/],
        [400, 'PUT', `${P}/allocations/alloc1`, { totalAmount: '1.0000000000000000001' }, /totalAmount has 19 decimals/],
        [400, 'POST', `${P}/allocations`, { totalAmount: '1', deposit: { id: '0x01', contract: '0x02' } }],
        [400, 'POST', `${P}/allocations`, { totalAmount: '1', timeout: 'tomorrow' }],
        [400, 'POST', `${P}/allocations`, { ...body, address: `0x${'11'.repeat(20)}` }],
        [404, 'POST', `${P}/allocations`, { totalAmount: '1', paymentPlatform: 'erc20-nosuch-tglm' }, /erc20-nosuch-tglm/],
        [404, 'POST', `${P}/allocations`, { totalAmount: '1', paymentPlatform: { network: 'nosuch', token: 'tglm' } }],
        [409, 'POST', `${P}/allocations`, { totalAmount: '100.000000000000000001' }]
      ])
    })
  })

  describe('debit notes, invoices and payments', () => {
    it('a long poll waiting in the app session answers with the first debit note of an agreement made meanwhile', async () => {
      const allocation = await requester.client.expect(201, 'POST', `${P}/allocations`, { totalAmount: '50', paymentPlatform: ALIAS })
      allocationId = allocation.allocationId
      const since = await lastEventDate(requester, 'debitNoteEvents')
      const query = `${since === undefined ? '' : `&afterTimestamp=${encodeURIComponent(since)}`}&appSessionId=${SESSION}`
      const polled = requester.client.call('GET', `${P}/debitNoteEvents?timeout=120&maxEvents=1${query}`)
      ;({ agreementId, activityId } = await pair.agreementWithActivity(SESSION))

      const reply = await polled
      assert.equal(reply.status, 200)
      assert.equal(reply.body.length, 1)
      const [event] = reply.body
      assert.equal(event.eventType, 'DebitNoteReceivedEvent')
      assert.match(event.eventDate, ISO)
      const note = await requester.client.expect(200, 'GET', `${P}/debitNotes/${event.debitNoteId}`)
      assert.equal(note.agreementId, agreementId)
      assert.deepEqual(
        await requester.client.expect(200, 'GET', `${P}/debitNoteEvents?timeout=0&appSessionId=another-session${query.replace(/&appSessionId=.*/, '')}`),
        []
      )
    })

    it('answers a debit note with every field golem-js reads, and accepts it with its body against the allocation', async () => {
      const event = await eventOn(requester, 'debitNoteEvents', e => e.eventType === 'DebitNoteReceivedEvent')
      const note = await requester.client.expect(200, 'GET', `${P}/debitNotes/${event.debitNoteId}`)
      assert.equal(note.debitNoteId, event.debitNoteId)
      assert.equal(note.issuerId, provider.nodeId)
      assert.equal(note.recipientId, requester.nodeId)
      assert.equal(note.payeeAddr, provider.nodeId.toLowerCase())
      assert.equal(note.payerAddr, requester.nodeId.toLowerCase())
      assert.equal(note.paymentPlatform, PLATFORM)
      assert.equal(note.agreementId, agreementId)
      assert.equal(note.activityId, activityId)
      assert.match(note.totalAmountDue, DECIMAL)
      assert.ok(Array.isArray(note.usageCounterVector))
      assert.match(note.timestamp, ISO)
      assert.equal(note.status, 'RECEIVED')
      assert.ok((await requester.client.expect<any[]>(200, 'GET', `${P}/debitNotes`)).some(n => n.debitNoteId === note.debitNoteId))

      await refusedUnchanged(requester, [
        [400, 'POST', `${P}/debitNotes/${note.debitNoteId}/accept`, { totalAmountAccepted: '2.0000000000000000000', allocationId }],
        [400, 'POST', `${P}/debitNotes/${note.debitNoteId}/accept`, { totalAmountAccepted: '-2', allocationId }],
        [400, 'POST', `${P}/debitNotes/${note.debitNoteId}/accept`, { totalAmountAccepted: '2' }],
        [400, 'POST', `${P}/debitNotes/${note.debitNoteId}/accept`, { totalAmountAccepted: '2', allocationId, autoAcceptTo: '3' }],
        [404, 'POST', `${P}/debitNotes/${note.debitNoteId}/accept`, { totalAmountAccepted: note.totalAmountDue, allocationId: 'nosuch' }],
        [400, 'POST', `${P}/debitNotes/${note.debitNoteId}/reject`, { rejectionReason: 'NOT_A_REASON', totalAmountAccepted: '0' }],
        [400, 'POST', `${P}/debitNotes/${note.debitNoteId}/reject`, { rejectionReason: 'BAD_SERVICE', totalAmountAccepted: 'none' }],
        [400, 'POST', `${P}/debitNotes/${note.debitNoteId}/reject`, { rejectionReason: 'BAD_SERVICE', totalAmountAccepted: '0', message: 'x'.repeat(1025) }],
        [404, 'GET', `${P}/debitNotes/nosuch`],
        [404, 'POST', `${P}/debitNotes/nosuch/reject`, { rejectionReason: 'INCORRECT_AMOUNT', totalAmountAccepted: '0' }],
        [400, 'GET', `${P}/debitNotes?maxItems=101`]
      ])

      const accepted = await requester.client.call('POST', `${P}/debitNotes/${note.debitNoteId}/accept?timeout=5`, {
        totalAmountAccepted: note.totalAmountDue,
        allocationId
      })
      assert.equal(accepted.status, 200, JSON.stringify(accepted.body))
      assert.equal((await requester.client.expect(200, 'GET', `${P}/debitNotes/${note.debitNoteId}`)).status, 'ACCEPTED')
      assert.equal((await requester.client.expect(200, 'GET', `${P}/allocations/${allocationId}`)).spentAmount, note.totalAmountDue)
      await eventOn(provider, 'debitNoteEvents', e => e.eventType === 'DebitNoteAcceptedEvent' && e.debitNoteId === note.debitNoteId)
    })

    it('rejects a debit note with INCORRECT_AMOUNT, which reaches the provider; accepting beyond the allocation is refused', async () => {
      const accepted = await requester.client.expect<any[]>(200, 'GET', `${P}/debitNotes`)
      const event = await eventOn(
        requester,
        'debitNoteEvents',
        e => e.eventType === 'DebitNoteReceivedEvent' && !accepted.some(n => n.debitNoteId === e.debitNoteId && n.status !== 'RECEIVED')
      )
      const note = await requester.client.expect(200, 'GET', `${P}/debitNotes/${event.debitNoteId}`)
      const small = await requester.client.expect(201, 'POST', `${P}/allocations`, { totalAmount: '0.000000000000000001' })
      await refusedUnchanged(requester, [
        [
          409,
          'POST',
          `${P}/debitNotes/${note.debitNoteId}/accept`,
          { totalAmountAccepted: note.totalAmountDue, allocationId: small.allocationId },
          /needs \d+ base units more from allocation/
        ]
      ])
      await requester.client.expect(200, 'DELETE', `${P}/allocations/${small.allocationId}`)
      await requester.client.expect(200, 'POST', `${P}/debitNotes/${note.debitNoteId}/reject`, {
        rejectionReason: 'INCORRECT_AMOUNT',
        totalAmountAccepted: '0',
        message: 'not that much'
      })
      assert.equal((await requester.client.expect(200, 'GET', `${P}/debitNotes/${note.debitNoteId}`)).status, 'REJECTED')
      const rejected = await eventOn(provider, 'debitNoteEvents', e => e.eventType === 'DebitNoteRejectedEvent' && e.debitNoteId === note.debitNoteId)
      assert.equal(rejected.rejection.rejectionReason, 'INCORRECT_AMOUNT')
    })

    it('the invoice after termination, accepted, is paid and listed', async () => {
      const since = await lastEventDate(requester, 'invoiceEvents')
      await requester.client.expect(204, 'POST', `/market-api/v1/agreements/${agreementId}/terminate`, { message: 'done' })
      const received = await eventOn(
        requester,
        'invoiceEvents',
        e => e.eventType === 'InvoiceReceivedEvent',
        since === undefined ? '' : `&afterTimestamp=${encodeURIComponent(since)}`
      )
      assert.deepEqual(Object.keys(received).sort(), ['eventDate', 'eventType', 'invoiceId'])
      const invoice = await requester.client.expect(200, 'GET', `${P}/invoices/${received.invoiceId}`)
      assert.equal(invoice.agreementId, agreementId)
      assert.deepEqual(invoice.activityIds, [activityId])
      assert.equal(invoice.issuerId, provider.nodeId)
      assert.equal(invoice.payeeAddr, provider.nodeId.toLowerCase())
      assert.equal(invoice.payerAddr, requester.nodeId.toLowerCase())
      assert.equal(invoice.paymentPlatform, PLATFORM)
      assert.match(invoice.amount, DECIMAL)
      assert.match(invoice.paymentDueDate, ISO)
      assert.equal(invoice.status, 'RECEIVED')
      await refusedUnchanged(requester, [
        [404, 'POST', `${P}/invoices/${invoice.invoiceId}/cancel`],
        [404, 'POST', `${P}/invoices/nosuch/accept`, { totalAmountAccepted: '1', allocationId }],
        [400, 'POST', `${P}/invoices/${invoice.invoiceId}/accept`, { totalAmountAccepted: '1.x', allocationId }],
        [404, 'GET', `${P}/invoices/nosuch`],
        [404, 'GET', `${P}/invoices/nosuch/payments`]
      ])

      await requester.client.expect(200, 'POST', `${P}/invoices/${invoice.invoiceId}/accept`, { totalAmountAccepted: invoice.amount, allocationId })
      assert.equal((await requester.client.expect(200, 'GET', `${P}/invoices/${invoice.invoiceId}`)).status, 'ACCEPTED')
      assert.equal((await requester.client.expect(200, 'GET', `${P}/allocations/${allocationId}`)).spentAmount, invoice.amount)
      await eventOn(provider, 'invoiceEvents', e => e.eventType === 'InvoiceSettledEvent' && e.invoiceId === invoice.invoiceId)
      assert.equal((await provider.client.expect(200, 'GET', `${P}/invoices/${invoice.invoiceId}`)).status, 'SETTLED')

      const payments = await provider.client.expect<any[]>(200, 'GET', `${P}/invoices/${invoice.invoiceId}/payments`)
      assert.ok(payments.length > 0)
      const sum = payments.reduce((total, p) => total + parseEther(p.amount), 0n)
      assert.equal(sum, parseEther(invoice.amount))
      const [payment] = payments
      assert.equal(payment.payeeAddr, provider.nodeId.toLowerCase())
      assert.equal(payment.paymentPlatform, PLATFORM)
      assert.match(payment.timestamp, ISO)
      assert.deepEqual(await provider.client.expect(200, 'GET', `${P}/payments/${payment.paymentId}`), payment)
      assert.ok((await provider.client.expect<any[]>(200, 'GET', `${P}/payments?network=dev&driver=erc20`)).some(p => p.paymentId === payment.paymentId))
      assert.deepEqual(await provider.client.expect(200, 'GET', `${P}/payments?network=holesky`), [])
      assert.equal((await provider.client.call('GET', `${P}/payments/nosuch`)).status, 404)
    })

    it('lists the deposits with amounts as decimal strings, claims named ones or all; refuses issuing or cancelling a document by hand', async () => {
      const deposits = await provider.client.expect<any[]>(200, 'GET', `${X}/deposits`)
      const deposit = deposits.find(d => d.agreementIds.includes(agreementId))
      assert.ok(deposit !== undefined, JSON.stringify(deposits))
      assert.match(deposit.amount, DECIMAL)
      assert.match(deposit.claimed, DECIMAL)
      assert.match(deposit.deadline, ISO)
      const claimed = await provider.client.expect(200, 'POST', `${X}/claim`, { all: true })
      assert.match(claimed.amount, DECIMAL)
      assert.deepEqual(await provider.client.expect(200, 'POST', `${X}/claim`, { depositIds: [deposit.depositId] }), { depositIds: [], amount: '0' })
      const [invoice] = await provider.client.expect<any[]>(200, 'GET', `${P}/invoices?maxItems=100`)
      await refusedUnchanged(provider, [
        [400, 'POST', `${P}/debitNotes`, { activityId, totalAmountDue: '1' }, /the daemon issues and sends its debit notes and invoices itself/],
        [400, 'POST', `${P}/invoices`, { agreementId, amount: '1' }],
        [409, 'POST', `${P}/invoices/${invoice.invoiceId}/cancel`, undefined, /cannot be cancelled/],
        [404, 'POST', `${X}/claim`, { depositIds: [`0x${'ee'.repeat(32)}`] }],
        [400, 'POST', `${X}/claim`, { depositIds: [] }],
        [400, 'POST', `${X}/claim`, { depositIds: ['a', 'a'] }],
        [400, 'POST', `${X}/claim`, { every: true }],
        [400, 'POST', `${X}/claim`, { depositIds: ['../x'] }]
      ])
    })
  })

  describe('status, accounts and funding', () => {
    it('gives the status by platform or network, the accounts, and funds a node; 404/400 for unknown or bad ones', async () => {
      const byPlatform = await requester.client.expect(200, 'GET', `${X}/status?platform=${PLATFORM}&address=${requester.nodeId}`)
      assert.match(byPlatform.amount, DECIMAL)
      assert.match(byPlatform.gasBalance, DECIMAL)
      assert.deepEqual(await requester.client.expect(200, 'GET', `${X}/status?network=dev&driver=erc20`), byPlatform)
      // The spec's driver status: a funded node that owes nothing unpaid has no problem to report.
      assert.deepEqual(await requester.client.expect(200, 'GET', `${P}/payments/status?network=dev&driver=erc20`), [])
      const [account] = await requester.client.expect(200, 'GET', `${P}/requestorAccounts`)
      assert.deepEqual(account, {
        platform: PLATFORM,
        address: requester.nodeId.toLowerCase(),
        driver: 'erc20',
        network: 'dev',
        token: 'tglm',
        send: true,
        receive: false
      })
      assert.equal((await requester.client.expect(200, 'GET', `${P}/providerAccounts`))[0].receive, true)
      const funded = await provider.client.expect(200, 'POST', `${X}/fund`, { platform: PLATFORM })
      assert.equal(funded.token, '1000')
      assert.ok(funded.txHashes.length > 0)
      await refusedUnchanged(requester, [
        [404, 'GET', `${X}/status?network=nosuch`],
        [404, 'GET', `${X}/status?platform=erc20-nosuch-tglm`],
        [400, 'GET', `${X}/status?address=nothex`],
        [404, 'GET', `${P}/payments/status?driver=zksync`],
        [404, 'POST', `${X}/fund`, { platform: 'erc20-nosuch-tglm' }],
        [400, 'POST', `${X}/fund`, { platform: 'Not A Platform' }]
      ])
    })
  })

  describe('event long polls', () => {
    it('answers 200 with [] when the timeout passes, and refuses a malformed poll with 400', async () => {
      const since = await lastEventDate(requester, 'invoiceEvents')
      const query = since === undefined ? '' : `&afterTimestamp=${encodeURIComponent(since)}`
      assert.deepEqual(await requester.client.expect(200, 'GET', `${P}/invoiceEvents?timeout=0.2${query}`), [])
      await refusedUnchanged(requester, [
        [400, 'GET', `${P}/debitNoteEvents?maxEvents=101`],
        [400, 'GET', `${P}/debitNoteEvents?maxEvents=0`],
        [400, 'GET', `${P}/debitNoteEvents?timeout=-1`],
        [400, 'GET', `${P}/invoiceEvents?afterTimestamp=yesterday`]
      ])
    })

    it('ends a wait whose client went away: the next poll is answered', async () => {
      const since = await lastEventDate(requester, 'invoiceEvents')
      const query = since === undefined ? '' : `&afterTimestamp=${encodeURIComponent(since)}`
      const controller = new AbortController()
      const polled = fetch(`${requester.client.url}${P}/invoiceEvents?timeout=300${query}`, {
        headers: { authorization: `Bearer ${requester.client.key}` },
        signal: controller.signal
      })
      controller.abort()
      await assert.rejects(polled)
      await waitFor(
        'a poll answered after the abandoned one',
        async () => (await requester.client.call('GET', `${P}/invoiceEvents?timeout=0${query}`)).status === 200
      )
    })

    it('ends a wait when the daemon stops, answering the waiting client 200 with a list', async () => {
      const since = await lastEventDate(provider, 'invoiceEvents')
      const query = since === undefined ? '' : `&afterTimestamp=${encodeURIComponent(since)}`
      const polled = provider.client.call('GET', `${P}/invoiceEvents?timeout=300${query}`)
      // The poll is waiting once a later one with a zero timeout has been answered.
      await provider.client.expect(200, 'GET', `${P}/invoiceEvents?timeout=0${query}`)
      await provider.stop()
      const reply = await polled
      assert.equal(reply.status, 200)
      assert.deepEqual(reply.body, [])
    })
  })
})
