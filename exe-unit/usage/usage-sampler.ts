// Measures a runtime's usage in the background and keeps the last reading, so
// that reading usage costs nothing however often clients ask (golem-js reads
// it after every exec and every result poll; one Docker stats call takes up to
// a second). One measurement at a time: the next is scheduled on the injected
// clock only once the last has ended. A failed measurement keeps the last
// reading and is logged. Readings never go down.
import type { Clock, Logger, TimerHandle } from '../../net/index.ts'
import type { RuntimeUsage } from '../runtime/runtime.ts'

export interface UsageSamplerComponents {
  clock: Clock
  logger: Logger
}

export interface UsageSamplerInit {
  /** Time from the end of one measurement to the start of the next. */
  intervalMs: number
}

export type UsageReader = () => Promise<RuntimeUsage>

export class UsageSampler {
  readonly #read: UsageReader
  readonly #clock: Clock
  readonly #log: Logger
  readonly #intervalMs: number
  #last: RuntimeUsage = { cpuSec: 0, peakMemoryBytes: 0 }
  #timer: TimerHandle | undefined
  #inFlight: Promise<void> | undefined
  /** Another measurement was asked for while one was in flight. */
  #again = false
  #started = false
  #stopped = false

  constructor(read: UsageReader, components: UsageSamplerComponents, init: UsageSamplerInit) {
    if (!(Number.isFinite(init.intervalMs) && init.intervalMs > 0)) throw new RangeError(`intervalMs must be a positive number, got ${init.intervalMs}`)
    this.#read = read
    this.#clock = components.clock
    this.#log = components.logger
    this.#intervalMs = init.intervalMs
  }

  /** Measures at once, then every interval; does nothing once started or stopped. */
  start(): void {
    if (this.#started || this.#stopped) return
    this.#started = true
    this.#measure()
  }

  /** The last reading: no measurement is made. */
  latest(): RuntimeUsage {
    return { ...this.#last }
  }

  /** Asks for a measurement now (usage changed, e.g. a command ended), after the one in flight if any. */
  soon(): void {
    if (!this.#started || this.#stopped) return
    if (this.#inFlight !== undefined) {
      this.#again = true
      return
    }
    this.#measure()
  }

  /** Stops measuring: no measurement starts after this; one in flight is awaited. Idempotent. */
  async stop(): Promise<void> {
    this.#stopped = true
    this.#again = false
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer)
    this.#timer = undefined
    await this.#inFlight
  }

  /** Stops, then measures one last time (the activity is ending); returns the final reading. */
  async finish(): Promise<RuntimeUsage> {
    const first = !this.#stopped
    await this.stop()
    if (first) await this.#take()
    return this.latest()
  }

  #measure(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer)
    this.#timer = undefined
    this.#inFlight = this.#take().finally(() => {
      this.#inFlight = undefined
      if (this.#stopped) return
      if (this.#again) {
        this.#again = false
        this.#measure()
        return
      }
      this.#timer = this.#clock.setTimeout(() => {
        this.#timer = undefined
        this.#measure()
      }, this.#intervalMs)
    })
  }

  async #take(): Promise<void> {
    try {
      const usage = await this.#read()
      this.#last = {
        cpuSec: Math.max(this.#last.cpuSec, finiteOrZero(usage.cpuSec)),
        peakMemoryBytes: Math.max(this.#last.peakMemoryBytes, finiteOrZero(usage.peakMemoryBytes))
      }
    } catch (err) {
      this.#log.warn({ err }, 'a usage measurement failed; the last reading stands')
    }
  }
}

function finiteOrZero(value: number): number {
  return Number.isFinite(value) ? value : 0
}
