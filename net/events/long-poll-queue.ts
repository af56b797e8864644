// Events a REST client collects by long-polling: each event is delivered once,
// a caller waits up to its timeout for the first one, and closing the queue
// ends every waiting call (as unsubscribe must).
import { CodedError } from '../errors/coded-error.ts'
import { ChangeSignal } from './change-signal.ts'
import type { WaitTimers } from './change-signal.ts'

/** The queue was closed (its subscription ended) before or while waiting. */
export class QueueClosedError extends CodedError<'Gone'> {
  override name = 'QueueClosedError'

  constructor(message = 'closed') {
    super('Gone', message)
  }
}

export class LongPollQueue<T> {
  readonly #items: T[] = []
  readonly #changed: ChangeSignal
  readonly #capacity: number
  #closed = false
  #dropped = 0

  /** At most `capacity` undelivered events are kept; the oldest are dropped first. Waits time out on `timers`. */
  constructor(capacity = 10_000, timers?: WaitTimers) {
    this.#capacity = capacity
    this.#changed = new ChangeSignal(timers)
  }

  get closed(): boolean {
    return this.#closed
  }
  get size(): number {
    return this.#items.length
  }
  /** How many events were dropped because nobody collected them in time. */
  get dropped(): number {
    return this.#dropped
  }

  push(item: T): void {
    if (this.#closed) return
    this.#items.push(item)
    if (this.#items.length > this.#capacity) {
      this.#items.shift()
      this.#dropped++
    }
    this.#changed.notify()
  }

  /**
   * Takes up to `max` events, waiting up to `timeoutMs` for the first one.
   * Returns [] on timeout or abort; throws QueueClosedError once closed.
   */
  async take(max: number, timeoutMs: number, signal?: AbortSignal): Promise<T[]> {
    if (this.#closed) throw new QueueClosedError()
    if (this.#items.length === 0 && timeoutMs > 0 && signal?.aborted !== true) {
      await this.#changed.wait(timeoutMs, signal)
    }
    if (this.#closed) throw new QueueClosedError()
    return this.#items.splice(0, Math.max(1, max))
  }

  close(): void {
    this.#closed = true
    this.#items.length = 0
    this.#changed.notify()
  }
}
