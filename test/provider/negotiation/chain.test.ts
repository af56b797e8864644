import assert from 'node:assert/strict'
import { runChain } from '../../../daemon/provider/negotiation/index.ts'
import { inputOf, OFFER } from './input.ts'

describe('provider negotiation: the chain', () => {
  it('a requester proposal that passes is answered with the offer and the adopted values', () => {
    const outcome = runChain(inputOf({ demand: { ...inputOf().demand, 'golem.com.scheme.payu.debit-note.interval-sec?': 60 } }))
    assert.equal(outcome.verdict, 'counter')
    if (outcome.verdict !== 'counter') return
    assert.deepEqual(outcome.changed, [])
    assert.equal(outcome.properties['golem.com.scheme.payu.debit-note.interval-sec?'], 60)
    assert.equal(outcome.properties['golem.com.payment.debit-notes.accept-timeout?'], 240)
    assert.equal('golem.com.scheme.payu.payment-timeout-sec?' in outcome.properties, false)
    assert.equal(outcome.properties['golem.runtime.name'], OFFER['golem.runtime.name'])
  })
  it('names each check that changed a value', () => {
    const outcome = runChain(inputOf({ demand: { ...inputOf().demand, 'golem.com.payment.debit-notes.accept-timeout?': 5 } }))
    assert.equal(outcome.verdict, 'counter')
    assert.deepEqual(outcome.verdict === 'counter' && outcome.changed.map(c => c.split(':')[0]), ['accept-timeout'])
  })
  it("the first refusal is the chain's, with a reason naming its check and code", () => {
    const outcome = runChain(inputOf({ liveAgreements: 5, demand: {} }))
    assert.equal(outcome.verdict, 'reject')
    if (outcome.verdict !== 'reject') return
    assert.equal((outcome.reason as Record<string, unknown>)['golem.provider.code'], 'PaymentPlatform')
    assert.equal((outcome.reason as Record<string, unknown>)['agora.provider.check'], 'payment-platform')
    assert.equal(typeof outcome.reason.message, 'string')
  })
})
