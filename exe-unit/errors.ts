// Errors the exe-unit reports to its caller. The code tells the REST layer
// which status to answer with; the message says what was wrong.
import { CodedError } from '../net/index.ts'

export type ExeUnitErrorCode =
  | 'BadRequest' // malformed input: an ExeScript, a property, an argument
  | 'NotFound' // no such activity or batch
  | 'Conflict' // the activity's state does not allow it (e.g. terminated)
  | 'CapacityExceeded' // the provider's limits refuse another activity
  | 'Internal'

export class ExeUnitError extends CodedError<ExeUnitErrorCode> {
  override name = 'ExeUnitError'
}

export function errorMessage (error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
