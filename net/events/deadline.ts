// A deadline for one operation: a signal that aborts when the time is up, and
// `clear` for when the operation ends first. AbortSignal.timeout keeps its
// timer until it fires, however early the operation ended, and then builds an
// error (with its stack) no one reads; this timer goes with the operation.
import { systemClock } from '../outbox/clock.ts'
import type { Clock } from '../outbox/clock.ts'

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

/**
 * `work`'s outcome, or a rejection with `reason()` once `ms` have passed on
 * `clock`, whichever comes first; the timer goes with it. `work` itself runs
 * on: a caller that can stop it passes it a signal of its own.
 */
export async function withinTime<T>(work: Promise<T>, ms: number, reason: () => unknown, clock: Clock = systemClock): Promise<T> {
  let timer: unknown
  const late = new Promise<never>((_, reject) => {
    timer = clock.setTimeout(() => reject(reason()), ms)
  })
  try {
    return await Promise.race([work, late])
  } finally {
    clock.clearTimeout(timer)
  }
}
