import assert from 'node:assert/strict'
import { terminationVerdict } from '../../../daemon/provider/deals/termination-reasons.ts'
import type { DealFacts, PayableNote } from '../../../daemon/provider/deals/termination-reasons.ts'

const T0 = 1_800_000_000_000
const facts = (change: Partial<DealFacts> = {}): DealFacts => ({
  now: T0 + 1000,
  approvedAt: T0,
  activityRunning: true,
  lastActivityAt: undefined,
  idleAfterMs: 600_000,
  payableNotes: [],
  settlement: 'direct',
  paymentGraceMs: 60_000,
  unreachableSince: undefined,
  unreachableAfterMs: 300_000,
  ...change
})
const note = (change: Partial<PayableNote> = {}): PayableNote => ({
  debitNoteId: 'n1',
  activityId: 'a1',
  amount: 10n,
  status: 'ACCEPTED',
  paymentDueDate: T0 + 100_000,
  ...change
})

describe('provider deals: why an agreement is ended', () => {
  it('a healthy agreement is left alone', () => {
    assert.equal(terminationVerdict(facts()), undefined)
  })
  it('NoActivity: idle for the idle time since approval or the last activity, not before, and never while one runs', () => {
    assert.equal(terminationVerdict(facts({ activityRunning: false, now: T0 + 599_999 })), undefined)
    assert.equal(terminationVerdict(facts({ activityRunning: false, now: T0 + 600_000 }))?.code, 'NoActivity')
    assert.equal(terminationVerdict(facts({ activityRunning: false, now: T0 + 700_000, lastActivityAt: T0 + 200_000 })), undefined)
    assert.equal(terminationVerdict(facts({ activityRunning: true, now: T0 + 10 * 600_000 })), undefined)
    assert.equal(terminationVerdict(facts({ activityRunning: false, now: T0 + 600_000 }))?.reason['golem.provider.code' as 'message'], 'NoActivity')
  })
  it('DebitNoteNotPaid: a payable note not paid by its due date plus the grace', () => {
    const unpaid = facts({ payableNotes: [note()], now: T0 + 160_000 })
    assert.equal(terminationVerdict({ ...unpaid, now: T0 + 159_999 }), undefined)
    const verdict = terminationVerdict(unpaid)
    assert.equal(verdict?.code, 'DebitNoteNotPaid')
    assert.equal(((verdict?.reason ?? {}) as Record<string, unknown>)['agora.provider.debit-note'], 'n1')
    assert.equal(terminationVerdict({ ...unpaid, payableNotes: [note({ status: 'SETTLED' })] }), undefined)
  })
  it('a later note of the same activity paid pays the earlier one (notes are cumulative); another activity’s does not', () => {
    const later = note({ debitNoteId: 'n2', amount: 20n, status: 'SETTLED', paymentDueDate: T0 + 200_000 })
    assert.equal(terminationVerdict(facts({ payableNotes: [note(), later], now: T0 + 160_000 })), undefined)
    assert.equal(terminationVerdict(facts({ payableNotes: [note(), { ...later, activityId: 'a2' }], now: T0 + 160_000 }))?.code, 'DebitNoteNotPaid')
  })
  it('under escrow an accepted note is paid (its voucher is claimable); an issued one is not', () => {
    assert.equal(terminationVerdict(facts({ settlement: 'escrow', payableNotes: [note()], now: T0 + 160_000 })), undefined)
    assert.equal(terminationVerdict(facts({ settlement: 'escrow', payableNotes: [note({ status: 'ISSUED' })], now: T0 + 160_000 }))?.code, 'DebitNoteNotPaid')
  })
  it('RequestorUnreachable: deliveries failing for the configured time', () => {
    assert.equal(terminationVerdict(facts({ unreachableSince: T0, now: T0 + 299_999 })), undefined)
    assert.equal(terminationVerdict(facts({ unreachableSince: T0, now: T0 + 300_000 }))?.code, 'RequestorUnreachable')
  })
})
