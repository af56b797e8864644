// The time the exe-unit counts usage by: injected, so that tests advance it
// instead of waiting for real time to pass.
export interface Clock {
  /** Milliseconds since the epoch. */
  now: () => number
}

export const systemClock: Clock = { now: () => Date.now() }
