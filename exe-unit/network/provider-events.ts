// The provider's activity events (CollectActivityEvents): an activity was
// created for, or destroyed under, an agreement. Kept in memory, the latest
// first to go; clients read them from a timestamp on, waiting for new ones.
import { ChangeSignal } from '../../net/index.ts'

export interface ProviderEvent {
  eventType: 'CreateActivity' | 'DestroyActivity'
  eventDate: string
  activityId: string
  agreementId: string
}

const KEPT_EVENTS = 10_000

export class ProviderEventLog {
  readonly #events: Array<ProviderEvent & { at: number }> = []
  #lastAt = 0
  readonly #recorded = new ChangeSignal()

  record (eventType: ProviderEvent['eventType'], activityId: string, agreementId: string): void {
    // Strictly increasing times: a reader resuming after an event's date misses none.
    const at = Math.max(Date.now(), this.#lastAt + 1)
    this.#lastAt = at
    this.#events.push({ eventType, eventDate: new Date(at).toISOString(), activityId, agreementId, at })
    if (this.#events.length > KEPT_EVENTS) this.#events.splice(0, this.#events.length - KEPT_EVENTS)
    this.#recorded.notify()
  }

  /** Events after `afterMs`, waiting up to `timeoutMs` for the first. */
  async collect (afterMs: number, maxEvents: number, timeoutMs: number, signal?: AbortSignal): Promise<ProviderEvent[]> {
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
