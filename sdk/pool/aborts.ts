// Waits that a caller's AbortSignal ends with AbortedError (the SDK's one way
// of saying "you stopped waiting"), whatever reason the signal carries.
import { AbortedError } from '../errors.ts'

export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted === true) throw new AbortedError(`${what} was aborted`)
}

/** Every given signal in one (undefined when none is given). */
export function anySignal(...signals: readonly (AbortSignal | undefined)[]): AbortSignal | undefined {
  const present = signals.filter((s): s is AbortSignal => s !== undefined)
  if (present.length === 0) return undefined
  if (present.length === 1) return present[0]
  return AbortSignal.any(present)
}

/** Calls `fn` once when `signal` aborts (at once if it already has); returns the unsubscribe. */
export function onAbort(signal: AbortSignal | undefined, fn: () => void): () => void {
  if (signal === undefined) return () => {}
  if (signal.aborted) {
    fn()
    return () => {}
  }
  signal.addEventListener('abort', fn, { once: true })
  return () => signal.removeEventListener('abort', fn)
}
