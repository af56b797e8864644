// The noise one owner adds to its fixed-point contribution (units of
// 2^−fractionalBits) before it is masked for secure aggregation.
//
// Laplace (ε-DP): every owner adds a full discrete Laplace of scale Δ₁/ε, so
// its own guarantee holds whatever the other owners do (even if all of them
// collude with the aggregator): the sum is its noisy input plus values that do
// not depend on its data. The price is n times the variance in the sum.
//
// Gaussian ((ε, δ)-DP): the discrete Gaussian of variance σ² with L2
// sensitivity Δ₂ is ρ-zCDP with ρ = Δ₂²/(2σ²) (Canonne, Kamath, Steinke 2020),
// and ρ-zCDP gives (ρ + 2√(ρ·ln(1/δ)), δ)-DP (Bun, Steinke 2016). Solving for
// the smallest σ² that gives (ε, δ):
//   σ² = Δ₂² · (√(L + ε) + √L)² / (2ε²),  L = ln(1/δ),
// computed as a rational upper bound (ln and √ bounded from above). Each owner
// adds σ²/threshold, so any threshold honest contributions in the sum carry at
// least σ². The sum of discrete Gaussians is close to, not exactly, a discrete
// Gaussian (Kairouz, Liu, Steinke, ICML 2021, bound the gap; it vanishes as
// σ²/threshold grows): the docs name this.
//
// Sensitivities are given in the vector's own units; in fixed point they are
// Δ·2^f, widened for the encoding's rounding (each coordinate moves by at
// most one more unit): Δ₁ + length, Δ₂ + √length.
import { CodedError } from '../../net/kernel.ts'
import type { PrivacyPolicy } from '../model.ts'
import { lnUpper, sqrtUpper } from './bounds.ts'
import { discreteGaussian, discreteLaplace } from './discrete.ts'
import { PooledRandom, type RandomSource, cryptoRandom } from './random-source.ts'
import { type Rational, add, compare, div, mul, parseDecimal, rational, roundUp } from './rational.ts'

export const MAX_NOISE_LENGTH = 1_000_000
export const MAX_FRACTIONAL_BITS = 64

/** What one owner's noise is drawn from, in fixed-point units. */
export type NoiseParameters = { readonly mechanism: 'laplace'; readonly scale: Rational } | { readonly mechanism: 'gaussian'; readonly variance: Rational }

/** The per-owner distribution for a policy; throws BadRequest naming the field that is wrong. */
export function noiseParameters(policy: PrivacyPolicy, length: number, fractionalBits: number, threshold: number): NoiseParameters {
  checkInteger(length, 1, MAX_NOISE_LENGTH, 'length')
  checkInteger(fractionalBits, 0, MAX_FRACTIONAL_BITS, 'fractionalBits')
  checkInteger(threshold, 1, MAX_NOISE_LENGTH, 'threshold')
  const epsilon = parseDecimal(policy.epsilonPerQuery, 'privacy.epsilonPerQuery')
  if (epsilon.n === 0n) throw new CodedError('BadRequest', 'privacy.epsilonPerQuery must be above 0')
  const sensitivity = parseDecimal(policy.sensitivity, 'privacy.sensitivity')
  const fixedSensitivity = mul(sensitivity, rational(1n << BigInt(fractionalBits)))
  if (policy.mechanism === 'laplace') {
    return { mechanism: 'laplace', scale: div(add(fixedSensitivity, rational(BigInt(length))), epsilon) }
  }
  if (policy.mechanism !== 'gaussian') throw new CodedError('BadRequest', 'privacy.mechanism must be "laplace" or "gaussian"')
  if (policy.delta === undefined) throw new CodedError('BadRequest', 'privacy.delta is needed by the gaussian mechanism')
  const delta = parseDecimal(policy.delta, 'privacy.delta')
  if (delta.n === 0n || compare(delta, rational(1n)) >= 0) throw new CodedError('BadRequest', 'privacy.delta must be above 0 and below 1')
  const l2 = add(fixedSensitivity, sqrtUpper(rational(BigInt(length))))
  const logTerm = lnUpper(div(rational(1n), delta))
  const roots = add(sqrtUpper(add(logTerm, epsilon)), sqrtUpper(logTerm))
  const variance = div(mul(mul(l2, l2), mul(roots, roots)), mul(rational(2n), mul(epsilon, epsilon)))
  return { mechanism: 'gaussian', variance: roundUp(div(variance, rational(BigInt(threshold))), 32) }
}

/** One owner's noise vector: `length` independent draws, in units of 2^−fractionalBits. */
export function noise(policy: PrivacyPolicy, length: number, fractionalBits: number, threshold: number, source: RandomSource = cryptoRandom): bigint[] {
  const parameters = noiseParameters(policy, length, fractionalBits, threshold)
  const random = new PooledRandom(source)
  const out = new Array<bigint>(length)
  for (let i = 0; i < length; i++) {
    out[i] = parameters.mechanism === 'laplace' ? discreteLaplace(random, parameters.scale) : discreteGaussian(random, parameters.variance)
  }
  return out
}

function checkInteger(value: number, min: number, max: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) throw new CodedError('BadRequest', `${what} must be an integer from ${min} to ${max}`)
}
