import assert from 'node:assert/strict'
import { agreementLimitCheck } from '../../../daemon/provider/negotiation/agreement-limit-check.ts'
import { inputOf } from './input.ts'

describe('provider negotiation: agreement limit', () => {
  it('accepts below the limit and rejects at it', () => {
    assert.equal(agreementLimitCheck.check(inputOf({ liveAgreements: 1, settings: { maxAgreements: 2 } })).verdict, 'accept')
    const outcome = agreementLimitCheck.check(inputOf({ liveAgreements: 2, settings: { maxAgreements: 2 } }))
    assert.equal(outcome.verdict === 'reject' && outcome.code, 'AgreementLimit')
  })
  it('a limit of 0 refuses every agreement', () => {
    assert.equal(agreementLimitCheck.check(inputOf({ liveAgreements: 0, settings: { maxAgreements: 0 } })).verdict, 'reject')
  })
})
