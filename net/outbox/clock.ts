// Time as a component: the outbox asks an injected clock for the time and its
// timers, so tests drive retries by advancing a manual clock instead of sleeping.

export type TimerHandle = unknown

export interface Clock {
  now: () => number
  setTimeout: (fn: () => void, ms: number) => TimerHandle
  clearTimeout: (handle: TimerHandle) => void
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const timer = setTimeout(fn, ms)
    // A pending retry must never keep the process alive on its own.
    timer.unref()
    return timer
  },
  clearTimeout: handle => {
    clearTimeout(handle as ReturnType<typeof setTimeout>)
  }
}
