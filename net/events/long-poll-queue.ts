// Events a REST client collects by long-polling: each event is delivered once,
// a caller waits up to its timeout for the first one, and closing the queue
// ends every waiting call (as unsubscribe must).

export class QueueClosedError extends Error {
  override name = 'QueueClosedError'
}

interface Waiter {
  wake: () => void
}

export class LongPollQueue<T> {
  readonly #items: T[] = []
  readonly #waiters = new Set<Waiter>()
  readonly #capacity: number
  #closed = false
  #dropped = 0

  /** At most `capacity` undelivered events are kept; the oldest are dropped first. */
  constructor (capacity = 10_000) {
    this.#capacity = capacity
  }

  get closed (): boolean { return this.#closed }
  get size (): number { return this.#items.length }
  /** How many events were dropped because nobody collected them in time. */
  get dropped (): number { return this.#dropped }

  push (item: T): void {
    if (this.#closed) return
    this.#items.push(item)
    if (this.#items.length > this.#capacity) {
      this.#items.shift()
      this.#dropped++
    }
    for (const waiter of [...this.#waiters]) waiter.wake()
  }

  /**
   * Takes up to `max` events, waiting up to `timeoutMs` for the first one.
   * Returns [] on timeout or abort; throws QueueClosedError once closed.
   */
  async take (max: number, timeoutMs: number, signal?: AbortSignal): Promise<T[]> {
    if (this.#closed) throw new QueueClosedError('closed')
    if (this.#items.length === 0 && timeoutMs > 0 && signal?.aborted !== true) {
      await this.#waitForItem(timeoutMs, signal)
    }
    if (this.#closed) throw new QueueClosedError('closed')
    return this.#items.splice(0, Math.max(1, max))
  }

  #waitForItem (timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>(resolve => {
      const finish = (): void => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', finish)
        this.#waiters.delete(waiter)
        resolve()
      }
      const waiter: Waiter = { wake: finish }
      const timer = setTimeout(finish, timeoutMs)
      signal?.addEventListener('abort', finish, { once: true })
      this.#waiters.add(waiter)
    })
  }

  close (): void {
    this.#closed = true
    this.#items.length = 0
    for (const waiter of [...this.#waiters]) waiter.wake()
  }
}
