// One way to check untrusted input against a TypeBox schema, for every module:
// network messages, stored records, config. The same schemas serve fastify.
import { Compile } from 'typebox/compile'
import { SchemaError } from './schema-error.ts'
import type { Static, TSchema } from 'typebox'

export { SchemaError }

export interface Validator<S extends TSchema> {
  readonly schema: S
  check: (value: unknown) => value is Static<S>
  /** Returns the value typed, or throws a SchemaError naming the first problem. */
  parse: (value: unknown, what?: string) => Static<S>
}

export function validator<S extends TSchema>(schema: S, defaultWhat = 'value'): Validator<S> {
  const compiled = Compile(schema)
  const check = (value: unknown): value is Static<S> => compiled.Check(value)
  return {
    schema,
    check,
    parse(value: unknown, what = defaultWhat): Static<S> {
      if (check(value)) return value
      const errors = [...compiled.Errors(value)]
      // The most specific error is the one at the deepest path; schema-is-false
      // entries only repeat an additionalProperties complaint.
      const best = errors.filter(e => e.keyword !== 'boolean').sort((a, b) => b.instancePath.length - a.instancePath.length)[0] ?? errors[0]
      if (best === undefined) throw new SchemaError(what, '', 'is invalid')
      const extra =
        best.keyword === 'additionalProperties' ? ` (${String((best.params as { additionalProperties?: unknown[] }).additionalProperties ?? '')})` : ''
      throw new SchemaError(what, best.instancePath, best.message + extra)
    }
  }
}
