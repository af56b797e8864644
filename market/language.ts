// The market's constraint language and properties, as the rest of market/
// uses them: parse, print, evaluate, match, normalise.
import type { Constraint, Truth } from './constraints/ast.ts'
import { compileConstraint, truthName } from './constraints/evaluator.ts'
import type { PropertyMap } from './constraints/evaluator.ts'
import { TRUE } from './constraints/compare.ts'
import { parseConstraintText } from './constraints/parser.ts'
import { printConstraint } from './constraints/printer.ts'

export type { Constraint, Truth } from './constraints/ast.ts'
export { ConstraintLimitError, ConstraintSyntaxError } from './constraints/errors.ts'
export { CONSTRAINT_LIMITS } from './constraints/limits.ts'
export { normaliseProperties, PropertiesError, PROPERTY_LIMITS } from './properties.ts'
export { Matcher } from './matching/matcher.ts'

// Texts are often checked again and again (scans, proposals): keep the most
// recent parses of ordinary-sized texts. Trees are frozen, so sharing them is safe.
const PARSED_CACHE_SIZE = 256
const PARSED_CACHE_MAX_TEXT = 4096
const parsed = new Map<string, Constraint>()

/** Parses (and validates) a constraint text. */
export function parseConstraints(text: string): Constraint {
  const cached = parsed.get(text)
  if (cached !== undefined) return cached
  const tree = deepFreeze(parseConstraintText(text))
  if (text.length > PARSED_CACHE_MAX_TEXT) return tree
  if (parsed.size >= PARSED_CACHE_SIZE) parsed.delete(parsed.keys().next().value as string)
  parsed.set(text, tree)
  return tree
}

export function printConstraints(c: Constraint): string {
  return printConstraint(c)
}

export function evaluate(constraints: Constraint, properties: PropertyMap): Truth {
  return truthName(compileConstraint(constraints)(properties))
}

/** True only when the constraints evaluate to True (not False, not Undefined). */
export function satisfies(constraints: string | Constraint, properties: PropertyMap): boolean {
  const tree = typeof constraints === 'string' ? parseConstraints(constraints) : constraints
  return compileConstraint(tree)(properties) === TRUE
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child)
    Object.freeze(value)
  }
  return value
}
