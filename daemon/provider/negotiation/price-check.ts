// The price: our counter-proposal always carries the preset's linear
// coefficients (never lower ones a requester wrote in), and an agreement is
// approved only when none of its coefficients is below the preset's, counter
// by counter, compared exactly.
import { linearPricingOf, PRICING_PROPERTIES } from '../../../payment/index.ts'
import type { LinearPricing } from '../../../payment/index.ts'
import { accept, counter, reject } from './check.ts'
import type { NegotiationCheck } from './check.ts'

export const priceCheck: NegotiationCheck = {
  name: 'price',
  check({ stage, demand, offer, published }) {
    const preset = pricingOf(published)
    if (preset === undefined) return reject('Price', `this provider's offer has no valid linear price (${PRICING_PROPERTIES.coeffs})`)
    const ours = {
      [PRICING_PROPERTIES.model]: 'linear',
      [PRICING_PROPERTIES.usageVector]: published[PRICING_PROPERTIES.usageVector],
      [PRICING_PROPERTIES.coeffs]: published[PRICING_PROPERTIES.coeffs]
    }
    if (stage === 'agreement') {
      // The payment flow prices by the offer's coefficients where both sides name them.
      const agreed = pricingOf({ ...demand, ...offer })
      if (agreed === undefined) return reject('Price', `the agreement has no valid linear price (${PRICING_PROPERTIES.coeffs})`)
      const below = firstBelow(agreed, preset)
      return below === undefined ? accept() : reject('Price', `the agreement's price ${below} is below this provider's`)
    }
    if (demand[PRICING_PROPERTIES.coeffs] === undefined && demand[PRICING_PROPERTIES.usageVector] === undefined) return accept(ours)
    const asked = pricingOf({ ...published, ...demand })
    if (asked === undefined) return counter(ours, `the demand's ${PRICING_PROPERTIES.coeffs} is not a valid linear price`)
    const below = firstBelow(asked, preset)
    if (below !== undefined) return counter(ours, `the demand's price ${below} is below this provider's`)
    return sameAs(asked, preset) ? accept(ours) : counter(ours, `the demand's price differs from this provider's`)
  }
}

function pricingOf(properties: Readonly<Record<string, unknown>>): LinearPricing | undefined {
  try {
    return linearPricingOf(properties)
  } catch {
    return undefined
  }
}

/** The first coefficient of `agreed` below the preset's (by counter name; the start price too), or undefined. */
function firstBelow(agreed: LinearPricing, preset: LinearPricing): string | undefined {
  if (less(agreed.start, preset.start)) return 'start price'
  for (const [index, name] of preset.usageVector.entries()) {
    const at = agreed.usageVector.indexOf(name)
    // A counter of ours the agreement does not price is charged nothing: below.
    if (at < 0) return `for ${name} (not priced)`
    if (less(agreed.perUnit[at]!, preset.perUnit[index]!)) return `for ${name}`
  }
  return undefined
}

function sameAs(a: LinearPricing, b: LinearPricing): boolean {
  return (
    a.usageVector.length === b.usageVector.length &&
    a.usageVector.every((name, i) => name === b.usageVector[i] && equal(a.perUnit[i]!, b.perUnit[i]!)) &&
    equal(a.start, b.start)
  )
}

type Exact = LinearPricing['start']
const less = (a: Exact, b: Exact): boolean => a.num * b.den < b.num * a.den
const equal = (a: Exact, b: Exact): boolean => a.num * b.den === b.num * a.den
