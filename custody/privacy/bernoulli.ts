// Exact Bernoulli trials: Bernoulli(p) for a rational p, and Bernoulli(exp(−γ))
// for a rational γ without ever computing exp (Canonne, Kamath, Steinke, "The
// Discrete Gaussian for Differential Privacy", NeurIPS 2020, Algorithm 1).
import type { PooledRandom } from './random-source.ts'
import { type Rational, floor, rational } from './rational.ts'

/** true with probability p = n/d ∈ [0, 1]. */
export function bernoulli(random: PooledRandom, p: Rational): boolean {
  if (p.n > p.d) throw new RangeError('a probability is at most 1')
  return random.below(p.d) < p.n
}

/** true with probability exp(−γ) for a rational γ ≥ 0. */
export function bernoulliExpNeg(random: PooledRandom, gamma: Rational): boolean {
  // exp(−γ) = exp(−1)^⌊γ⌋ · exp(−(γ − ⌊γ⌋)): each factor is a trial of γ ≤ 1.
  const whole = floor(gamma)
  for (let i = 0n; i < whole; i++) {
    if (!bernoulliExpNegAtMostOne(random, ONE)) return false
  }
  // Not reduced: a gcd per trial costs more than the trial.
  return bernoulliExpNegAtMostOne(random, { n: gamma.n - whole * gamma.d, d: gamma.d })
}

const ONE = rational(1n)

// For γ ∈ [0, 1]: draw A_k ~ Bernoulli(γ/k) for k = 1, 2, … until one is 0;
// P[that k is odd] = exp(−γ).
function bernoulliExpNegAtMostOne(random: PooledRandom, gamma: Rational): boolean {
  let k = 1n
  while (random.below(gamma.d * k) < gamma.n) k++
  return k % 2n === 1n
}
