// A token bucket: `burst` tokens at most, refilled at `perSecond`. Each
// accepted message takes one token; an empty bucket means the sender is going
// faster than it may.
export class TokenBucket {
  readonly #perSecond: number
  readonly #burst: number
  #tokens: number
  #refilledAt: number

  constructor (perSecond: number, burst: number, now = Date.now()) {
    if (!(perSecond > 0) || !(burst >= 1)) throw new RangeError(`token bucket needs a positive rate and a burst of at least 1 (got ${perSecond}/s, ${burst})`)
    this.#perSecond = perSecond
    this.#burst = burst
    this.#tokens = burst
    this.#refilledAt = now
  }

  /** Takes one token if there is one. */
  take (now = Date.now()): boolean {
    this.#refill(now)
    if (this.#tokens < 1) return false
    this.#tokens -= 1
    return true
  }

  /** True when the bucket is back to full, i.e. it holds no memory of the sender. */
  isFull (now = Date.now()): boolean {
    this.#refill(now)
    return this.#tokens >= this.#burst
  }

  #refill (now: number): void {
    const elapsed = Math.max(0, now - this.#refilledAt) / 1000
    this.#tokens = Math.min(this.#burst, this.#tokens + elapsed * this.#perSecond)
    this.#refilledAt = now
  }
}
