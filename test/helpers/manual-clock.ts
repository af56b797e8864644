// A clock that moves only when a test says so: timers fire in time order as
// advance() passes their due time, so retry schedules are checked exactly.
import type { Clock, TimerHandle } from '../../net/index.ts'

interface Timer {
  at: number
  seq: number
  fn: () => void
}

export class ManualClock implements Clock {
  #now: number
  #seq = 0
  readonly #timers = new Map<number, Timer>()

  constructor(start = 1_000_000) {
    this.#now = start
  }

  now = (): number => this.#now

  setTimeout = (fn: () => void, ms: number): TimerHandle => {
    const seq = ++this.#seq
    this.#timers.set(seq, { at: this.#now + Math.max(0, ms), seq, fn })
    return seq
  }

  clearTimeout = (handle: TimerHandle): void => {
    this.#timers.delete(handle as number)
  }

  /** Due times of the timers not yet fired, soonest first. */
  pending(): number[] {
    return [...this.#timers.values()].map(t => t.at).sort((a, b) => a - b)
  }

  /** Moves time on by `ms`, firing every timer due by then, in order. */
  advance(ms: number): void {
    const until = this.#now + ms
    for (;;) {
      const next = [...this.#timers.values()].filter(t => t.at <= until).sort((a, b) => a.at - b.at || a.seq - b.seq)[0]
      if (next === undefined) break
      this.#timers.delete(next.seq)
      this.#now = next.at
      next.fn()
    }
    this.#now = until
  }
}
