// The guard's checks of one debit note and of an invoice, exactly: the amount
// must be the floor of the agreed price of the reported usage (one base unit
// off is refused), the usage possible in the elapsed time (with the slack), and
// nothing lower than the note accepted before; each refusal says what it would
// accept. The invoice may ask what the notes and the most possible usage allow.
import assert from 'node:assert/strict'
import { formatAmount } from '../../payment/model/amounts.ts'
import { linearPricingOf, priceOf } from '../../payment/pricing/index.ts'
import type { GuardTerms } from '../../sdk/payments/agreement-terms.ts'
import { checkInvoice, invoiceBound } from '../../sdk/payments/invoice-checks.ts'
import { checkDebitNote, clampedCounters, DEFAULT_SLACK } from '../../sdk/payments/usage-checks.ts'

const CPU = 'golem.usage.cpu_sec'
const DURATION = 'golem.usage.duration_sec'
// Prices whose products are not whole base units, so the provider's floor matters.
const terms: GuardTerms = {
  pricing: linearPricingOf({
    'golem.com.pricing.model': 'linear',
    'golem.com.usage.vector': [CPU, DURATION],
    'golem.com.pricing.model.linear.coeffs': ['0.000000000000000007', '0.0000333333333333333', '0.01']
  }),
  threads: 2
}
const price = (cpu: number, duration: number): bigint => priceOf(terms.pricing, { [CPU]: cpu, [DURATION]: duration })
const slack = { durationSec: 1, durationShare: 0, cpuSec: 1 }

describe("the guard's debit note checks", () => {
  it('accepts the exact floor of the agreed price of the usage, and refuses one base unit more or less', () => {
    const amount = price(3.3, 10.1)
    assert.deepEqual(checkDebitNote(terms, { vector: [3.3, 10.1], amount }, undefined, 12, slack), { ok: true })
    // Never more than the note asks: one unit less is accepted at most at what it asks.
    for (const [wrong, acceptable] of [
      [amount + 1n, amount],
      [amount - 1n, amount - 1n]
    ] as const) {
      const verdict = checkDebitNote(terms, { vector: [3.3, 10.1], amount: wrong }, undefined, 12, slack)
      assert.equal(verdict.ok, false)
      if (verdict.ok) continue
      assert.equal(verdict.acceptable, acceptable)
      assert.match(
        verdict.message,
        new RegExp(`is not the agreed price of the usage reported \\(cpu_sec 3.3, duration_sec 10.1\\): that is ${formatAmount(amount)}`)
      )
    }
  })

  it('refuses a duration beyond the elapsed time and CPU beyond threads × duration, accepting the usage cut down', () => {
    const long = checkDebitNote(terms, { vector: [1, 20], amount: price(1, 20) }, undefined, 10, slack)
    assert.equal(long.ok, false)
    if (!long.ok) {
      assert.match(long.message, /golem\.usage\.duration_sec 20 is more than the 10 s the activity can have run \(11 s with the slack\)/)
      assert.equal(long.acceptable, price(1, 11))
    }
    const busy = checkDebitNote(terms, { vector: [30, 10], amount: price(30, 10) }, undefined, 10, slack)
    assert.equal(busy.ok, false)
    if (!busy.ok) {
      assert.match(busy.message, /golem\.usage\.cpu_sec 30 is more than 2 threads × 10 s \(21 s with the slack\)/)
      assert.equal(busy.acceptable, price(21, 10))
    }
    // Within the slack: accepted.
    assert.deepEqual(checkDebitNote(terms, { vector: [21, 11], amount: price(21, 11) }, undefined, 10, slack), { ok: true })
  })

  it('refuses usage or amounts that go down from the note accepted before, accepting no more than that one', () => {
    const previous = { vector: [2, 8], amount: price(2, 8) }
    const verdict = checkDebitNote(terms, { vector: [1, 9], amount: price(1, 9) }, previous, 10, slack)
    assert.equal(verdict.ok, false)
    if (!verdict.ok) {
      assert.match(verdict.message, /golem\.usage\.cpu_sec went down from the note accepted before/)
      assert.ok(price(1, 9) > previous.amount, 'the amount rose while a counter went down')
      assert.equal(verdict.acceptable, previous.amount)
    }
    assert.deepEqual(checkDebitNote(terms, { vector: [2, 9], amount: price(2, 9) }, previous, 10, slack), { ok: true })
  })

  it('refuses a usage vector of the wrong length or with a negative counter', () => {
    for (const vector of [[1], [1, 2, 3], [-1, 2]]) {
      const verdict = checkDebitNote(terms, { vector, amount: price(1, 2) }, undefined, 10, slack)
      assert.equal(verdict.ok, false)
      if (!verdict.ok) assert.match(verdict.message, /must have 2 non-negative counters \(golem\.usage\.cpu_sec, golem\.usage\.duration_sec\)/)
    }
  })

  it('has a default slack of 2 s and 1 % of the elapsed time, and 2 CPU seconds', () => {
    assert.deepEqual(DEFAULT_SLACK, { durationSec: 2, durationShare: 0.01, cpuSec: 2 })
    assert.deepEqual(clampedCounters(terms, { [CPU]: 1000, [DURATION]: 1000 }, 100, DEFAULT_SLACK), { [CPU]: 2 * 103 + 2, [DURATION]: 103 })
  })
})

describe("the guard's invoice check", () => {
  it('allows what the accepted notes and the most usage since allow, and no more', () => {
    const accepted = price(2, 8)
    const facts = {
      activityIds: ['a1'],
      basis: new Map([['a1', { vector: [2, 8] }]]),
      accepted: new Map([['a1', accepted]]),
      startedAt: 0,
      now: 12_000
    }
    // Duration at most 12 s (+1 slack); CPU at most 2 + 2 threads × (13 − 8) + 1.
    const bound = invoiceBound(terms, facts, slack)
    assert.equal(bound, price(2 + 2 * 5 + 1, 13))
    assert.deepEqual(checkInvoice(bound, bound, accepted), { ok: true })
    const over = checkInvoice(bound + 1n, bound, accepted)
    assert.equal(over.ok, false)
    if (!over.ok) assert.equal(over.acceptable, bound)
    const under = checkInvoice(accepted - 1n, bound, accepted)
    assert.equal(under.ok, false)
  })

  it('bounds an activity with no reading from when the activities could begin', () => {
    const facts = { activityIds: ['a2'], basis: new Map(), accepted: new Map(), startedAt: 1_000, now: 6_000 }
    assert.equal(invoiceBound(terms, facts, slack), price(2 * 6 + 1, 6))
  })
})
