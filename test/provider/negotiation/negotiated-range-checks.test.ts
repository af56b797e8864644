// The three terms negotiated within a range, each by its own check.
import assert from 'node:assert/strict'
import { acceptTimeoutCheck } from '../../../daemon/provider/negotiation/accept-timeout-check.ts'
import { debitNoteIntervalCheck } from '../../../daemon/provider/negotiation/debit-note-interval-check.ts'
import { paymentTimeoutCheck } from '../../../daemon/provider/negotiation/payment-timeout-check.ts'
import type { NegotiationCheck } from '../../../daemon/provider/negotiation/index.ts'
import { inputOf, SETTINGS } from './input.ts'

const cases: Array<{
  check: NegotiationCheck
  property: string
  range: { minSec: number; maxSec: number; preferredSec: number }
  absent: 'preferred' | 'omit'
  code: string
}> = [
  {
    check: debitNoteIntervalCheck,
    property: 'golem.com.scheme.payu.debit-note.interval-sec?',
    range: SETTINGS.debitNoteInterval,
    absent: 'preferred',
    code: 'DebitNoteInterval'
  },
  {
    check: acceptTimeoutCheck,
    property: 'golem.com.payment.debit-notes.accept-timeout?',
    range: SETTINGS.acceptTimeout,
    absent: 'preferred',
    code: 'AcceptTimeout'
  },
  { check: paymentTimeoutCheck, property: 'golem.com.scheme.payu.payment-timeout-sec?', range: SETTINGS.paymentTimeout, absent: 'omit', code: 'PaymentTimeout' }
]

for (const { check, property, range, absent, code } of cases) {
  describe(`provider negotiation: ${check.name} within ${range.minSec}..${range.maxSec} s`, () => {
    const propose = (value: unknown) => check.check(inputOf({ demand: { [property]: value } }))
    it("adopts the requester's value when in range (both ends included)", () => {
      for (const value of [range.minSec, range.maxSec, Math.floor((range.minSec + range.maxSec) / 2)]) {
        const outcome = propose(value)
        assert.equal(outcome.verdict, 'accept')
        assert.equal(outcome.verdict === 'accept' && outcome.properties?.[property], value)
      }
    })
    it('also reads the name without the trailing ?', () => {
      const outcome = check.check(inputOf({ demand: { [property.replace(/\?$/, '')]: range.minSec } }))
      assert.equal(outcome.verdict === 'accept' && outcome.properties?.[property], range.minSec)
    })
    it('counters with the preferred value when out of range or not a number', () => {
      for (const value of [range.minSec - 1, range.maxSec + 1, 'often', -5]) {
        const outcome = propose(value)
        assert.equal(outcome.verdict, 'counter', String(value))
        assert.equal(outcome.verdict === 'counter' && outcome.properties[property], range.preferredSec)
      }
    })
    it(absent === 'preferred' ? 'sets the preferred value when the requester names none' : 'leaves the term out when the requester names none', () => {
      const outcome = check.check(inputOf({ demand: {}, offer: { [property]: 999 } }))
      assert.equal(outcome.verdict, 'accept')
      const properties = outcome.verdict === 'accept' ? (outcome.properties ?? {}) : {}
      assert.ok(property in properties)
      assert.equal(properties[property], absent === 'preferred' ? range.preferredSec : undefined)
    })
    it('at approval, rejects an agreement whose value is out of range, and accepts one in range', () => {
      const outcome = check.check(inputOf({ stage: 'agreement', demand: { [property]: range.minSec }, offer: { [property]: range.maxSec + 1 } }))
      assert.equal(outcome.verdict === 'reject' && outcome.code, code)
      assert.equal(
        check.check(inputOf({ stage: 'agreement', demand: { [property]: range.maxSec + 1 }, offer: { [property]: range.minSec } })).verdict,
        'accept'
      )
    })
  })
}
