// An activity's usage counters (golem.usage.*): wall-clock duration since it
// was created, CPU seconds and peak memory from its runtime; reported as the
// Activity API's vector, ordered by the agreement's golem.com.usage.vector.
import { USAGE_CPU_SEC, USAGE_DURATION_SEC, USAGE_PEAK_MEMORY_GIB } from '../properties.ts'
import type { ActivityUsage } from '../activity/types.ts'
import type { RuntimeUsage } from '../runtime/runtime.ts'
import { systemClock } from '../clock.ts'
import type { Clock } from '../clock.ts'

const GIB = 1024 ** 3

export class UsageMeter {
  readonly #vector: readonly string[]
  readonly #clock: Pick<Clock, 'now'>
  readonly #startedAt: number
  #stoppedAt: number | undefined
  #runtime: RuntimeUsage = { cpuSec: 0, peakMemoryBytes: 0 }
  #updatedAt: number

  /** Counts from the clock's now. */
  constructor(vector: readonly string[], clock: Pick<Clock, 'now'> = systemClock) {
    this.#vector = vector
    this.#clock = clock
    const startedAt = clock.now()
    this.#startedAt = startedAt
    this.#updatedAt = startedAt
  }

  /** Counters never go down, whatever a runtime reports. */
  update(usage: RuntimeUsage): void {
    if (this.#stoppedAt !== undefined) return
    this.#runtime = {
      cpuSec: Math.max(this.#runtime.cpuSec, usage.cpuSec),
      peakMemoryBytes: Math.max(this.#runtime.peakMemoryBytes, usage.peakMemoryBytes)
    }
    this.#updatedAt = this.#clock.now()
  }

  /** Freezes the counters (the activity ended). */
  stop(): void {
    this.#stoppedAt ??= this.#clock.now()
    this.#updatedAt = this.#stoppedAt
  }

  counters(): Record<string, number> {
    const end = this.#stoppedAt ?? this.#clock.now()
    return {
      [USAGE_DURATION_SEC]: (end - this.#startedAt) / 1000,
      [USAGE_CPU_SEC]: this.#runtime.cpuSec,
      [USAGE_PEAK_MEMORY_GIB]: this.#runtime.peakMemoryBytes / GIB
    }
  }

  /** Counters the agreement names but the exe-unit does not measure read 0. */
  vector(): ActivityUsage {
    const counters = this.counters()
    return {
      currentUsage: this.#vector.map(name => counters[name] ?? 0),
      timestamp: Math.floor((this.#stoppedAt ?? Math.max(this.#updatedAt, this.#clock.now())) / 1000)
    }
  }
}
