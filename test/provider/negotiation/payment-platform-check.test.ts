import assert from 'node:assert/strict'
import { paymentPlatformCheck } from '../../../daemon/provider/negotiation/payment-platform-check.ts'
import { inputOf } from './input.ts'

describe('provider negotiation: payment platform check', () => {
  it('accepts a chosen platform the node supports', () => {
    assert.deepEqual(paymentPlatformCheck.check(inputOf()), { verdict: 'accept' })
  })
  it('rejects a demand that chooses no platform', () => {
    const outcome = paymentPlatformCheck.check(inputOf({ demand: { 'golem.srv.comp.expiration': 1 } }))
    assert.equal(outcome.verdict, 'reject')
    assert.equal(outcome.verdict === 'reject' && outcome.code, 'PaymentPlatform')
  })
  it('rejects a platform the node cannot be paid on, naming it', () => {
    const outcome = paymentPlatformCheck.check(inputOf({ demand: { 'golem.com.payment.chosen-platform': 'erc20-polygon-glm' } }))
    assert.equal(outcome.verdict, 'reject')
    assert.match(outcome.verdict === 'reject' ? outcome.message : '', /erc20-polygon-glm/)
  })
})
