// A cursor over the constraint text that knows positions and turns
// "not what I wanted" into a ConstraintSyntaxError naming both.
import { ConstraintSyntaxError } from './errors.ts'

const WHITESPACE = new Set([' ', '\t', '\n', '\r', '\f', '\v'])
// Characters that end an attribute name or a bare value.
const NAME_STOPS = new Set(['(', ')', '=', '<', '>', '~', '*', '[', ']', '"', '\\', ',', '&', '|', '!', '.'])
const BARE_STOPS = new Set(['(', ')', '[', ']', ',', '"', '\\', '*'])

/** Printable ASCII that may appear in an attribute name segment (dots separate segments). */
export function isNameChar(ch: string): boolean {
  const code = ch.charCodeAt(0)
  return code > 0x20 && code < 0x7f && !NAME_STOPS.has(ch)
}

/** A character a bare value may hold without a backslash. */
export function isBareChar(ch: string): boolean {
  return ch !== '' && !WHITESPACE.has(ch) && !BARE_STOPS.has(ch)
}

function describe(ch: string): string {
  if (ch === '') return 'end of input'
  const code = ch.charCodeAt(0)
  if (code < 0x20 || code === 0x7f || (code >= 0xd800 && code <= 0xdfff)) return `U+${code.toString(16).toUpperCase().padStart(4, '0')}`
  return `'${ch}'`
}

export class Scanner {
  readonly text: string
  pos = 0

  constructor(text: string) {
    this.text = text
  }

  get atEnd(): boolean {
    return this.pos >= this.text.length
  }

  /** The character `offset` ahead, or '' past the end. */
  peek(offset = 0): string {
    return this.text.charAt(this.pos + offset)
  }

  next(): string {
    const ch = this.text.charAt(this.pos)
    this.pos++
    return ch
  }

  skipWhitespace(): void {
    while (this.pos < this.text.length && WHITESPACE.has(this.text.charAt(this.pos))) this.pos++
  }

  /** Consumes `token` if it is next. */
  eat(token: string): boolean {
    if (!this.text.startsWith(token, this.pos)) return false
    this.pos += token.length
    return true
  }

  expect(token: string): void {
    if (!this.eat(token)) this.fail(`'${token}'`)
  }

  fail(expected: string, at = this.pos): never {
    throw new ConstraintSyntaxError(expected, at, describe(this.text.charAt(at)))
  }
}
