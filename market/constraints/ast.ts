// The syntax tree of a constraint. Plain, JSON-friendly data: no positions
// (printing and re-parsing gives back an equal tree) and no bigints.

export type Truth = 'True' | 'False' | 'Undefined'

export type Operator = '=' | '<' | '<=' | '>' | '>='

/** `name` or `name[aspect]`. */
export interface AttributeRef {
  name: string
  aspect?: string
}

/** A value written as text (bare or quoted); the property's type decides how it is read. */
export interface TextLiteral {
  kind: 'text'
  text: string
}
/** `v"1.2.3"`: compared as a semantic version. */
export interface VersionLiteral {
  kind: 'version'
  text: string
}
/** `t"2026-01-01T00:00:00Z"`: compared as an instant. */
export interface TimeLiteral {
  kind: 'time'
  text: string
}
/** `d"0.001"`: compared as an exact decimal. */
export interface DecimalLiteral {
  kind: 'decimal'
  text: string
}

export type ScalarLiteral = TextLiteral | VersionLiteral | TimeLiteral | DecimalLiteral

/** A bare value with unescaped `*`: the text between the stars, in order (at least two parts). */
export interface PatternLiteral {
  kind: 'pattern'
  parts: string[]
}
/** `[a,b,c]`. */
export interface ListLiteral {
  kind: 'list'
  items: ScalarLiteral[]
}

export type Literal = ScalarLiteral | PatternLiteral | ListLiteral

/** `()`: always true. */
export interface TrueNode {
  kind: 'true'
}
export interface AndNode {
  kind: 'and'
  operands: Constraint[]
}
export interface OrNode {
  kind: 'or'
  operands: Constraint[]
}
export interface NotNode {
  kind: 'not'
  operand: Constraint
}
/** `(attr=*)`. */
export interface PresenceNode {
  kind: 'present'
  attribute: AttributeRef
}
export interface ComparisonNode {
  kind: 'compare'
  attribute: AttributeRef
  operator: Operator
  value: Literal
}

export type Constraint = TrueNode | AndNode | OrNode | NotNode | PresenceNode | ComparisonNode

/** The key a reference looks up in a flat property map. */
export function propertyKey(attribute: AttributeRef): string {
  return attribute.aspect === undefined ? attribute.name : `${attribute.name}[${attribute.aspect}]`
}
