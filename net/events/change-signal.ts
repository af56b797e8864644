// "Something changed": callers wait for the next notice, their timeout or
// their abort signal, whichever comes first, and leave nothing behind.
import type { Clock } from '../outbox/clock.ts'

/** The timers a wait needs; an injected clock gives a test control of every timeout. */
export type WaitTimers = Pick<Clock, 'setTimeout' | 'clearTimeout'>

/** Plain timers that keep the process alive while someone waits (as a test awaiting a wait needs). */
const processTimers: WaitTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: handle => {
    clearTimeout(handle as ReturnType<typeof setTimeout>)
  }
}

export class ChangeSignal {
  readonly #waiters = new Set<(notified: boolean) => void>()
  readonly #timers: WaitTimers

  constructor(timers: WaitTimers = processTimers) {
    this.#timers = timers
  }

  /** Ends every current wait as notified. */
  notify(): void {
    const waiters = [...this.#waiters]
    this.#waiters.clear()
    for (const wake of waiters) wake(true)
  }

  /** Resolves true on the next notice, false on timeout or abort. An infinite timeout waits for one of the others. */
  async wait(timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (timeoutMs <= 0 || signal?.aborted === true) return false
    return await new Promise<boolean>(resolve => {
      const done = (notified: boolean): void => {
        if (timer !== undefined) this.#timers.clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
        this.#waiters.delete(done)
        resolve(notified)
      }
      const onAbort = (): void => {
        done(false)
      }
      const timer = Number.isFinite(timeoutMs) ? this.#timers.setTimeout(onAbort, timeoutMs) : undefined
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#waiters.add(done)
    })
  }
}
