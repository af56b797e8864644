// The outbox's own failures, and the one error a receiving handler throws to
// refuse a message for good.
import { CodedError } from '../errors/coded-error.ts'

/** Enqueue refused before anything was written: the outbox is full, or the message cannot travel. */
export type OutboxErrorCode = 'CapacityExceeded' | 'PayloadTooLarge' | 'BadRequest' | 'Unavailable'

export class OutboxError extends CodedError<OutboxErrorCode> {
  override name = 'OutboxError'
}

/**
 * Thrown by a receiving handler for a message it will never accept (a forged
 * signature, an agreement it never knew): the sender drops it instead of retrying.
 * Its code and message go back to the sender; say nothing internal in them.
 */
export class MessageRefused extends CodedError {
  override name = 'MessageRefused'
}
