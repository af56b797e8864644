// golemsp's prices (a start price, per hour of CPU, per hour of the
// environment, as decimal token strings) as the offer's linear price model:
// `golem.com.pricing.model.linear.coeffs` in `golem.com.usage.vector` order —
// CPU seconds, then duration seconds — with the start price last, the order
// payment/pricing reads. A per-hour price becomes a per-second coefficient as
// the exact rational price/3600, published as the nearest double (offers carry
// JSON numbers: golem-js reads them as such).
import { rationalOfDecimal, rationalOfNumber } from '../../../payment/pricing/index.ts'
import type { Rational } from '../../../payment/pricing/index.ts'
import { formatAmount, parseAmount, TOKEN_DECIMALS } from '../../../payment/model/amounts.ts'
import type { PresetPricing } from '../model.ts'
import { nearestDouble } from './nearest-double.ts'

export const CPU_SEC = 'golem.usage.cpu_sec'
export const DURATION_SEC = 'golem.usage.duration_sec'
/** The counters an offer prices, in the coefficients' order. */
export const USAGE_VECTOR: readonly string[] = Object.freeze([CPU_SEC, DURATION_SEC])
const SECONDS_PER_HOUR = 3600n

export type LinearPriceProperties = {
  'golem.com.pricing.model': 'linear'
  'golem.com.pricing.model.linear.coeffs': number[]
  'golem.com.usage.vector': string[]
}

/** The per-second coefficients of a preset's prices: [cpu/s, env/s, start]. */
export function coeffsOf(pricing: PresetPricing): number[] {
  const perSecond = (text: string, what: string): number => nearestDouble(divide(exactPrice(text, what), SECONDS_PER_HOUR))
  return [
    perSecond(pricing.cpuPerHour, 'cpuPerHour'),
    perSecond(pricing.envPerHour, 'envPerHour'),
    nearestDouble(exactPrice(pricing.startingFee, 'startingFee'))
  ]
}

export function linearPriceProperties(pricing: PresetPricing): LinearPriceProperties {
  return {
    'golem.com.pricing.model': 'linear',
    'golem.com.pricing.model.linear.coeffs': coeffsOf(pricing),
    'golem.com.usage.vector': [...USAGE_VECTOR]
  }
}

/**
 * The reverse, for status and the CLI: the per-hour prices a linear model
 * states, as the shortest decimal strings (at most the token's decimals) that
 * convert back to the same coefficients — so golemsp's "0.1" shows as "0.1".
 * A counter the model does not price counts as free.
 */
export function pricingOfCoeffs(usageVector: readonly string[], coeffs: readonly number[]): PresetPricing {
  const coeffFor = (counter: string): number => {
    const index = usageVector.indexOf(counter)
    return index < 0 ? 0 : (coeffs[index] ?? 0)
  }
  return {
    startingFee: shortestDecimal(coeffs[usageVector.length] ?? 0, 1n),
    envPerHour: shortestDecimal(coeffFor(DURATION_SEC), SECONDS_PER_HOUR),
    cpuPerHour: shortestDecimal(coeffFor(CPU_SEC), SECONDS_PER_HOUR)
  }
}

/** The shortest decimal d with nearestDouble(d / per) === coeff; else coeff × per rounded to the token's decimals. */
function shortestDecimal(coeff: number, per: bigint): string {
  const exact = rationalOfNumber(coeff)
  if (exact === undefined) throw new RangeError(`a price coefficient must be a finite non-negative number, not ${coeff}`)
  const scaled = { num: exact.num * per, den: exact.den }
  for (let decimals = 0; decimals <= TOKEN_DECIMALS; decimals++) {
    const scale = 10n ** BigInt(decimals)
    const units = roundHalfUp(scaled, scale)
    if (nearestDouble(divide({ num: units, den: scale }, per)) === coeff) return formatAmount(units * 10n ** BigInt(TOKEN_DECIMALS - decimals))
  }
  return formatAmount(roundHalfUp(scaled, 10n ** BigInt(TOKEN_DECIMALS)))
}

function exactPrice(text: string, what: string): Rational {
  parseAmount(text, what) // strict: no sign, exponent or more decimals than the token has
  return rationalOfDecimal(text) as Rational
}

function divide(value: Rational, by: bigint): Rational {
  return { num: value.num, den: value.den * by }
}

/** round(value × scale), halves up. */
function roundHalfUp(value: Rational, scale: bigint): bigint {
  return (2n * value.num * scale + value.den) / (2n * value.den)
}
