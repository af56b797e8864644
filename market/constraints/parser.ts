// Recursive-descent parser for Golem's LDAP-like constraint filters. Depth
// and node count are checked before each step down, so hostile input is
// refused long before the stack or the heap notice it.
import type { AttributeRef, ComparisonNode, Constraint, Operator, PresenceNode } from './ast.ts'
import { ConstraintLimitError } from './errors.ts'
import { CONSTRAINT_LIMITS } from './limits.ts'
import { PRESENCE, parseValue } from './literals.ts'
import { isNameChar, Scanner } from './scanner.ts'

const OPERATORS: readonly Operator[] = ['<=', '>=', '<', '>', '='] // two-character ones first

/**
 * Parses a whole constraint text: `(filter)`, a single filter without outer
 * parentheses (`a=1`), or nothing at all (always true).
 */
export function parseConstraintText(text: string): Constraint {
  if (typeof text !== 'string') throw new TypeError('constraints must be a string')
  if (text.length > CONSTRAINT_LIMITS.maxTextLength) {
    throw new ConstraintLimitError('maxTextLength', `constraint text is ${text.length} characters long; the limit is ${CONSTRAINT_LIMITS.maxTextLength}`)
  }
  return new Parser(text).parseAll()
}

class Parser {
  readonly #s: Scanner
  #depth = 0
  #nodes = 0

  constructor(text: string) {
    this.#s = new Scanner(text)
  }

  parseAll(): Constraint {
    const s: Scanner = this.#s
    s.skipWhitespace()
    let result: Constraint
    if (s.atEnd) result = { kind: 'true' }
    else if (s.peek() === '(') result = this.#filter()
    else result = this.#item()
    s.skipWhitespace()
    if (!s.atEnd) s.fail('end of input')
    return result
  }

  #countNode(): void {
    if (++this.#nodes > CONSTRAINT_LIMITS.maxNodes) {
      throw new ConstraintLimitError('maxNodes', `constraint has more than ${CONSTRAINT_LIMITS.maxNodes} filters and list items (at position ${this.#s.pos})`)
    }
  }

  #filter(): Constraint {
    const s: Scanner = this.#s
    const open = s.pos
    s.expect('(')
    if (++this.#depth > CONSTRAINT_LIMITS.maxDepth) {
      throw new ConstraintLimitError('maxDepth', `constraint nests deeper than ${CONSTRAINT_LIMITS.maxDepth} levels (at position ${open})`)
    }
    s.skipWhitespace()
    let node: Constraint
    const ch = s.peek()
    if (ch === ')') {
      this.#countNode()
      node = { kind: 'true' }
    } else if (ch === '&' || ch === '|') {
      this.#countNode()
      s.next()
      node = { kind: ch === '&' ? 'and' : 'or', operands: this.#operands() }
    } else if (ch === '!') {
      this.#countNode()
      s.next()
      s.skipWhitespace()
      if (s.peek() !== '(') s.fail("'(' to start the negated filter")
      node = { kind: 'not', operand: this.#filter() }
    } else {
      node = this.#item()
    }
    s.skipWhitespace()
    s.expect(')')
    this.#depth--
    return node
  }

  #operands(): Constraint[] {
    const s: Scanner = this.#s
    const operands: Constraint[] = []
    for (;;) {
      s.skipWhitespace()
      const ch = s.peek()
      if (ch === ')') return operands
      if (ch !== '(') s.fail("'(' or ')'")
      operands.push(this.#filter())
    }
  }

  /** `attr op value` or `attr=*`. */
  #item(): ComparisonNode | PresenceNode {
    const s: Scanner = this.#s
    this.#countNode()
    const attribute = this.#attribute()
    s.skipWhitespace()
    const operator = OPERATORS.find(op => s.eat(op))
    if (operator === undefined) s.fail("an operator ('=', '<', '<=', '>', '>=')")
    s.skipWhitespace()
    const value = parseValue(s, operator, () => this.#countNode())
    if (value === PRESENCE) return { kind: 'present', attribute }
    return { kind: 'compare', attribute, operator, value }
  }

  /** A dotted name, then an optional `[aspect]`. */
  #attribute(): AttributeRef {
    const s: Scanner = this.#s
    const start = s.pos
    for (;;) {
      const segmentStart = s.pos
      while (isNameChar(s.peek())) s.next()
      if (s.pos === segmentStart) s.fail(segmentStart === start ? 'an attribute name' : "a name segment after '.'")
      if (!s.eat('.')) break
    }
    const name = s.text.slice(start, s.pos)
    if (!s.eat('[')) return { name }
    const aspectStart = s.pos
    while (isNameChar(s.peek()) || s.peek() === '.') s.next()
    if (s.pos === aspectStart) s.fail('an aspect name')
    const aspect = s.text.slice(aspectStart, s.pos)
    s.expect(']')
    return { name, aspect }
  }
}
