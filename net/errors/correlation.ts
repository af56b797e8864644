// A correlation id ties what a caller is told ("internal error (ref …)") to the
// log line that holds the real error, without the error itself crossing over.
import { randomBytes } from 'node:crypto'

export function newCorrelationId(): string {
  return randomBytes(8).toString('hex')
}

/** The one text a peer or a REST client gets for a fault of ours. */
export function internalErrorText(correlationId: string): string {
  return `internal error (ref ${correlationId})`
}
