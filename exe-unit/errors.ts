// Errors the exe-unit reports to its caller. The code tells the REST layer
// which status to answer with; the message says what was wrong.
import { CodedError, codedSystemError, internalErrorText, newCorrelationId } from '../net/index.ts'
import type { Logger } from '../net/index.ts'

export type ExeUnitErrorCode =
  | 'BadRequest' // malformed input: an ExeScript, a property, an argument
  | 'NotFound' // no such activity or batch
  | 'Forbidden' // data custody refuses: the dataset's policy, a transfer out of /out, a write into /data
  | 'Conflict' // the activity's state does not allow it (e.g. terminated)
  | 'CapacityExceeded' // the provider's limits refuse another activity
  | 'Unavailable' // the runtime is gone or cannot serve now
  | 'InsufficientStorage' // the storage the agreement grants, or the disk, is full
  | 'Internal'

export class ExeUnitError extends CodedError<ExeUnitErrorCode> {
  override name = 'ExeUnitError'
}

/** For the provider's own log and its operator: never for the requester. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/**
 * What the requester may read of an error: a coded error's own message, or
 * for anything else (a file path, a library's words) a reference to the log
 * line that holds it.
 */
export function requesterMessage(error: unknown, logger: Logger, what: string): string {
  const coded = error instanceof CodedError ? error : codedSystemError(error)
  if (coded !== undefined && coded.code !== 'Internal') return coded.message
  const correlationId = newCorrelationId()
  logger.error({ err: error, correlationId }, what)
  return internalErrorText(correlationId)
}
