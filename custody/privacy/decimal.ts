// Exact decimal amounts of ε as scaled bigints: sums and comparisons of the
// owner's decimal strings with no rounding, printed back without trailing zeros.
import { CodedError } from '../../net/kernel.ts'

/** value = units / 10^scale */
export interface Decimal {
  readonly units: bigint
  readonly scale: number
}

const DECIMAL = /^(0|[1-9][0-9]{0,29})(\.[0-9]{1,30})?$/

/** Reads a non-negative decimal (up to 30 digits each side); BadRequest naming `what` otherwise. */
export function readDecimal(text: string, what: string): Decimal {
  if (typeof text !== 'string' || !DECIMAL.test(text)) {
    throw new CodedError('BadRequest', `${what} must be a non-negative decimal such as "0.5" (at most 30 digits before and after the point)`)
  }
  const [whole, fraction = ''] = text.split('.') as [string, string?]
  return { units: BigInt(whole + fraction), scale: fraction.length }
}

function align(a: Decimal, b: Decimal): [bigint, bigint, number] {
  const scale = Math.max(a.scale, b.scale)
  return [a.units * 10n ** BigInt(scale - a.scale), b.units * 10n ** BigInt(scale - b.scale), scale]
}

export function addDecimal(a: Decimal, b: Decimal): Decimal {
  const [x, y, scale] = align(a, b)
  return { units: x + y, scale }
}

/** a − b for a ≥ b. */
export function subtractDecimal(a: Decimal, b: Decimal): Decimal {
  const [x, y, scale] = align(a, b)
  if (x < y) throw new RangeError('a negative difference')
  return { units: x - y, scale }
}

export function compareDecimal(a: Decimal, b: Decimal): number {
  const [x, y] = align(a, b)
  return x < y ? -1 : x > y ? 1 : 0
}

/** "0.30" → "0.3", "2.0" → "2". */
export function formatDecimal(value: Decimal): string {
  const digits = value.units.toString().padStart(value.scale + 1, '0')
  const whole = digits.slice(0, digits.length - value.scale)
  const fraction = digits.slice(digits.length - value.scale).replace(/0+$/, '')
  return fraction === '' ? whole : `${whole}.${fraction}`
}

export const ZERO: Decimal = { units: 0n, scale: 0 }
