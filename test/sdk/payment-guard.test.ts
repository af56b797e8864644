// The SDK's PaymentGuard over two real daemons on the dev chain: an honest
// provider's debit notes and invoice accepted and paid on chain; a budget too
// small, refused with BUDGET_EXCEEDED; a provider that inflates its CPU seconds
// (a real daemon with a usageReadings component) refused with INCORRECT_AMOUNT,
// which the provider sees; settle() returning at its bound when the provider is
// gone and no invoice comes. Agreements are made over raw REST.
import assert from 'node:assert/strict'
import { parseEther } from 'ethers'
import { createAllocation } from '../../sdk/payments/allocation.ts'
import { createPaymentGuard } from '../../sdk/payments/guard.ts'
import type { AllocationHandle, GuardedAgreement, PaymentGuard } from '../../sdk/payments/payment-guard.ts'
import type { AgreementView, ApiRequest } from '../../sdk/client/api-client.ts'
import { DaemonUnreachableError } from '../../sdk/index.ts'
import type { TestNode } from '../helpers/cluster.ts'
import { paymentPairFixture } from '../helpers/payment-pair.ts'
import type { PaymentPair } from '../helpers/payment-pair.ts'
import { testApiClient } from '../helpers/sdk-api.ts'
import { TEST_APP_KEY } from '../helpers/cluster.ts'
import { eventually } from '../helpers/wait.ts'

const P = '/payment-api/v1'

interface Watch {
  readonly agreementId: string
  readonly activityId: string
  readonly accepted: string[]
  readonly rejected: Array<{ documentId: string; reason: string; message?: string }>
}

/** An agreement with an activity, watched from before the activity was asked for. */
async function watchedAgreement(pair: PaymentPair, guard: PaymentGuard, allocation: AllocationHandle, budget: bigint): Promise<Watch> {
  const startedAt = Date.now()
  const { agreementId, activityId } = await pair.agreementWithActivity()
  const agreement = await pair.requester.client.expect<AgreementView>(200, 'GET', `/market-api/v1/agreements/${agreementId}`)
  const watch: Watch = { agreementId, activityId, accepted: [], rejected: [] }
  const guarded: GuardedAgreement = {
    agreement,
    allocationId: allocation.allocationId,
    budget,
    startedAt,
    onAccepted: (_total, documentId) => watch.accepted.push(documentId),
    onRejected: (documentId, reason, message) => watch.rejected.push({ documentId, reason, ...(message === undefined ? {} : { message }) })
  }
  guard.watch(guarded)
  return watch
}

async function documentsOf(node: TestNode, kind: 'debitNotes' | 'invoices', agreementId: string): Promise<any[]> {
  const all = await node.client.expect<any[]>(200, 'GET', `${P}/${kind}?maxItems=100`)
  return all.filter(d => d.agreementId === agreementId)
}

/** Long-polls `kind` on `node` until an event matches. */
async function eventOn(node: TestNode, kind: 'debitNoteEvents' | 'invoiceEvents', test: (e: any) => boolean): Promise<any> {
  let after: string | undefined
  for (let round = 0; round < 60; round++) {
    const since = after === undefined ? '' : `&afterTimestamp=${encodeURIComponent(after)}`
    const events = await node.client.expect<any[]>(200, 'GET', `${P}/${kind}?timeout=5&maxEvents=100${since}`)
    const found = events.find(test)
    if (found !== undefined) return found
    if (events.length > 0) after = events.at(-1).eventDate
  }
  throw new Error(`no such event in ${kind}`)
}

/** The longest a turn of the event loop may have run before settle set its timer, on a loaded machine. */
const MAX_LOOP_TURN_MS = 100

