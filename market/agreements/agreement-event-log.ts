// Agreement events (approved, rejected, cancelled, terminated) as both parties
// see them, kept on disk and collected by time: a client asks for events after
// the last date it saw. Dates strictly increase, so no two share a timestamp.
import type { AgreementOperationEvent } from '../model/api.ts'
import type { MarketStore } from '../store/market-store.ts'

export interface LoggedAgreementEvent {
  event: AgreementOperationEvent
  at: number
  appSessionId?: string
}

export class AgreementEventLog {
  readonly #store: MarketStore
  readonly #events: LoggedAgreementEvent[] = []
  readonly #waiters = new Set<() => void>()
  readonly #maxKept: number
  #last = 0

  constructor (store: MarketStore, maxKept = 10_000) {
    this.#store = store
    this.#maxKept = maxKept
  }

  async load (): Promise<void> {
    const stored = await this.#store.list<LoggedAgreementEvent>('event')
    this.#events.push(...stored.slice(-this.#maxKept))
    this.#last = this.#events.at(-1)?.at ?? 0
  }

  async append (event: Omit<AgreementOperationEvent, 'eventDate'>, appSessionId?: string): Promise<AgreementOperationEvent> {
    const at = Math.max(Date.now(), this.#last + 1)
    this.#last = at
    const full = { ...event, eventDate: new Date(at).toISOString() } as AgreementOperationEvent
    const logged: LoggedAgreementEvent = { event: full, at }
    if (appSessionId !== undefined) logged.appSessionId = appSessionId
    await this.#store.put('event', `${String(at).padStart(15, '0')}`, logged)
    this.#events.push(logged)
    if (this.#events.length > this.#maxKept) {
      const dropped = this.#events.shift()
      if (dropped !== undefined) await this.#store.del('event', String(dropped.at).padStart(15, '0'))
    }
    for (const wake of [...this.#waiters]) wake()
    return full
  }

  /** Events after `afterMs`, waiting up to `timeoutMs` for the first. */
  async collect (options: { afterMs: number, maxEvents: number, timeoutMs: number, appSessionId?: string, signal?: AbortSignal }): Promise<AgreementOperationEvent[]> {
    const pick = (): AgreementOperationEvent[] => this.#events
      .filter(e => e.at > options.afterMs && (options.appSessionId === undefined || e.appSessionId === options.appSessionId))
      .slice(0, options.maxEvents)
      .map(e => e.event)
    let found = pick()
    if (found.length > 0 || options.timeoutMs <= 0) return found
    const deadline = Date.now() + options.timeoutMs
    while (found.length === 0 && Date.now() < deadline && options.signal?.aborted !== true) {
      await this.#waitForAppend(deadline - Date.now(), options.signal)
      found = pick()
    }
    return found
  }

  #waitForAppend (timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise(resolve => {
      const done = (): void => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', done)
        this.#waiters.delete(done)
        resolve()
      }
      const timer = setTimeout(done, timeoutMs)
      signal?.addEventListener('abort', done, { once: true })
      this.#waiters.add(done)
    })
  }

  wakeAll (): void {
    for (const wake of [...this.#waiters]) wake()
  }
}
