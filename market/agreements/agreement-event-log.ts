// Agreement events (approved, rejected, cancelled, terminated) as both parties
// see them, kept on disk and collected by time: a client asks for events after
// the last date it saw. Dates strictly increase, so no two share a timestamp.
import { ChangeSignal, InOrderRelease } from '../../net/index.ts'
import type { Clock } from '../../net/index.ts'
import type { AgreementOperationEvent } from '../model/api.ts'
import type { StoreOp } from '../../net/index.ts'
import type { MarketStore } from '../store/market-store.ts'
import { storedAgreementEvent } from '../store/record-checks.ts'

export interface LoggedAgreementEvent {
  event: AgreementOperationEvent
  at: number
  appSessionId?: string
}

/** An event staged with a write: its ops go in the write's batch; then `commit`, or `abandon` if the batch failed. */
export interface StagedEvent {
  ops: StoreOp[]
  commit: () => void
  abandon: () => void
}

export class AgreementEventLog {
  readonly #store: MarketStore
  readonly #events: LoggedAgreementEvent[] = []
  readonly #appended: ChangeSignal
  readonly #clock: Clock
  readonly #maxKept: number
  #last = 0
  /** Staged events become collectable in date order, whatever order their batches land in; those no longer kept are deleted with a later one. */
  readonly #release = new InOrderRelease<LoggedAgreementEvent>(released => {
    this.#collectable(released)
  })

  constructor(store: MarketStore, clock: Clock, maxKept = 10_000) {
    this.#store = store
    this.#clock = clock
    this.#appended = new ChangeSignal(clock)
    this.#maxKept = maxKept
  }

  async load(): Promise<void> {
    const stored = await this.#store.list<LoggedAgreementEvent>('event', storedAgreementEvent)
    this.#events.push(...stored.slice(-this.#maxKept))
    for (const logged of stored.slice(0, -this.#maxKept)) this.#release.forget(keyOf(logged.at))
    this.#last = this.#events.at(-1)?.at ?? 0
  }

  /**
   * The event, ready to be written in one batch with the state change it
   * tells of (so that no crash keeps one without the other); `commit` once
   * that batch is written makes it collectable. Events beyond those kept are
   * deleted in a later batch (and, until then, not loaded again).
   */
  stage(event: Omit<AgreementOperationEvent, 'eventDate'>, appSessionId?: string): StagedEvent {
    const at = Math.max(this.#clock.now(), this.#last + 1)
    this.#last = at
    const full = { ...event, eventDate: new Date(at).toISOString() } as AgreementOperationEvent
    const logged: LoggedAgreementEvent = { event: full, at }
    if (appSessionId !== undefined) logged.appSessionId = appSessionId
    const { deletes, commit, abandon } = this.#release.stage(logged)
    const ops: StoreOp[] = [...deletes.map(key => this.#store.delOp('event', key)), this.#store.putOp('event', keyOf(at), logged)]
    return { ops, commit, abandon }
  }

  #collectable(released: LoggedAgreementEvent[]): void {
    this.#events.push(...released)
    while (this.#events.length > this.#maxKept) {
      const dropped = this.#events.shift()
      if (dropped !== undefined) this.#release.forget(keyOf(dropped.at))
    }
    this.#appended.notify()
  }

  /** Events after `afterMs`, waiting up to `timeoutMs` for the first. */
  async collect(options: {
    afterMs: number
    maxEvents: number
    timeoutMs: number
    appSessionId?: string
    signal?: AbortSignal
  }): Promise<AgreementOperationEvent[]> {
    const pick = (): AgreementOperationEvent[] =>
      this.#events
        .filter(e => e.at > options.afterMs && (options.appSessionId === undefined || e.appSessionId === options.appSessionId))
        .slice(0, options.maxEvents)
        .map(e => e.event)
    let found = pick()
    if (found.length > 0 || options.timeoutMs <= 0) return found
    const deadline = this.#clock.now() + options.timeoutMs
    while (found.length === 0 && this.#clock.now() < deadline && options.signal?.aborted !== true) {
      await this.#appended.wait(deadline - this.#clock.now(), options.signal)
      found = pick()
    }
    return found
  }

  wakeAll(): void {
    this.#appended.notify()
  }
}

/** Store key of an event: its time in 15 digits, so keys list in time order. */
function keyOf(at: number): string {
  return String(at).padStart(15, '0')
}
