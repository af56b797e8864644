// A deadline for one operation: a signal that aborts when the time is up, and
// `clear` for when the operation ends first. AbortSignal.timeout keeps its
// timer until it fires, however early the operation ended, and then builds an
// error (with its stack) no one reads; this timer goes with the operation.
import { systemClock } from '../outbox/clock.ts'

export interface Deadline {
  /** Aborts with the deadline's reason once `ms` have passed, unless cleared first. */
  readonly signal: AbortSignal
  /** Stops the timer: the signal never aborts after this. Call it in a finally; calling it again does nothing. */
  readonly clear: () => void
}

/** What AbortSignal.timeout aborts with: a DOMException named 'TimeoutError', which callers may test for. */
function timeoutReason(): DOMException {
  return new DOMException('The operation was aborted due to timeout', 'TimeoutError')
}

/**
 * A signal that aborts after `ms` with `reason()` (made only if it fires),
 * by default AbortSignal.timeout's own reason. Its timer never keeps the
 * process alive, and holds past Node's longest timer (about 24.8 days).
 */
export function deadlineSignal(ms: number, reason: () => unknown = timeoutReason): Deadline {
  const controller = new AbortController()
  const timer = systemClock.setTimeout(() => controller.abort(reason()), ms)
  return { signal: controller.signal, clear: () => systemClock.clearTimeout(timer) }
}
