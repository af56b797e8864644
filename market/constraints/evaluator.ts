// Constraint trees compiled once into closures over three-valued truth, and
// cached per tree so that matching many offers never walks the tree again.
import type { Constraint, Truth } from './ast.ts'
import { propertyKey } from './ast.ts'
import { compileComparison, FALSE, TRUE, UNKNOWN, type Tri } from './compare.ts'

/** Flat properties as the evaluator reads them; unexpected value types are Undefined. */
export type PropertyMap = Readonly<Record<string, unknown>>
export type CompiledConstraint = (properties: PropertyMap) => Tri

const compiled = new WeakMap<Constraint, CompiledConstraint>()

const TRUTH: readonly Truth[] = ['False', 'True', 'Undefined']

export function truthName(t: Tri): Truth {
  return TRUTH[t] as Truth
}

/** The compiled form of a tree; compiled on first use, then reused. */
export function compileConstraint(c: Constraint): CompiledConstraint {
  let fn = compiled.get(c)
  if (fn === undefined) {
    fn = compileNode(c)
    compiled.set(c, fn)
  }
  return fn
}

function lookup(properties: PropertyMap, key: string): unknown {
  return Object.hasOwn(properties, key) ? properties[key] : undefined
}

function isPresent(value: unknown): boolean {
  const type = typeof value
  return type === 'string' || type === 'boolean' || (type === 'number' && Number.isFinite(value)) || Array.isArray(value)
}

function compileNode(c: Constraint): CompiledConstraint {
  switch (c.kind) {
    case 'true':
      return () => TRUE
    case 'and':
      return junction(c.operands.map(compileNode), FALSE, TRUE)
    case 'or':
      return junction(c.operands.map(compileNode), TRUE, FALSE)
    case 'not': {
      const operand = compileNode(c.operand)
      return p => {
        const t = operand(p)
        return t === UNKNOWN ? UNKNOWN : t === TRUE ? FALSE : TRUE
      }
    }
    case 'present': {
      const key = propertyKey(c.attribute)
      return p => (isPresent(lookup(p, key)) ? TRUE : FALSE)
    }
    case 'compare': {
      const key = propertyKey(c.attribute)
      const test = compileComparison(c.operator, c.value)
      return p => {
        const value = lookup(p, key)
        return value === undefined ? UNKNOWN : test(value)
      }
    }
  }
}

/**
 * `and` and `or` in three-valued logic: the first `decisive` operand decides;
 * otherwise Undefined if any operand is, else `identity`.
 */
function junction(operands: readonly CompiledConstraint[], decisive: Tri, identity: Tri): CompiledConstraint {
  return p => {
    let result = identity
    for (const operand of operands) {
      const t = operand(p)
      if (t === decisive) return decisive
      if (t === UNKNOWN) result = UNKNOWN
    }
    return result
  }
}
