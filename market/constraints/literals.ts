// Values on the right of an operator: bare text (with `*` wildcards and
// backslash escapes), quoted strings, typed literals and lists.
import semver from 'semver'
import type { ListLiteral, Literal, Operator, ScalarLiteral } from './ast.ts'
import { parseDecimal } from './decimal.ts'
import { ConstraintLimitError } from './errors.ts'
import { parseInstant } from './instant.ts'
import { CONSTRAINT_LIMITS } from './limits.ts'
import { isBareChar, type Scanner } from './scanner.ts'

/** What parseValue returns for `(attr=*)`. */
export const PRESENCE = Symbol('presence')

const TYPED_PREFIXES: Record<string, 'version' | 'time' | 'decimal'> = { v: 'version', t: 'time', d: 'decimal' }

/** Called once per list item so the parser can count nodes. */
export type CountNode = () => void

export function parseValue(s: Scanner, operator: Operator, countNode: CountNode): Literal | typeof PRESENCE {
  if (s.peek() === '[') {
    if (operator !== '=') s.fail("a single value (lists are allowed only with '=')")
    return parseList(s, countNode)
  }
  const scalar = parseTypedOrQuoted(s)
  if (scalar !== undefined) return scalar
  return parseBare(s, operator)
}

function parseList(s: Scanner, countNode: CountNode): ListLiteral {
  s.expect('[')
  const items: ScalarLiteral[] = []
  s.skipWhitespace()
  if (s.eat(']')) return { kind: 'list', items }
  for (;;) {
    s.skipWhitespace()
    countNode()
    items.push(parseListItem(s))
    s.skipWhitespace()
    if (s.eat(']')) return { kind: 'list', items }
    if (!s.eat(',')) s.fail("',' or ']'")
  }
}

function parseListItem(s: Scanner): ScalarLiteral {
  const scalar = parseTypedOrQuoted(s)
  if (scalar !== undefined) return scalar
  const start = s.pos
  const text = readBareItem(s)
  if (text === '') s.fail('a list item', start)
  return { kind: 'text', text }
}

function parseTypedOrQuoted(s: Scanner): ScalarLiteral | undefined {
  const ch = s.peek()
  if (ch === '"') return { kind: 'text', text: readQuoted(s) }
  const type = Object.hasOwn(TYPED_PREFIXES, ch) && s.peek(1) === '"' ? TYPED_PREFIXES[ch] : undefined
  if (type === undefined) return undefined
  s.next()
  s.next()
  const start = s.pos
  while (!s.atEnd && s.peek() !== '"' && s.peek() !== '\\') s.next()
  const text = s.text.slice(start, s.pos)
  s.expect('"')
  if (type === 'version' && semver.parse(text) === null) s.fail('a semantic version such as v"1.2.3"', start)
  if (type === 'time' && parseInstant(text) === undefined) s.fail('an RFC 3339 time such as t"2026-01-01T00:00:00Z"', start)
  if (type === 'decimal' && parseDecimal(text) === undefined) s.fail('a decimal number such as d"0.001"', start)
  return { kind: type, text }
}

const QUOTED_ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r' }

function readQuoted(s: Scanner): string {
  s.expect('"')
  let text = ''
  for (;;) {
    if (s.atEnd) s.fail("'\"' to close the string")
    const ch = s.next()
    if (ch === '"') return text
    if (ch !== '\\') {
      text += ch
      continue
    }
    if (s.atEnd) s.fail("a character after '\\'")
    const escaped = s.next()
    if (escaped === 'u') text += readUnicodeEscape(s)
    else text += Object.hasOwn(QUOTED_ESCAPES, escaped) ? QUOTED_ESCAPES[escaped] : escaped
  }
}

function readUnicodeEscape(s: Scanner): string {
  const hex = s.text.slice(s.pos, s.pos + 4)
  if (!/^[0-9a-fA-F]{4}$/.test(hex)) s.fail('four hex digits after \\u')
  s.pos += 4
  return String.fromCharCode(parseInt(hex, 16))
}

/** Reads a bare list item: characters and escapes, no wildcards. */
function readBareItem(s: Scanner): string {
  let text = ''
  for (;;) {
    const ch = s.peek()
    if (ch === '\\') {
      s.next()
      if (s.atEnd) s.fail("a character after '\\'")
      text += s.next()
    } else if (ch === '*') {
      s.fail("a list item without '*' (escape it as '\\*')")
    } else if (isBareChar(ch)) {
      text += s.next()
    } else {
      return text
    }
  }
}

function parseBare(s: Scanner, operator: Operator): Literal | typeof PRESENCE {
  const start = s.pos
  const parts: string[] = []
  let current = ''
  for (;;) {
    const ch = s.peek()
    if (ch === '\\') {
      s.next()
      if (s.atEnd) s.fail("a character after '\\'")
      current += s.next()
    } else if (ch === '*') {
      if (operator !== '=') s.fail("a value without '*' (wildcards are allowed only with '='; escape it as '\\*')")
      parts.push(current)
      current = ''
      if (parts.length > CONSTRAINT_LIMITS.maxWildcards) {
        throw new ConstraintLimitError('maxWildcards', `pattern at position ${start} has more than ${CONSTRAINT_LIMITS.maxWildcards} wildcards`)
      }
      s.next()
    } else if (isBareChar(ch)) {
      current += s.next()
    } else {
      break
    }
  }
  if (parts.length === 0) {
    if (current === '') s.fail('a value', start)
    return { kind: 'text', text: current }
  }
  parts.push(current)
  if (parts.length === 2 && parts[0] === '' && parts[1] === '') return PRESENCE
  return { kind: 'pattern', parts }
}
