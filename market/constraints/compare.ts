// One comparison `(attr op literal)` turned into a test of a property value.
// The property's type decides how a text literal is read; typed literals
// (v"", t"", d"") read the property their own way. Whatever cannot be
// compared is Undefined.
import semver from 'semver'
import type { Literal, Operator, ScalarLiteral } from './ast.ts'
import { compareDecimals, decimalOfNumber, parseDecimal, type Decimal } from './decimal.ts'
import { instantOfEpochMs, parseInstant } from './instant.ts'
import { matchesPattern } from './wildcard.ts'

/** Three-valued truth as small numbers, cheap in the hot path. */
export type Tri = 0 | 1 | 2
export const FALSE: Tri = 0
export const TRUE: Tri = 1
export const UNKNOWN: Tri = 2

// How a property value stands to a literal: -1, 0, 1; UNORDERED when they
// differ but have no order (booleans); NaN when they cannot be compared.
const UNORDERED = 2
type Order = number

type Scalar = string | number | boolean
type ScalarOrder = (value: Scalar) => Order

export type ValueTest = (value: unknown) => Tri

function isScalar(value: unknown): value is Scalar {
  const type = typeof value
  return type === 'string' || type === 'boolean' || (type === 'number' && Number.isFinite(value))
}

// Orders a JS number against an exact decimal without converting on every
// call: rounding to the nearest double is monotone, so if the property differs
// from the literal's nearest double the doubles already give the order; if it
// equals it, the order was worked out once, exactly, here.
function numberOrder(literal: Decimal, literalText: string): (value: number) => Order {
  const nearest = Number(literalText)
  const atNearest = Number.isFinite(nearest) ? compareDecimals(decimalOfNumber(nearest), literal) : NaN
  return value => (value === nearest ? atNearest : value < nearest ? -1 : 1)
}

function compileScalar(literal: ScalarLiteral): ScalarOrder {
  switch (literal.kind) {
    case 'text':
      return textOrder(literal.text)
    case 'decimal':
      return decimalOrder(literal.text)
    case 'version':
      return versionOrder(literal.text)
    case 'time':
      return timeOrder(literal.text)
  }
}

function textOrder(text: string): ScalarOrder {
  const decimal = parseDecimal(text)
  const ofNumber = decimal === undefined ? undefined : numberOrder(decimal, text)
  const bool = text === 'true' ? true : text === 'false' ? false : undefined
  return value => {
    if (typeof value === 'string') return value === text ? 0 : value < text ? -1 : 1
    if (typeof value === 'number') return ofNumber === undefined ? NaN : ofNumber(value)
    return bool === undefined ? NaN : value === bool ? 0 : UNORDERED
  }
}

function decimalOrder(text: string): ScalarOrder {
  const decimal = parseDecimal(text) as Decimal
  const ofNumber = numberOrder(decimal, text)
  return value => {
    if (typeof value === 'number') return ofNumber(value)
    if (typeof value !== 'string') return NaN
    const other = parseDecimal(value)
    return other === undefined ? NaN : compareDecimals(other, decimal)
  }
}

function versionOrder(text: string): ScalarOrder {
  const version = semver.parse(text) as semver.SemVer
  return value => {
    if (typeof value !== 'string') return NaN
    const other = semver.parse(value)
    return other === null ? NaN : other.compare(version)
  }
}

function timeOrder(text: string): ScalarOrder {
  const instant = parseInstant(text) as bigint
  return value => {
    const other = typeof value === 'string' ? parseInstant(value) : typeof value === 'number' ? instantOfEpochMs(value) : undefined
    if (other === undefined) return NaN
    return other === instant ? 0 : other < instant ? -1 : 1
  }
}

const DECIDE: Record<Operator, (order: Order) => Tri> = {
  '=': o => (o === 0 ? TRUE : Number.isNaN(o) ? UNKNOWN : FALSE),
  '<': o => (Number.isNaN(o) || o === UNORDERED ? UNKNOWN : o < 0 ? TRUE : FALSE),
  '<=': o => (Number.isNaN(o) || o === UNORDERED ? UNKNOWN : o <= 0 ? TRUE : FALSE),
  '>': o => (Number.isNaN(o) || o === UNORDERED ? UNKNOWN : o > 0 ? TRUE : FALSE),
  '>=': o => (Number.isNaN(o) || o === UNORDERED ? UNKNOWN : o >= 0 ? TRUE : FALSE)
}

/** True if some pair is equal; False if some pair compared (or there is none); else Undefined. */
function anyEqual(values: readonly unknown[], orders: readonly ScalarOrder[]): Tri {
  let compared = values.length === 0 || orders.length === 0
  for (const value of values) {
    if (!isScalar(value)) continue
    for (const order of orders) {
      const o = order(value)
      if (o === 0) return TRUE
      if (!Number.isNaN(o)) compared = true
    }
  }
  return compared ? FALSE : UNKNOWN
}

/** Same length and each pair equal, in order; a pair that cannot compare makes it Undefined. */
function listsEqual(values: readonly unknown[], orders: readonly ScalarOrder[]): Tri {
  if (values.length !== orders.length) return FALSE
  let result: Tri = TRUE
  for (let i = 0; i < values.length; i++) {
    const value = values[i]
    const o = isScalar(value) ? (orders[i] as ScalarOrder)(value) : NaN
    if (Number.isNaN(o)) result = UNKNOWN
    else if (o !== 0) return FALSE
  }
  return result
}

function patternTest(parts: readonly string[]): ValueTest {
  return value => {
    if (typeof value === 'string') return matchesPattern(value, parts) ? TRUE : FALSE
    if (!Array.isArray(value)) return UNKNOWN
    let sawString = value.length === 0
    for (const item of value) {
      if (typeof item !== 'string') continue
      if (matchesPattern(item, parts)) return TRUE
      sawString = true
    }
    return sawString ? FALSE : UNKNOWN
  }
}

/** Compiles `(attr op literal)` to a test of the property's value (undefined when missing). */
export function compileComparison(operator: Operator, literal: Literal): ValueTest {
  if (literal.kind === 'pattern') return patternTest(literal.parts)
  if (literal.kind === 'list') {
    const orders = literal.items.map(compileScalar)
    return value => (Array.isArray(value) ? listsEqual(value, orders) : isScalar(value) ? anyEqual([value], orders) : UNKNOWN)
  }
  const order = compileScalar(literal)
  const decide = DECIDE[operator]
  if (operator !== '=') return value => (isScalar(value) ? decide(order(value)) : UNKNOWN)
  const single = [order]
  return value => (isScalar(value) ? decide(order(value)) : Array.isArray(value) ? anyEqual(value, single) : UNKNOWN)
}
