// An offer as the SDK judges it: its resources and its prices per hour in
// golemsp's terms, read exactly from the linear coefficients (per unit of each
// counter of golem.com.usage.vector, start price last): cpuPerHour is the
// cpu_sec coefficient × 3,600, envPerHour the duration_sec one × 3,600.
import { linearPricingOf, rationalOfDecimal } from '../../payment/pricing/index.ts'
import type { Rational } from '../../payment/pricing/index.ts'
import { formatAmount, TOKEN_DECIMALS } from '../../payment/model/amounts.ts'
import { SdkError } from '../errors.ts'
import type { MaxPrices, OfferSummary } from '../types.ts'

const CPU_COUNTER = 'golem.usage.cpu_sec'
const DURATION_COUNTER = 'golem.usage.duration_sec'
const SECONDS_PER_HOUR = 3_600n

/** An offer's prices, exact: per hour for the two counters golemsp prices, and the start price. */
export interface OfferPrices {
  readonly startPrice: Rational
  readonly cpuPerHour: Rational
  readonly envPerHour: Rational
  /** Counters the offer prices beyond those two (an SDK with max prices cannot bound them). */
  readonly otherPriced: readonly string[]
}

export function offerPrices(properties: Readonly<Record<string, unknown>>): OfferPrices {
  const pricing = linearPricingOf(properties)
  const perHour = (counter: string): Rational => {
    const at = pricing.usageVector.indexOf(counter)
    const coeff = at < 0 ? { num: 0n, den: 1n } : (pricing.perUnit[at] as Rational)
    return { num: coeff.num * SECONDS_PER_HOUR, den: coeff.den }
  }
  const otherPriced = pricing.usageVector.filter(
    (counter, at) => counter !== CPU_COUNTER && counter !== DURATION_COUNTER && (pricing.perUnit[at]?.num ?? 0n) > 0n
  )
  return { startPrice: pricing.start, cpuPerHour: perHour(CPU_COUNTER), envPerHour: perHour(DURATION_COUNTER), otherPriced }
}

/** The highest prices as exact rationals; a bad one is refused naming it. */
export interface PriceLimits {
  readonly startPrice?: Rational
  readonly cpuPerHour?: Rational
  readonly envPerHour?: Rational
}

export function priceLimitsOf(maxPrices: MaxPrices | undefined): PriceLimits {
  const limits: Record<string, Rational> = {}
  for (const name of ['startPrice', 'cpuPerHour', 'envPerHour'] as const) {
    const text = maxPrices?.[name]
    if (text === undefined) continue
    const value = typeof text === 'string' ? rationalOfDecimal(text) : undefined
    if (value === undefined)
      throw new SdkError('BadRequest', `maxPrices.${name} must be a decimal string of token units such as "0.5", not ${JSON.stringify(text)?.slice(0, 100)}`)
    limits[name] = value
  }
  return limits
}

/** The first price of the offer above its limit, or undefined when every one is within. */
export function priceAboveLimit(prices: OfferPrices, limits: PriceLimits): string | undefined {
  for (const name of ['startPrice', 'cpuPerHour', 'envPerHour'] as const) {
    const limit = limits[name]
    if (limit !== undefined && compare(prices[name], limit) > 0) return name
  }
  if (Object.keys(limits).length > 0 && prices.otherPriced.length > 0) return prices.otherPriced[0]
  return undefined
}

/** Orders offers cheapest first: by the cost of an hour on one thread, then the start price. */
export function cheaperFirst(a: OfferPrices, b: OfferPrices): number {
  const hourA = add(a.cpuPerHour, a.envPerHour)
  const hourB = add(b.cpuPerHour, b.envPerHour)
  return compare(hourA, hourB) || compare(a.startPrice, b.startPrice)
}

export function summaryOf(offerId: string, providerId: string, properties: Readonly<Record<string, unknown>>, prices: OfferPrices): OfferSummary {
  const number = (key: string): number | undefined => (typeof properties[key] === 'number' ? (properties[key] as number) : undefined)
  const name = properties['golem.node.id.name']
  const summary: OfferSummary = {
    offerId,
    providerId,
    runtime: String(properties['golem.runtime.name'] ?? ''),
    prices: { startPrice: decimalOf(prices.startPrice), cpuPerHour: decimalOf(prices.cpuPerHour), envPerHour: decimalOf(prices.envPerHour) },
    properties,
    ...(typeof name === 'string' ? { providerName: name } : {}),
    ...optional('cpuThreads', number('golem.inf.cpu.threads')),
    ...optional('memGib', number('golem.inf.mem.gib')),
    ...optional('storageGib', number('golem.inf.storage.gib'))
  }
  return summary
}

/** Token units, exact to the token's base unit (rounded down). */
export function decimalOf(value: Rational): string {
  return formatAmount(baseUnitsOf(value))
}

export function baseUnitsOf(value: Rational): bigint {
  return (value.num * 10n ** BigInt(TOKEN_DECIMALS)) / value.den
}

export function add(a: Rational, b: Rational): Rational {
  return { num: a.num * b.den + b.num * a.den, den: a.den * b.den }
}

export function times(a: Rational, b: Rational): Rational {
  return { num: a.num * b.num, den: a.den * b.den }
}

function compare(a: Rational, b: Rational): number {
  const left = a.num * b.den
  const right = b.num * a.den
  return left < right ? -1 : left > right ? 1 : 0
}

function optional<K extends string>(key: K, value: number | undefined): { [P in K]?: number } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: number }
}
