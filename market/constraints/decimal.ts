// Exact decimal numbers for comparisons: no floating point anywhere. A value
// is sign × 0.digits × 10^exponent with no leading or trailing zero digits, so
// two decimals compare by sign, then exponent, then digit string.

export interface Decimal {
  sign: -1 | 0 | 1
  digits: string
  exponent: number
}

// Exponents are capped at 9 digits so they stay exact as JS numbers.
const DECIMAL = /^([+-]?)(?:(\d+)(?:\.(\d*))?|\.(\d+))(?:[eE]([+-]?\d{1,9}))?$/

const ZERO: Decimal = { sign: 0, digits: '', exponent: 0 }

/** Reads `12`, `-0.5`, `.5`, `1.`, `1e-7`, `+3.2E+4`; anything else gives undefined. */
export function parseDecimal(text: string): Decimal | undefined {
  const m = DECIMAL.exec(text)
  if (m === null) return undefined
  const whole = m[2] ?? ''
  const fraction = m[3] ?? m[4] ?? ''
  let digits = whole + fraction
  let exponent = whole.length + Number(m[5] ?? '0')
  let start = 0
  while (start < digits.length && digits.charCodeAt(start) === 48) start++
  let end = digits.length
  while (end > start && digits.charCodeAt(end - 1) === 48) end--
  if (start === end) return ZERO
  digits = digits.slice(start, end)
  exponent -= start
  return { sign: m[1] === '-' ? -1 : 1, digits, exponent }
}

/** The decimal a JS number stands for, taken from its shortest round-tripping text. */
export function decimalOfNumber(value: number): Decimal {
  return parseDecimal(String(value)) ?? ZERO
}

export function compareDecimals(a: Decimal, b: Decimal): -1 | 0 | 1 {
  if (a.sign !== b.sign) return a.sign < b.sign ? -1 : 1
  if (a.sign === 0) return 0
  let magnitude: -1 | 0 | 1
  if (a.exponent !== b.exponent) magnitude = a.exponent < b.exponent ? -1 : 1
  else magnitude = a.digits === b.digits ? 0 : a.digits < b.digits ? -1 : 1
  return (magnitude * a.sign) as -1 | 0 | 1
}
