// Why a publish or retract of this node's own entry was refused: the caller's
// input (BadRequest, PayloadTooLarge), the entry's state (Conflict, Gone,
// NotFound, Forbidden), or a full store (CapacityExceeded).
import { CodedError } from '../errors/coded-error.ts'

export type BroadcastErrorCode = 'BadRequest' | 'PayloadTooLarge' | 'Conflict' | 'Gone' | 'NotFound' | 'Forbidden' | 'CapacityExceeded'

export class BroadcastError extends CodedError<BroadcastErrorCode> {
  override name = 'BroadcastError'
}
