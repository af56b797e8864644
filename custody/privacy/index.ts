// Differential privacy for an owner's contributions: exact discrete samplers,
// the noise one owner adds, and the ε ledger per dataset.
export { noise, noiseParameters, MAX_NOISE_LENGTH, MAX_FRACTIONAL_BITS } from './noise.ts'
export type { NoiseParameters } from './noise.ts'
export { openPrivacyLedger, PrivacyBudgetError, EPSILON_BUDGET_RULE } from './ledger.ts'
export type { PrivacyLedgerComponents } from './ledger.ts'
export { cryptoRandom, PooledRandom } from './random-source.ts'
export type { RandomSource } from './random-source.ts'
export { bernoulli, bernoulliExpNeg } from './bernoulli.ts'
export { discreteLaplace, discreteGaussian } from './discrete.ts'
export { parseDecimal, rational, toNumber } from './rational.ts'
export type { Rational } from './rational.ts'
