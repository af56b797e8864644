// Time as a component: what reads the time or waits takes a clock, so a test
// can move time on instead of sleeping.
export interface Clock {
  /** ms since the epoch */
  now: () => number
}

export const systemClock: Clock = { now: () => Date.now() }

/** A clock that only moves when told to (tests, benchmarks). */
export class ManualClock implements Clock {
  #now: number

  constructor(start = Date.now()) {
    this.#now = start
  }

  now(): number {
    return this.#now
  }

  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`a clock only moves forward, not by ${ms} ms`)
    this.#now += ms
  }
}
