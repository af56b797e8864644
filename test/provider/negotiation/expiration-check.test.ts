import assert from 'node:assert/strict'
import { expirationCheck } from '../../../daemon/provider/negotiation/expiration-check.ts'
import { inputOf, NOW } from './input.ts'

const at = (sec: number, extra: Record<string, unknown> = {}) => ({ 'golem.srv.comp.expiration': NOW + sec * 1000, ...extra })
const verdictOf = (demand: Record<string, unknown>, stage: 'proposal' | 'agreement' = 'proposal', offer?: Record<string, unknown>) =>
  expirationCheck.check(inputOf({ demand, stage, ...(offer === undefined ? {} : { offer }) }))

describe('provider negotiation: expiration bounds', () => {
  it('accepts an expiration between the bounds', () => {
    assert.equal(verdictOf(at(300)).verdict, 'accept')
    assert.equal(verdictOf(at(3600)).verdict, 'accept')
  })
  it('rejects less than minAgreementSec away, and none at all', () => {
    const outcome = verdictOf(at(299))
    assert.equal(outcome.verdict === 'reject' && outcome.code, 'Expiration')
    assert.equal(verdictOf({}).verdict, 'reject')
    assert.equal(verdictOf({ 'golem.srv.comp.expiration': 'soon' }).verdict, 'reject')
  })
  it('rejects more than maxAgreementSec away', () => {
    assert.equal(verdictOf(at(86_401, { 'golem.com.scheme.payu.payment-timeout-sec?': 3600 })).verdict, 'reject')
  })
  it('beyond 10 hours requires a payment timeout (with or without the trailing ?)', () => {
    assert.equal(verdictOf(at(10 * 3600)).verdict, 'accept')
    const outcome = verdictOf(at(10 * 3600 + 1))
    assert.equal(outcome.verdict, 'reject')
    assert.match(outcome.verdict === 'reject' ? outcome.message : '', /payment-timeout-sec/)
    assert.equal(verdictOf(at(10 * 3600 + 1, { 'golem.com.scheme.payu.payment-timeout-sec?': 3600 })).verdict, 'accept')
    assert.equal(verdictOf(at(10 * 3600 + 1, { 'golem.com.scheme.payu.payment-timeout-sec': 3600 })).verdict, 'accept')
  })
  it('at approval, the payment timeout our counter set counts, and the lower bound is not asked again', () => {
    const offer = { 'golem.com.scheme.payu.payment-timeout-sec?': 3600 }
    assert.equal(verdictOf(at(11 * 3600), 'agreement', offer).verdict, 'accept')
    assert.equal(verdictOf(at(11 * 3600), 'agreement').verdict, 'reject')
    assert.equal(verdictOf(at(200), 'agreement').verdict, 'accept')
    assert.equal(verdictOf(at(-1), 'agreement').verdict, 'reject')
  })
})
