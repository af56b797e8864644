// Exact discrete Laplace and discrete Gaussian samplers over the integers
// (Canonne, Kamath, Steinke 2020, Algorithms 2 and 3): rational parameters,
// bigint arithmetic, rejection sampling; no floating point anywhere. The
// rationals inside are left unreduced: a gcd per draw would cost more than it saves.
import { bernoulli, bernoulliExpNeg } from './bernoulli.ts'
import type { PooledRandom } from './random-source.ts'
import { type Rational, floor, rational } from './rational.ts'

const HALF = rational(1n, 2n)
const ONE = rational(1n)

/** X with P[X = x] ∝ exp(−|x| / scale), for a rational scale ≥ 0 (0 gives 0). */
export function discreteLaplace(random: PooledRandom, scale: Rational): bigint {
  if (scale.n === 0n) return 0n
  // Algorithm 2 samples Lap_Z(t/s) for integers s, t.
  const t = scale.n
  const s = scale.d
  for (;;) {
    const u = random.below(t)
    if (!bernoulliExpNeg(random, { n: u, d: t })) continue
    let v = 0n
    while (bernoulliExpNeg(random, ONE)) v++
    const y = (u + t * v) / s
    const negative = bernoulli(random, HALF)
    if (negative && y === 0n) continue
    return negative ? -y : y
  }
}

/** X with P[X = x] ∝ exp(−x² / (2σ²)), for a rational σ² ≥ 0 (0 gives 0). */
export function discreteGaussian(random: PooledRandom, variance: Rational): bigint {
  if (variance.n === 0n) return 0n
  const { n, d } = variance
  // t = ⌊σ⌋ + 1; ⌊√(n/d)⌋ = ⌊√⌊n/d⌋⌋.
  const t = isqrt(floor(variance)) + 1n
  const scale = rational(t)
  const twoNdt2 = 2n * n * d * t * t
  for (;;) {
    const y = discreteLaplace(random, scale)
    const magnitude = y < 0n ? -y : y
    // γ = (|y| − σ²/t)² / (2σ²) = (|y|·d·t − n)² / (2·n·d·t²)
    const gap = magnitude * d * t - n
    if (bernoulliExpNeg(random, { n: gap * gap, d: twoNdt2 })) return y
  }
}

/** ⌊√n⌋ for n ≥ 0 (Newton's method on bigints). */
export function isqrt(n: bigint): bigint {
  if (n < 0n) throw new RangeError('isqrt of a negative number')
  if (n < 2n) return n
  let x = 1n << BigInt(Math.ceil(n.toString(2).length / 2))
  for (;;) {
    const next = (x + n / x) >> 1n
    if (next >= x) return x
    x = next
  }
}
