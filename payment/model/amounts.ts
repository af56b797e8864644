// Token amounts at the edges: decimal strings in whole tokens ("1.5"), as the
// Payment API carries them, to bigint base units inside and back. Parsing is
// strict (no exponent, sign, spaces or more decimals than the token has), so a
// bad amount is refused with what was wrong instead of being rounded.
import { PaymentError } from './payment-error.ts'

/** Every platform Agora knows has an 18-decimal token (GLM, tGLM, the dev token). */
export const TOKEN_DECIMALS = 18
/** Longest amount text taken: far above any supply, short enough to refuse junk at once. */
const MAX_AMOUNT_TEXT = 100
const AMOUNT_TEXT = /^(0|[1-9][0-9]*)(\.([0-9]+))?$/

/** `text` ("12.5") in base units of a `decimals`-decimal token; throws BadRequest naming `what`. */
export function parseAmount(text: unknown, what: string, decimals: number = TOKEN_DECIMALS): bigint {
  if (typeof text !== 'string') throw new PaymentError('BadRequest', `${what} must be a decimal string, such as "1.5"`)
  if (text.length > MAX_AMOUNT_TEXT) throw new PaymentError('BadRequest', `${what} is longer than ${MAX_AMOUNT_TEXT} characters`)
  const match = AMOUNT_TEXT.exec(text)
  if (match === null) {
    throw new PaymentError(
      'BadRequest',
      `${what} must be a non-negative decimal number such as "1.5" (no sign, exponent or spaces), not ${JSON.stringify(text)}`
    )
  }
  const whole = match[1] as string
  const fraction = match[3] ?? ''
  if (fraction.length > decimals) throw new PaymentError('BadRequest', `${what} has ${fraction.length} decimals; the token has ${decimals}`)
  return BigInt(whole) * 10n ** BigInt(decimals) + BigInt(fraction.padEnd(decimals, '0') || '0')
}

/** Base units as the shortest exact decimal string ("12.5", "0", "0.000000000000000001"). */
export function formatAmount(units: bigint, decimals: number = TOKEN_DECIMALS): string {
  if (units < 0n) throw new PaymentError('Internal', 'a token amount below zero cannot be shown')
  const scale = 10n ** BigInt(decimals)
  const whole = units / scale
  const fraction = (units % scale).toString().padStart(decimals, '0').replace(/0+$/, '')
  return fraction === '' ? whole.toString() : `${whole}.${fraction}`
}

/** The smaller of two amounts (Math.min takes no bigint). */
export function minAmount(a: bigint, b: bigint): bigint {
  return a < b ? a : b
}

/** The larger of two amounts. */
export function maxAmount(a: bigint, b: bigint): bigint {
  return a > b ? a : b
}
