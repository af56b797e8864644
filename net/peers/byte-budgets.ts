// One token bucket of bytes per key (a relaying node, a signer): how much
// each may add per interval. Keys are free to make, so the buckets kept are
// bounded; a forgotten key starts again with a full bucket, which is no more
// than a fresh key would get anyway.
import { TokenBucket } from './token-bucket.ts'
import type { Clock } from './clock.ts'

export interface ByteBudget {
  bytesPerSecond: number
  burstBytes: number
}

export class ByteBudgets<Key> {
  readonly #budget: ByteBudget
  readonly #clock: Clock
  readonly #maxTracked: number
  readonly #buckets = new Map<Key, TokenBucket>()

  constructor(budget: ByteBudget, clock: Clock, maxTracked = 10_000) {
    // Constructing one bucket checks the rate and burst once, at start.
    void new TokenBucket(budget.bytesPerSecond, budget.burstBytes, clock.now())
    this.#budget = budget
    this.#clock = clock
    this.#maxTracked = maxTracked
  }

  /** Whether `key` may add `bytes` now (takes nothing). */
  allows(key: Key, bytes: number): boolean {
    const bucket = this.#buckets.get(key)
    return bucket === undefined ? bytes <= this.#budget.burstBytes : bucket.has(this.#clock.now(), bytes)
  }

  /** Milliseconds until `key` may add `bytes` (0: now; Infinity: never, more than the burst). */
  msUntil(key: Key, bytes: number): number {
    const bucket = this.#buckets.get(key)
    if (bucket === undefined) return bytes <= this.#budget.burstBytes ? 0 : Number.POSITIVE_INFINITY
    return bucket.msUntil(this.#clock.now(), bytes)
  }

  /** Charges `bytes` to `key`; false (and nothing charged) when over its budget. */
  take(key: Key, bytes: number): boolean {
    return this.#bucketOf(key).take(this.#clock.now(), bytes)
  }

  #bucketOf(key: Key): TokenBucket {
    let bucket = this.#buckets.get(key)
    if (bucket !== undefined) {
      this.#buckets.delete(key)
      this.#buckets.set(key, bucket)
      return bucket
    }
    const now = this.#clock.now()
    bucket = new TokenBucket(this.#budget.bytesPerSecond, this.#budget.burstBytes, now)
    this.#buckets.set(key, bucket)
    if (this.#buckets.size > this.#maxTracked) {
      // The least recently charged goes: a fresh key would get as much.
      const oldest = this.#buckets.keys().next()
      if (oldest.done !== true) this.#buckets.delete(oldest.value)
    }
    return bucket
  }
}
