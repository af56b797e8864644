import assert from 'node:assert/strict'
import { priceCheck } from '../../../daemon/provider/negotiation/price-check.ts'
import { inputOf, OFFER } from './input.ts'

const COEFFS = 'golem.com.pricing.model.linear.coeffs'

describe('provider negotiation: price', () => {
  it("a demand without a price is answered with the preset's coefficients", () => {
    const outcome = priceCheck.check(inputOf())
    assert.equal(outcome.verdict, 'accept')
    assert.deepEqual(outcome.verdict === 'accept' && outcome.properties?.[COEFFS], OFFER[COEFFS])
  })
  it("a demand with lower coefficients is countered with the preset's", () => {
    const outcome = priceCheck.check(inputOf({ demand: { [COEFFS]: [0.0001, 0.00004, 0.01] } }))
    assert.equal(outcome.verdict, 'counter')
    assert.deepEqual(outcome.verdict === 'counter' && outcome.properties[COEFFS], OFFER[COEFFS])
    assert.match(outcome.verdict === 'counter' ? outcome.why : '', /golem\.usage\.duration_sec/)
  })
  it("a demand with other (even higher) coefficients is countered with the preset's; the very same ones accepted", () => {
    assert.equal(priceCheck.check(inputOf({ demand: { [COEFFS]: [1, 1, 1] } })).verdict, 'counter')
    assert.equal(priceCheck.check(inputOf({ demand: { [COEFFS]: [0.0001, 0.00005, 0.01] } })).verdict, 'accept')
    assert.equal(priceCheck.check(inputOf({ demand: { [COEFFS]: 'cheap' } })).verdict, 'counter')
  })
  it('at approval, rejects an agreement priced below the preset, exactly (the start price too)', () => {
    const agreement = (coeffs: unknown[]) => priceCheck.check(inputOf({ stage: 'agreement', demand: {}, offer: { ...OFFER, [COEFFS]: coeffs } }))
    assert.equal(agreement([0.0001, 0.00005, 0.01]).verdict, 'accept')
    assert.equal(agreement([0.0002, 0.00005, 0.01]).verdict, 'accept')
    const below = agreement([0.0001, 0.00005, 0.0099999999])
    assert.equal(below.verdict === 'reject' && below.code, 'Price')
    assert.match(below.verdict === 'reject' ? below.message : '', /start price/)
    assert.equal(agreement([0.0001, 0.000049, 0.01]).verdict, 'reject')
  })
  it('at approval, an agreement that leaves a counter of ours unpriced is rejected', () => {
    const outcome = priceCheck.check(
      inputOf({ stage: 'agreement', demand: {}, offer: { ...OFFER, 'golem.com.usage.vector': ['golem.usage.cpu_sec'], [COEFFS]: [1, 1] } })
    )
    assert.equal(outcome.verdict, 'reject')
  })
  it('an offer without a valid price refuses to deal', () => {
    assert.equal(priceCheck.check(inputOf({ published: { ...OFFER, [COEFFS]: [-1, 0, 0] } })).verdict, 'reject')
  })
})
