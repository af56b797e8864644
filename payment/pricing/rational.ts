// Exact non-negative rationals for pricing: a JS number is taken at its exact
// binary value (every finite double is m / 2^k), a decimal string at its exact
// decimal value; sums and products never go through floating point.

export interface Rational {
  readonly num: bigint
  /** Always > 0. */
  readonly den: bigint
}

const MAX_DECIMAL_TEXT = 100
const DECIMAL_TEXT = /^(0|[1-9][0-9]*)(?:\.([0-9]+))?(?:[eE]([+-]?[0-9]{1,3}))?$/

/** The exact value of a finite, non-negative double; undefined for NaN, ±Infinity or below zero. */
export function rationalOfNumber(value: number): Rational | undefined {
  if (!Number.isFinite(value) || value < 0) return undefined
  // Doubling a double is exact (no rounding, no overflow below 2^1024), so this finds its binary denominator.
  let scaled = value
  let exponent = 0n
  while (!Number.isInteger(scaled)) {
    scaled *= 2
    exponent++
  }
  return reduce({ num: BigInt(scaled), den: 1n << exponent })
}

/** The exact value of a plain decimal ("0.0001", "12", "1e-4"); undefined for anything else (signs, spaces, hex). */
export function rationalOfDecimal(text: string): Rational | undefined {
  if (text.length > MAX_DECIMAL_TEXT) return undefined
  const match = DECIMAL_TEXT.exec(text)
  if (match === null) return undefined
  const fraction = match[2] ?? ''
  const exponent = Number(match[3] ?? '0') - fraction.length
  const digits = BigInt((match[1] as string) + fraction)
  return exponent >= 0 ? reduce({ num: digits * 10n ** BigInt(exponent), den: 1n }) : reduce({ num: digits, den: 10n ** BigInt(-exponent) })
}

export function add(a: Rational, b: Rational): Rational {
  return reduce({ num: a.num * b.den + b.num * a.den, den: a.den * b.den })
}

export function multiply(a: Rational, b: Rational): Rational {
  return reduce({ num: a.num * b.num, den: a.den * b.den })
}

export const ZERO: Rational = { num: 0n, den: 1n }

/** ⌊value × scale⌋ (values are non-negative, so truncation is rounding down). */
export function floorTimes(value: Rational, scale: bigint): bigint {
  return (value.num * scale) / value.den
}

function reduce(value: Rational): Rational {
  const divisor = gcd(value.num, value.den)
  return divisor <= 1n ? value : { num: value.num / divisor, den: value.den / divisor }
}

function gcd(a: bigint, b: bigint): bigint {
  let x = a
  let y = b
  while (y !== 0n) [x, y] = [y, x % y]
  return x
}
