// A token bucket: `burst` tokens at most, refilled at `perSecond`. Each
// accepted message (or byte) takes its tokens; an empty bucket means the
// sender is going faster than it may. The caller passes the time.
export class TokenBucket {
  readonly #perSecond: number
  readonly #burst: number
  #tokens: number
  #refilledAt: number

  constructor(perSecond: number, burst: number, now: number) {
    if (!(perSecond > 0) || !(burst >= 1)) throw new RangeError(`token bucket needs a positive rate and a burst of at least 1 (got ${perSecond}/s, ${burst})`)
    this.#perSecond = perSecond
    this.#burst = burst
    this.#tokens = burst
    this.#refilledAt = now
  }

  /** Takes `amount` tokens if there are that many; otherwise takes none. */
  take(now: number, amount = 1): boolean {
    if (!this.has(now, amount)) return false
    this.#tokens -= amount
    return true
  }

  /** Whether `amount` tokens are there now (takes none). */
  has(now: number, amount = 1): boolean {
    this.#refill(now)
    return this.#tokens >= amount
  }

  /** Milliseconds until `amount` tokens are there (0: now; Infinity: never, more than the burst). */
  msUntil(now: number, amount = 1): number {
    this.#refill(now)
    if (amount > this.#burst) return Number.POSITIVE_INFINITY
    return this.#tokens >= amount ? 0 : Math.ceil(((amount - this.#tokens) / this.#perSecond) * 1000)
  }

  /** True when the bucket is back to full, i.e. it holds no memory of the sender. */
  isFull(now: number): boolean {
    this.#refill(now)
    return this.#tokens >= this.#burst
  }

  #refill(now: number): void {
    const elapsed = Math.max(0, now - this.#refilledAt) / 1000
    this.#tokens = Math.min(this.#burst, this.#tokens + elapsed * this.#perSecond)
    this.#refilledAt = Math.max(this.#refilledAt, now)
  }
}
