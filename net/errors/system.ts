// The few system failures a caller can act on, read from their errno code
// (never their text): a full disk is InsufficientStorage, not a bare fault.
import { CodedError } from './coded-error.ts'

const FULL_DISK = new Set(['ENOSPC', 'EDQUOT'])

/** A coded form of a system error (anywhere in its cause chain), or undefined for one that stays a fault. */
export function codedSystemError(err: unknown): CodedError | undefined {
  for (let cause = err, depth = 0; cause instanceof Error && depth < 8; cause = cause.cause, depth++) {
    const code = (cause as { code?: unknown }).code
    if (typeof code === 'string' && FULL_DISK.has(code)) return new CodedError('InsufficientStorage', "the node's disk is full", { cause: err })
  }
  return undefined
}
