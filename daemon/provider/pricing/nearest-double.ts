// The double nearest to an exact rational, found exactly: a first guess from
// floating-point division, then a walk to the neighbour whose exact value is
// closer (ties to the even significand, as IEEE rounding does).
import { rationalOfNumber } from '../../../payment/pricing/index.ts'
import type { Rational } from '../../../payment/pricing/index.ts'

/** The finite, non-negative double closest to `value`. */
export function nearestDouble(value: Rational): number {
  if (value.num === 0n) return 0
  let best = firstGuess(value)
  for (;;) {
    const lower = nextDown(best)
    const upper = nextUp(best)
    const here = distance(best, value)
    if (lower >= 0 && closer(lower, best, value, here)) best = lower
    else if (Number.isFinite(upper) && closer(upper, best, value, here)) best = upper
    else return best
  }
}

/** Within a few units of the last place: numerator and denominator are scaled to doubles before dividing. */
function firstGuess(value: Rational): number {
  const shift = BigInt(Math.max(0, value.num.toString(2).length - 1000, value.den.toString(2).length - 1000))
  return Number(value.num >> shift) / Number(value.den >> shift)
}

/** |candidate − value| as a rational with an always-positive denominator. */
function distance(candidate: number, value: Rational): Rational {
  const exact = rationalOfNumber(candidate) as Rational
  const num = exact.num * value.den - value.num * exact.den
  return { num: num < 0n ? -num : num, den: exact.den * value.den }
}

function closer(candidate: number, current: number, value: Rational, currentDistance: Rational): boolean {
  const d = distance(candidate, value)
  const order = d.num * currentDistance.den - currentDistance.num * d.den
  if (order !== 0n) return order < 0n
  return isEvenSignificand(candidate) && !isEvenSignificand(current)
}

const view = new DataView(new ArrayBuffer(8))

function bitsOf(value: number): bigint {
  view.setFloat64(0, value)
  return view.getBigUint64(0)
}

function ofBits(bits: bigint): number {
  view.setBigUint64(0, bits)
  return view.getFloat64(0)
}

/** The next double above a non-negative one. */
function nextUp(value: number): number {
  return ofBits(bitsOf(value) + 1n)
}

/** The next double below a non-negative one; −1 below zero (no such double here). */
function nextDown(value: number): number {
  return value === 0 ? -1 : ofBits(bitsOf(value) - 1n)
}

function isEvenSignificand(value: number): boolean {
  return (bitsOf(value) & 1n) === 0n
}
