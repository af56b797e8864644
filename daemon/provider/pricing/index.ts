// The provider's prices: golemsp's per-hour terms to the offer's per-second linear coefficients, and back.
export { coeffsOf, linearPriceProperties, pricingOfCoeffs, USAGE_VECTOR, CPU_SEC, DURATION_SEC } from './linear-coeffs.ts'
export type { LinearPriceProperties } from './linear-coeffs.ts'
export { nearestDouble } from './nearest-double.ts'
export { withDatasetPrice } from './data-price.ts'
