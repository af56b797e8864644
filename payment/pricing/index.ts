// Exact pricing of usage by an agreement's linear price model.
export { linearPricingOf, priceOf, usageVectorOf, PRICING_PROPERTIES } from './linear-pricing.ts'
export type { LinearPricing } from './linear-pricing.ts'
export { rationalOfDecimal, rationalOfNumber } from './rational.ts'
export type { Rational } from './rational.ts'
