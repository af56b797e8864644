// The provider's totals: how many activities, and how much memory and how many
// threads they reserve together. A request beyond them is refused at once.
import { ExeUnitError } from './errors.ts'

export interface Reservation {
  memoryBytes: number
  threads: number
}

export interface CapacityTotals {
  maxActivities: number
  maxMemoryBytes: number
  maxThreads: number
}

export class Capacity {
  readonly #totals: CapacityTotals
  readonly #reserved = new Map<string, Reservation>()

  constructor(totals: CapacityTotals) {
    this.#totals = totals
  }

  reserve(activityId: string, want: Reservation): void {
    const used = this.used()
    const refuse = (what: string): never => {
      throw new ExeUnitError('CapacityExceeded', `no capacity for activity ${activityId}: ${what}`)
    }
    if (this.#reserved.has(activityId)) throw new ExeUnitError('Conflict', `activity ${activityId} already exists`)
    if (this.#reserved.size + 1 > this.#totals.maxActivities) refuse(`${this.#reserved.size} of ${this.#totals.maxActivities} activities are running`)
    if (used.memoryBytes + want.memoryBytes > this.#totals.maxMemoryBytes) {
      refuse(`it asks for ${gib(want.memoryBytes)} GiB of memory, ${gib(this.#totals.maxMemoryBytes - used.memoryBytes)} GiB are free`)
    }
    if (used.threads + want.threads > this.#totals.maxThreads) {
      refuse(`it asks for ${want.threads} threads, ${this.#totals.maxThreads - used.threads} are free`)
    }
    this.#reserved.set(activityId, want)
  }

  release(activityId: string): void {
    this.#reserved.delete(activityId)
  }

  used(): Reservation & { activities: number } {
    let memoryBytes = 0
    let threads = 0
    for (const reservation of this.#reserved.values()) {
      memoryBytes += reservation.memoryBytes
      threads += reservation.threads
    }
    return { activities: this.#reserved.size, memoryBytes, threads }
  }
}

function gib(bytes: number): number {
  return Math.round((bytes / 1024 ** 3) * 1000) / 1000
}
