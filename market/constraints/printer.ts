// Canonical text of a constraint: no white space, bare values where they
// need no escaping, quoted strings otherwise. Parsing the output gives back
// an equal tree, and printing that tree gives the same text.
import type { Constraint, Literal, ScalarLiteral } from './ast.ts'
import { propertyKey } from './ast.ts'

export function printConstraint(c: Constraint): string {
  switch (c.kind) {
    case 'true':
      return '()'
    case 'and':
      return `(&${c.operands.map(printConstraint).join('')})`
    case 'or':
      return `(|${c.operands.map(printConstraint).join('')})`
    case 'not':
      return `(!${printConstraint(c.operand)})`
    case 'present':
      return `(${propertyKey(c.attribute)}=*)`
    case 'compare':
      return `(${propertyKey(c.attribute)}${c.operator}${printLiteral(c.value)})`
  }
}

function printLiteral(value: Literal): string {
  switch (value.kind) {
    case 'pattern':
      return value.parts.map(escapeBare).join('*')
    case 'list':
      return `[${value.items.map(printScalar).join(',')}]`
    default:
      return printScalar(value)
  }
}

function printScalar(value: ScalarLiteral): string {
  switch (value.kind) {
    case 'version':
      return `v"${value.text}"`
    case 'time':
      return `t"${value.text}"`
    case 'decimal':
      return `d"${value.text}"`
    case 'text':
      return isPlainBare(value.text) ? value.text : quote(value.text)
  }
}

// Printable ASCII with no meaning in the grammar can go bare; a leading '='
// would join the operator ('(a>=x)' is not '(a>"=x")').
const PLAIN_BARE = /^[!#-'+\-./0-9:-<>-Z^-~][!#-'+\-./0-9:-Z^-~]*$/
// Characters that end a bare value, escaped with a backslash inside patterns.
const BARE_SPECIAL = /[\s()[\],"\\*]/g

function isPlainBare(text: string): boolean {
  return PLAIN_BARE.test(text)
}

function escapeBare(text: string): string {
  return text.replace(BARE_SPECIAL, ch => `\\${ch}`)
}

function quote(text: string): string {
  let out = '"'
  for (let i = 0; i < text.length; i++) {
    const ch = text.charAt(i)
    const code = text.charCodeAt(i)
    if (ch === '"' || ch === '\\') out += `\\${ch}`
    else if (ch === '\n') out += '\\n'
    else if (ch === '\t') out += '\\t'
    else if (ch === '\r') out += '\\r'
    else if (code < 0x20 || code === 0x7f) out += `\\u${code.toString(16).padStart(4, '0')}`
    else out += ch
  }
  return `${out}"`
}