describe('the payment guard with an honest provider', function () {
  this.timeout(240_000)
  const pair = paymentPairFixture()
  let guard: PaymentGuard
  let allocation: AllocationHandle

  before(async () => {
    const api = testApiClient(pair.requester.client.url, TEST_APP_KEY)
    guard = createPaymentGuard(api, { pollTimeoutSec: 2 })
    allocation = await createAllocation(api, { budget: parseEther('50') })
  })

  after(async () => {
    await guard?.close()
  })

  it('accepts every debit note and the invoice; what it accepted is what the chain pays', async () => {
    const watch = await watchedAgreement(pair, guard, allocation, parseEther('10'))
    await eventually('three accepted debit notes', async () => watch.accepted.length >= 3)
    await pair.requester.client.expect(204, 'POST', `/market-api/v1/agreements/${watch.agreementId}/terminate`, { message: 'done' })
    const report = await guard.settle(watch.agreementId, { timeoutMs: 60_000 })

    assert.deepEqual(report.rejected, [])
    assert.equal(report.agreementId, watch.agreementId)
    assert.equal(report.providerId, pair.provider.nodeId)
    assert.ok(report.invoiceId !== undefined, 'the invoice was answered')
    const [invoice] = await documentsOf(pair.requester, 'invoices', watch.agreementId)
    assert.equal(invoice.invoiceId, report.invoiceId)
    assert.equal(invoice.status, 'ACCEPTED')
    assert.equal(report.cost, parseEther(invoice.amount))
    assert.equal(guard.acceptedTotal(watch.agreementId), report.cost)
    const notes = await documentsOf(pair.requester, 'debitNotes', watch.agreementId)
    assert.ok(notes.length >= 3)
    assert.deepEqual(
      notes.filter(n => n.status !== 'ACCEPTED' && n.status !== 'SETTLED').map(n => [n.debitNoteId, n.status]),
      [],
      'every debit note accepted'
    )
    assert.ok(notes.every(n => parseEther(n.totalAmountDue) <= report.cost))

    await eventOn(pair.provider, 'invoiceEvents', e => e.eventType === 'InvoiceSettledEvent' && e.invoiceId === invoice.invoiceId)
    const payments = await pair.provider.client.expect<any[]>(200, 'GET', `${P}/invoices/${invoice.invoiceId}/payments`)
    assert.equal(
      payments.reduce((sum, p) => sum + parseEther(p.amount), 0n),
      report.cost,
      'paid on chain exactly what was accepted'
    )
  })

  it('accepts each note once: an answer the daemon took but whose reply was lost is not sent again; a note not read at once is read again', async () => {
    const real = testApiClient(pair.requester.client.url, TEST_APP_KEY)
    const posts = new Map<string, number>()
    let lost = 0
    let unread: string | undefined
    // The daemon takes the first acceptance; its reply never reaches the guard. The first read of a note fails.
    const lossy = {
      ...real,
      call: async <T>(method: string, path: string, request?: ApiRequest): Promise<T> => {
        const read = /\/debitNotes\/([^/]+)$/.exec(path)
        if (method === 'GET' && read !== null && unread === undefined) {
          unread = read[1]
          throw new DaemonUnreachableError('the daemon did not answer')
        }
        const accept = /\/debitNotes\/([^/]+)\/accept$/.exec(path)
        if (method !== 'POST' || accept === null) return await real.call<T>(method, path, request)
        posts.set(accept[1] as string, (posts.get(accept[1] as string) ?? 0) + 1)
        const answer = await real.call<T>(method, path, request)
        if (lost++ === 0) throw new DaemonUnreachableError('the reply was lost')
        return answer
      }
    }
    const lossyGuard = createPaymentGuard(lossy, { pollTimeoutSec: 2, retryMs: 50 })
    try {
      const watch = await watchedAgreement(pair, lossyGuard, allocation, parseEther('10'))
      await eventually('three accepted debit notes', async () => watch.accepted.length >= 3)
      assert.equal(lost > 1, true)
      assert.deepEqual(
        [...posts.values()].filter(n => n !== 1),
        [],
        'one acceptance per note'
      )
      assert.equal(new Set(watch.accepted).size, watch.accepted.length, 'each note counted once')
      assert.ok(unread !== undefined && watch.accepted.includes(unread), 'the note whose first read failed was read again and accepted')
      const notes = await documentsOf(pair.requester, 'debitNotes', watch.agreementId)
      const last = notes.find(n => n.debitNoteId === watch.accepted.at(-1))
      assert.equal(lossyGuard.acceptedTotal(watch.agreementId) >= parseEther(last.totalAmountDue), true)
      await pair.requester.client.expect(204, 'POST', `/market-api/v1/agreements/${watch.agreementId}/terminate`, { message: 'done' })
    } finally {
      await lossyGuard.close()
    }
  })

  it('rejects a debit note beyond the budget with BUDGET_EXCEEDED, which the provider sees', async () => {
    // Less than any note's amount: 0.00005 a second of duration.
    const budget = 1000n
    const watch = await watchedAgreement(pair, guard, allocation, budget)
    await eventually('a rejected debit note', async () => watch.rejected.length >= 1)
    const [rejected] = watch.rejected
    assert.equal(rejected?.reason, 'BUDGET_EXCEEDED')
    assert.match(rejected?.message ?? '', /beyond its budget of 0\.000000000000001; would accept 0\.000000000000001/)
    assert.deepEqual(watch.accepted, [])
    const seen = await eventOn(pair.provider, 'debitNoteEvents', e => e.eventType === 'DebitNoteRejectedEvent' && e.debitNoteId === rejected?.documentId)
    assert.equal(seen.rejection.rejectionReason, 'INCORRECT_AMOUNT')
    assert.match(seen.rejection.message, /^BUDGET_EXCEEDED: /)
    assert.equal(seen.rejection.totalAmountAccepted, '0.000000000000001')
    assert.equal(guard.acceptedTotal(watch.agreementId), 0n)
    await pair.requester.client.expect(204, 'POST', `/market-api/v1/agreements/${watch.agreementId}/terminate`, { message: 'done' })
  })

  it('settle returns at its bound with what was accepted when the provider is gone and sends no invoice', async () => {
    const watch = await watchedAgreement(pair, guard, allocation, parseEther('10'))
    await eventually('an accepted debit note', async () => watch.accepted.length >= 1)
    await pair.provider.stop()
    const accepted = guard.acceptedTotal(watch.agreementId)
    const started = performance.now()
    const report = await guard.settle(watch.agreementId, { timeoutMs: 1_500 })
    // libuv starts a timer from the time its loop cached at the turn's start,
    // so by the clock it can fire early by as much as the turn took so far.
    assert.ok(performance.now() - started >= 1_500 - MAX_LOOP_TURN_MS, 'it waited for the invoice until its bound')
    assert.equal(report.invoiceId, undefined)
    // A note on its way when the provider stopped may be accepted after it: the cost is what the daemon shows accepted.
    assert.ok(report.cost >= accepted && report.cost > 0n)
    const notes = await documentsOf(pair.requester, 'debitNotes', watch.agreementId)
    const acceptedNotes = notes.filter(n => n.status === 'ACCEPTED' || n.status === 'SETTLED').map(n => parseEther(n.totalAmountDue))
    assert.equal(report.cost, [...acceptedNotes].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).at(-1))
    assert.deepEqual(report.rejected, [])
  })
})

