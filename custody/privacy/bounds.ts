// Rational upper bounds of ln and √, so that a noise scale derived from (ε, δ)
// is never below what the guarantee needs. Fixed point with 2^−bits units,
// every step rounded up, and the series' tail bounded from above.
import { isqrt } from './discrete.ts'
import { type Rational, rational } from './rational.ts'

const BITS = 128

/** An upper bound of ln(x) for a rational x ≥ 1, within about 2^−120 of it. */
export function lnUpper(x: Rational): Rational {
  if (x.n < x.d) throw new RangeError('lnUpper takes x ≥ 1')
  // x = 2^k · m with m ∈ [1, 2): ln x = k·ln 2 + ln m.
  let k = x.n.toString(2).length - x.d.toString(2).length
  if (k > 0 && x.n < x.d << BigInt(k)) k--
  if (k < 0) k = 0
  const m = rational(x.n, x.d << BigInt(k))
  const lnM = atanhSeriesUpper(rational(m.n - m.d, m.n + m.d))
  const ln2 = atanhSeriesUpper(rational(1n, 3n))
  return rational(lnM + BigInt(k) * ln2, 1n << BigInt(BITS))
}

/** An upper bound of √x, as m / 2^bits. */
export function sqrtUpper(x: Rational, bits = 64): Rational {
  const scaled = (x.n << BigInt(2 * bits)) + x.d - 1n
  const radicand = scaled / x.d
  let root = isqrt(radicand)
  if (root * root < radicand) root++
  return rational(root, 1n << BigInt(bits))
}

// 2^BITS · 2·atanh(z) = 2^BITS · ln((1+z)/(1−z)), rounded up, for 0 ≤ z ≤ 1/3:
// 2·Σ z^(2i+1)/(2i+1), each term rounded up, plus the tail
// Σ_{i≥N} z^(2i+1)/(2i+1) ≤ z^(2N+1) / ((2N+1)(1 − z²)) ≤ 2·z^(2N+1) (z² ≤ 1/9).
function atanhSeriesUpper(z: Rational): bigint {
  if (z.n === 0n) return 0n
  if (3n * z.n > z.d) throw new RangeError('the series is used for z ≤ 1/3')
  const one = 1n << BigInt(BITS)
  const z2 = { n: z.n * z.n, d: z.d * z.d }
  const ceilDiv = (a: bigint, b: bigint): bigint => (a + b - 1n) / b
  let power = ceilDiv(one * z.n, z.d) // ⌈2^BITS · z^(2i+1)⌉ ≥ the exact power
  let sum = 0n
  let i = 0n
  // (1/3)^(2i+1) < 2^−BITS after 2i+1 ≥ BITS/log2(3): 82 terms for 128 bits.
  for (; i < 42n; i++) {
    sum += ceilDiv(power, 2n * i + 1n)
    power = ceilDiv(power * z2.n, z2.d)
  }
  const tail = 2n * power + 1n
  return 2n * (sum + tail)
}
