// What a failed schema check throws: kept apart from the validator, so that
// code which only catches it never loads the schema compiler.
import { CodedError } from '../errors/coded-error.ts'

export class SchemaError extends CodedError<'BadRequest'> {
  override name = 'SchemaError'
  /** JSON pointer of the first offending value ('' for the root). */
  readonly path: string

  constructor(what: string, path: string, message: string) {
    super('BadRequest', `${what}${path === '' ? '' : ` at ${path}`}: ${message}`)
    this.path = path
  }
}