describe('the payment guard handing an invoice over to the daemon', function () {
  this.timeout(240_000)
  const pair = paymentPairFixture()

  it('hands over an invoice that has not come by the bound: the daemon accepts it, the guard and its allocation gone, and the chain pays it', async () => {
    const api = testApiClient(pair.requester.client.url, TEST_APP_KEY)
    const guard = createPaymentGuard(api, { pollTimeoutSec: 2 })
    const allocation = await createAllocation(api, { budget: parseEther('50') })
    try {
      const watch = await watchedAgreement(pair, guard, allocation, parseEther('10'))
      await eventually('an accepted debit note', async () => watch.accepted.length >= 1)
      await pair.provider.stop()
      await pair.requester.client.expect(204, 'POST', `/market-api/v1/agreements/${watch.agreementId}/terminate`, { message: 'done' })
      const report = await guard.settle(watch.agreementId, { timeoutMs: 500 })
      assert.equal(report.invoiceId, undefined)
      const mandate = await guard.handOver(watch.agreementId, { activityIds: [watch.activityId] })
      assert.ok(mandate !== undefined)
      const accepted = guard.acceptedTotal(watch.agreementId)
      assert.ok(mandate.maxAmount >= accepted, 'at least what was accepted')
      assert.ok(mandate.maxAmount < parseEther('10'), 'the usage bound, below the budget')
      assert.deepEqual(await guard.handOver(watch.agreementId), mandate, 'handed over once')
      const onDaemon = await pair.requester.client.expect<any>(200, 'GET', `/agora-api/v1/payment/invoice-mandates/${watch.agreementId}`)
      assert.equal(parseEther(onDaemon.maxAmount), mandate.maxAmount)
      assert.equal(Date.parse(onDaemon.expiresAt), mandate.expiresAt)
      assert.equal((await guard.settle(watch.agreementId, { timeoutMs: 0 })).invoiceMandate, mandate)

      // The client goes: its guard stops and its allocation is released; the provider comes back and invoices.
      await guard.close()
      await allocation.release()
      const provider = await pair.restartProvider()
      const acceptedEvent = await eventOn(pair.requester, 'invoiceEvents', e => e.eventType === 'InvoiceAcceptedEvent')
      const [invoice] = await documentsOf(pair.requester, 'invoices', watch.agreementId)
      assert.equal(invoice.invoiceId, acceptedEvent.invoiceId)
      assert.ok(parseEther(invoice.amount) <= mandate.maxAmount && parseEther(invoice.amount) >= accepted)
      await eventOn(provider, 'invoiceEvents', e => e.eventType === 'InvoiceSettledEvent' && e.invoiceId === invoice.invoiceId)
      const payments = await provider.client.expect<any[]>(200, 'GET', `${P}/invoices/${invoice.invoiceId}/payments`)
      assert.equal(
        payments.reduce((sum, p) => sum + parseEther(p.amount), 0n),
        parseEther(invoice.amount),
        'paid on chain exactly the invoice'
      )
    } finally {
      await guard.close()
      await allocation.release().catch(() => {})
    }
  })
})

