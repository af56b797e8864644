// Time as a component: the outbox asks an injected clock for the time and its
// timers, so tests drive retries by advancing a manual clock instead of sleeping.

export type TimerHandle = unknown

export interface Clock {
  now: () => number
  setTimeout: (fn: () => void, ms: number) => TimerHandle
  clearTimeout: (handle: TimerHandle) => void
}

/** The longest delay Node's setTimeout holds; a longer one fires after 1 ms instead. */
export const LONGEST_TIMER_MS = 2 ** 31 - 1

interface ChainedTimer {
  current: ReturnType<typeof setTimeout>
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    // Delays past what Node holds (an allocation's timeout weeks away) run as a chain of the longest timers.
    const due = Date.now() + ms
    const handle = {} as ChainedTimer
    const arm = (wait: number): void => {
      // Only a link short of the due time re-arms; the last one runs fn as any timer does.
      const last = wait <= LONGEST_TIMER_MS
      handle.current = setTimeout(last ? fn : () => arm(due - Date.now()), last ? wait : LONGEST_TIMER_MS)
      // A pending retry must never keep the process alive on its own.
      handle.current.unref()
    }
    arm(ms)
    return handle
  },
  clearTimeout: handle => {
    const timer = (handle as ChainedTimer | undefined)?.current
    if (timer !== undefined) clearTimeout(timer)
  }
}
