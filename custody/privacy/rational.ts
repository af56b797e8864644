// Exact non-negative rationals over bigint, and the owner's decimal strings
// read into them: every privacy parameter stays exact from the policy file to
// the sampler, so no floating-point rounding can weaken a guarantee.
import { CodedError } from '../../net/kernel.ts'

export interface Rational {
  /** ≥ 0 */
  readonly n: bigint
  /** > 0 */
  readonly d: bigint
}

/** A policy's decimal: digits, an optional fraction, no sign or exponent; at most 40 characters. */
const DECIMAL = /^(0|[1-9][0-9]*)(\.[0-9]+)?$/
const MAX_DECIMAL_CHARS = 40

/** Reads a decimal string exactly; a malformed one is a BadRequest naming `what`. */
export function parseDecimal(text: string, what: string): Rational {
  if (typeof text !== 'string' || text.length > MAX_DECIMAL_CHARS || !DECIMAL.test(text)) {
    throw new CodedError('BadRequest', `${what} must be a non-negative decimal such as "0.5" (at most ${MAX_DECIMAL_CHARS} characters)`)
  }
  const [whole, fraction = ''] = text.split('.') as [string, string?]
  return rational(BigInt(whole + fraction), 10n ** BigInt(fraction.length))
}

export function rational(n: bigint, d = 1n): Rational {
  if (d <= 0n || n < 0n) throw new RangeError('a rational here is non-negative with a positive denominator')
  const g = gcd(n, d)
  return { n: n / g, d: d / g }
}

export function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a
  let y = b < 0n ? -b : b
  while (y !== 0n) [x, y] = [y, x % y]
  return x === 0n ? 1n : x
}

export const add = (a: Rational, b: Rational): Rational => rational(a.n * b.d + b.n * a.d, a.d * b.d)
export const mul = (a: Rational, b: Rational): Rational => rational(a.n * b.n, a.d * b.d)
export const div = (a: Rational, b: Rational): Rational => {
  if (b.n === 0n) throw new RangeError('division by zero')
  return rational(a.n * b.d, a.d * b.n)
}
export const compare = (a: Rational, b: Rational): number => {
  const left = a.n * b.d
  const right = b.n * a.d
  return left < right ? -1 : left > right ? 1 : 0
}
export const floor = (a: Rational): bigint => a.n / a.d
export const isZero = (a: Rational): boolean => a.n === 0n

/** The smallest m/2^bits ≥ a: bounds a value from above with a denominator that stays small. */
export function roundUp(a: Rational, bits: number): Rational {
  const scaled = a.n << BigInt(bits)
  return rational((scaled + a.d - 1n) / a.d, 1n << BigInt(bits))
}

/** For logs, docs and tests only: never for sampling. */
export const toNumber = (a: Rational): number => Number(a.n) / Number(a.d)