describe('the payment guard with a provider that inflates its CPU seconds', function () {
  this.timeout(240_000)
  // A real provider daemon whose payment flow prices 1,000 CPU seconds more than its activities used.
  const pair = paymentPairFixture('100', {
    providerComponents: {
      usageReadings: counters => ({ ...counters, 'golem.usage.cpu_sec': (counters['golem.usage.cpu_sec'] ?? 0) + 1000 })
    }
  })
  let guard: PaymentGuard
  let allocation: AllocationHandle

  before(async () => {
    const api = testApiClient(pair.requester.client.url, TEST_APP_KEY)
    guard = createPaymentGuard(api, { pollTimeoutSec: 2 })
    allocation = await createAllocation(api, { budget: parseEther('50') })
  })

  after(async () => {
    await guard?.close()
  })

  it('rejects its debit notes and its invoice with INCORRECT_AMOUNT, saying what would be accepted; the provider sees it', async () => {
    const watch = await watchedAgreement(pair, guard, allocation, parseEther('10'))
    await eventually('a rejected debit note', async () => watch.rejected.length >= 1)
    const [rejected] = watch.rejected
    assert.equal(rejected?.reason, 'INCORRECT_AMOUNT')
    assert.match(rejected?.message ?? '', /impossible usage: golem\.usage\.cpu_sec [\d.]+ is more than 4 threads × .* would accept \d/)
    assert.deepEqual(watch.accepted, [])
    const seen = await eventOn(pair.provider, 'debitNoteEvents', e => e.eventType === 'DebitNoteRejectedEvent' && e.debitNoteId === rejected?.documentId)
    assert.equal(seen.rejection.rejectionReason, 'INCORRECT_AMOUNT')
    const note = await pair.provider.client.expect<any>(200, 'GET', `${P}/debitNotes/${rejected?.documentId}`)
    assert.equal(note.status, 'REJECTED')
    assert.ok(parseEther(seen.rejection.totalAmountAccepted) < parseEther(note.totalAmountDue), 'what would be accepted is less than asked')

    await pair.requester.client.expect(204, 'POST', `/market-api/v1/agreements/${watch.agreementId}/terminate`, { message: 'done' })
    const report = await guard.settle(watch.agreementId, { timeoutMs: 60_000 })
    assert.ok(report.invoiceId !== undefined)
    assert.equal(report.cost, 0n)
    const invoiceRejection = report.rejected.find(r => r.documentId === report.invoiceId)
    assert.equal(invoiceRejection?.reason, 'INCORRECT_AMOUNT')
    const seenInvoice = await eventOn(pair.provider, 'invoiceEvents', e => e.eventType === 'InvoiceRejectedEvent' && e.invoiceId === report.invoiceId)
    assert.equal(seenInvoice.rejection.rejectionReason, 'INCORRECT_AMOUNT')
    assert.match(
      seenInvoice.rejection.message,
      /the invoice asks [\d.]+; the debit notes and the most usage the activities can have had come to [\d.]+; would accept/
    )
    const [invoice] = await documentsOf(pair.provider, 'invoices', watch.agreementId)
    assert.equal(invoice.status, 'REJECTED')
    assert.equal(parseEther(seenInvoice.rejection.totalAmountAccepted) < parseEther(invoice.amount), true)

    await allocation.release()
    await allocation.release()
    assert.equal((await pair.requester.client.call('GET', `${P}/allocations/${allocation.allocationId}`)).status, 410)
  })
})
