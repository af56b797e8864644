// The provider's activity events (CollectActivityEvents): an activity was
// created for, or destroyed under, an agreement. Kept in memory and, with a
// store, on disk too (a restart keeps them readable), the oldest first to go;
// clients read them from a timestamp on, waiting for new ones.
import Type from 'typebox'
import { ChangeSignal, loadEach, validator } from '../../net/index.ts'
import type { RecordStore } from '../activity/activity-records.ts'

export interface ProviderEvent {
  eventType: 'CreateActivity' | 'DestroyActivity'
  eventDate: string
  activityId: string
  agreementId: string
}

type KeptEvent = ProviderEvent & { at: number }

const StoredEvent = Type.Object({
  eventType: Type.Union([Type.Literal('CreateActivity'), Type.Literal('DestroyActivity')]),
  eventDate: Type.String(),
  activityId: Type.String(),
  agreementId: Type.String(),
  at: Type.Integer({ minimum: 0 })
})
const storedEvent = validator(StoredEvent, 'stored provider event')

const KEPT_EVENTS = 10_000
const EVENT_PREFIX = 'event:'

/** Keys sort by time: the time in ms, zero-padded. */
function eventKey(at: number): string {
  return `${EVENT_PREFIX}${String(at).padStart(16, '0')}`
}

export class ProviderEventLog {
  readonly #events: KeptEvent[] = []
  #lastAt = 0
  readonly #recorded = new ChangeSignal()
  readonly #store: RecordStore | undefined
  #writes: Promise<void> = Promise.resolve()

  constructor(store?: RecordStore) {
    this.#store = store
  }

  /** Reads the stored events (unreadable ones are set aside); call before recording. */
  async open(): Promise<void> {
    if (this.#store === undefined) return
    const loaded = await loadEach({ store: this.#store, range: { gte: EVENT_PREFIX, lt: 'event;' }, parse: value => storedEvent.parse(value) })
    for (const { record } of loaded) this.#events.push(record)
    this.#events.sort((a, b) => a.at - b.at)
    this.#lastAt = this.#events.at(-1)?.at ?? 0
  }

  record(eventType: ProviderEvent['eventType'], activityId: string, agreementId: string): void {
    // Strictly increasing times: a reader resuming after an event's date misses none.
    const at = Math.max(Date.now(), this.#lastAt + 1)
    this.#lastAt = at
    const event: KeptEvent = { eventType, eventDate: new Date(at).toISOString(), activityId, agreementId, at }
    this.#events.push(event)
    const dropped = this.#events.length > KEPT_EVENTS ? this.#events.splice(0, this.#events.length - KEPT_EVENTS) : []
    const store = this.#store
    if (store !== undefined) {
      this.#writes = this.#writes
        .then(async () => {
          await store.put(eventKey(at), event)
          for (const old of dropped) await store.del(eventKey(old.at))
        })
        .catch(() => {})
    }
    this.#recorded.notify()
  }

  /** Waits for the events recorded so far to be written. */
  async flush(): Promise<void> {
    await this.#writes
  }

  /** Events after `afterMs`, waiting up to `timeoutMs` for the first. */
  async collect(afterMs: number, maxEvents: number, timeoutMs: number, signal?: AbortSignal): Promise<ProviderEvent[]> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const found = this.#events.filter(event => event.at > afterMs).slice(0, maxEvents)
      const left = deadline - Date.now()
      if (found.length > 0 || left <= 0 || signal?.aborted === true) {
        return found.map(({ at: _at, ...event }) => event)
      }
      await this.#recorded.wait(left, signal)
    }
  }
}
