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

export function truthName (t: Tri): Truth {
  return TRUTH[t] as Truth
}

/** The compiled form of a tree; compiled on first use, then reused. */
export function compileConstraint (c: Constraint): CompiledConstraint {
  let fn = compiled.get(c)
  if (fn === undefined) {
    fn = compileNode(c)
    compiled.set(c, fn)
  }
  return fn
}

function lookup (properties: PropertyMap, key: string): unknown {
  return Object.hasOwn(properties, key) ? properties[key] : undefined
}

function isPresent (value: unknown): boolean {
  const type = typeof value
  return type === 'string' || type === 'boolean' || (type === 'number' && Number.isFinite(value)) || Array.isArray(value)
}

function compileNode (c: Constraint): CompiledConstraint {
  switch (c.kind) {
    case 'true': return () => TRUE
    case 'and': {
      const operands = c.operands.map(compileNode)
      return p => {
        let result: Tri = TRUE
        for (const operand of operands) {
          const t = operand(p)
          if (t === FALSE) return FALSE
          if (t === UNKNOWN) result = UNKNOWN
        }
        return result
      }
    }
    case 'or': {
      const operands = c.operands.map(compileNode)
      return p => {
        let result: Tri = FALSE
        for (const operand of operands) {
          const t = operand(p)
          if (t === TRUE) return TRUE
          if (t === UNKNOWN) result = UNKNOWN
        }
        return result
      }
    }
    case 'not': {
      const operand = compileNode(c.operand)
      return p => {
        const t = operand(p)
        return t === UNKNOWN ? UNKNOWN : t === TRUE ? FALSE : TRUE
      }
    }
    case 'present': {
      const key = propertyKey(c.attribute)
      return p => isPresent(lookup(p, key)) ? TRUE : FALSE
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
