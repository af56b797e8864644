// The linear price model Golem agreements carry: `golem.com.pricing.model`
// "linear", coefficients `golem.com.pricing.model.linear.coeffs` in whole
// tokens per unit of each counter of `golem.com.usage.vector`, in that order,
// with the start price last. The cost of a usage vector is computed exactly
// (see rational.ts) and rounded down to the token's base unit once, at the end.
import { PaymentError } from '../model/payment-error.ts'
import { TOKEN_DECIMALS } from '../model/amounts.ts'
import { add, floorTimes, multiply, rationalOfDecimal, rationalOfNumber, ZERO } from './rational.ts'
import type { Rational } from './rational.ts'

export const PRICING_PROPERTIES = Object.freeze({
  model: 'golem.com.pricing.model',
  coeffs: 'golem.com.pricing.model.linear.coeffs',
  usageVector: 'golem.com.usage.vector'
})

/** Counters priced per agreement; more is not a price list anyone sends. */
const MAX_COUNTERS = 64

export interface LinearPricing {
  /** Counter names, in the agreement's order. */
  readonly usageVector: readonly string[]
  /** Per counter, in whole tokens per unit. */
  readonly perUnit: readonly Rational[]
  /** In whole tokens, charged once. */
  readonly start: Rational
}

/** Reads the price model of an agreement's flat properties; throws BadRequest naming the property that is wrong. */
export function linearPricingOf(properties: Readonly<Record<string, unknown>>): LinearPricing {
  const model = properties[PRICING_PROPERTIES.model]
  if (model !== undefined && model !== 'linear') {
    throw new PaymentError('BadRequest', `${PRICING_PROPERTIES.model} must be "linear", not ${JSON.stringify(model)?.slice(0, 100)}`)
  }
  const vector = properties[PRICING_PROPERTIES.usageVector]
  if (!Array.isArray(vector) || vector.length > MAX_COUNTERS || !vector.every(name => typeof name === 'string' && name !== '')) {
    throw new PaymentError('BadRequest', `${PRICING_PROPERTIES.usageVector} must be a list of up to ${MAX_COUNTERS} counter names`)
  }
  if (new Set(vector).size !== vector.length) throw new PaymentError('BadRequest', `${PRICING_PROPERTIES.usageVector} names a counter twice`)
  const coeffs = properties[PRICING_PROPERTIES.coeffs]
  if (!Array.isArray(coeffs)) throw new PaymentError('BadRequest', `${PRICING_PROPERTIES.coeffs} must be a list of prices`)
  if (coeffs.length !== vector.length + 1) {
    throw new PaymentError(
      'BadRequest',
      `${PRICING_PROPERTIES.coeffs} has ${coeffs.length} prices; ${PRICING_PROPERTIES.usageVector} names ${vector.length} counters, so it must have ${vector.length + 1} (the start price last)`
    )
  }
  const prices = coeffs.map((coeff: unknown, index: number) => {
    const price = typeof coeff === 'number' ? rationalOfNumber(coeff) : typeof coeff === 'string' ? rationalOfDecimal(coeff) : undefined
    if (price === undefined) {
      throw new PaymentError(
        'BadRequest',
        `${PRICING_PROPERTIES.coeffs}[${index}] must be a finite non-negative number or decimal string, not ${String(JSON.stringify(coeff)).slice(0, 100)}`
      )
    }
    return price
  })
  return { usageVector: vector as string[], perUnit: prices.slice(0, -1), start: prices.at(-1) as Rational }
}

/**
 * The cumulative cost of `counters` (by name; a counter not reported counts as
 * 0) in base units: Σ coeff × usage + start, exact, × 10^decimals, rounded down.
 */
export function priceOf(pricing: LinearPricing, counters: Readonly<Record<string, number>>, decimals: number = TOKEN_DECIMALS): bigint {
  let total = pricing.start
  pricing.usageVector.forEach((name, index) => {
    const reading = counters[name] ?? 0
    const usage = rationalOfNumber(reading)
    if (usage === undefined) throw new PaymentError('BadRequest', `usage counter ${name} must be a finite non-negative number, not ${reading}`)
    total = add(total, multiply(pricing.perUnit[index] ?? ZERO, usage))
  })
  return floorTimes(total, 10n ** BigInt(decimals))
}

/** The counters in the agreement's order (a debit note's usageCounterVector). */
export function usageVectorOf(pricing: LinearPricing, counters: Readonly<Record<string, number>>): number[] {
  return pricing.usageVector.map(name => counters[name] ?? 0)
}
