// One round of a session on the aggregator: the owners expected to answer,
// what each answered (once), and how it ends — when every expected owner has
// answered, or at its deadline (on the injected clock) with at least the
// threshold of them; with fewer, the round fails, and with it the session.
import { CodedError } from '../../net/kernel.ts'
import type { Clock, NodeId, TimerHandle } from '../../net/kernel.ts'
import type { RoundName } from './messages.ts'

export type RoundEnd = { readonly closed: true } | { readonly closed: false; readonly error: string }

export class Round<T> {
  readonly name: RoundName
  readonly expected: ReadonlySet<NodeId>
  readonly received = new Map<NodeId, T>()
  readonly #threshold: number
  readonly #clock: Clock
  readonly #onEnd: (end: RoundEnd) => void
  #timer: TimerHandle | undefined
  #open = true

  constructor(name: RoundName, expected: Iterable<NodeId>, threshold: number, clock: Clock, timeoutMs: number, onEnd: (end: RoundEnd) => void) {
    this.name = name
    this.expected = new Set(expected)
    this.#threshold = threshold
    this.#clock = clock
    this.#onEnd = onEnd
    this.#timer = clock.setTimeout(() => {
      this.#timer = undefined
      this.#deadline()
    }, timeoutMs)
  }

  get open(): boolean {
    return this.#open
  }

  /** Takes one owner's answer; refuses a stranger to the round and a second answer (a replay). */
  accept(from: NodeId, value: T): void {
    if (!this.#open) throw new CodedError('Conflict', `the ${this.name} round is closed`)
    if (!this.expected.has(from)) throw new CodedError('Forbidden', `${from} is not expected in the ${this.name} round`)
    if (this.received.has(from)) throw new CodedError('Conflict', `${from} already answered the ${this.name} round`)
    this.received.set(from, value)
    if (this.received.size === this.expected.size) this.#end({ closed: true })
  }

  /** Ends the round without an outcome (the session is stopping or failed elsewhere). */
  cancel(): void {
    this.#open = false
    this.#clearTimer()
  }

  #deadline(): void {
    if (!this.#open) return
    if (this.received.size >= this.#threshold) this.#end({ closed: true })
    else
      this.#end({
        closed: false,
        error: `only ${this.received.size} of ${this.expected.size} owners answered the ${this.name} round before its deadline, under the threshold ${this.#threshold}`
      })
  }

  #end(end: RoundEnd): void {
    this.#open = false
    this.#clearTimer()
    this.#onEnd(end)
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer)
    this.#timer = undefined
  }
}
