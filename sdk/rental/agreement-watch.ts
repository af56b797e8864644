// One long poll of the requester's agreement events per connection
// (GET /market-api/v1/agreementEvents), telling each rental when its provider
// terminated its agreement. It runs while some rental listens, and stops on close.
import type { ApiClient } from '../client/api-client.ts'
import type { Clock } from '../../net/kernel.ts'

const POLL_S = 10
const POLL_MARGIN_MS = 15_000
/** After a failed poll (the daemon restarting), wait this long before the next (ms). */
const RETRY_MS = 1_000

interface AgreementEvent {
  readonly eventType: string
  readonly eventDate: string
  readonly agreementId: string
  readonly terminator?: 'Requestor' | 'Provider'
  readonly reason?: { readonly message?: string; readonly 'golem.provider.code'?: string; readonly [key: string]: unknown }
}

export type TerminationListener = (reason: string, code: string | undefined) => void

export class AgreementWatch {
  readonly #api: ApiClient
  readonly #clock: Clock
  readonly #listeners = new Map<string, TerminationListener>()
  readonly #stop = new AbortController()
  #loop: Promise<void> | undefined
  #after: string

  constructor(api: ApiClient, clock: Clock) {
    this.#api = api
    this.#clock = clock
    this.#after = new Date(clock.now()).toISOString()
  }

  /** Starts the poll (from now) if it is not running: called before an agreement is made, so no termination is missed. */
  start(): void {
    if (this.#loop !== undefined || this.#stop.signal.aborted) return
    this.#loop = this.#run()
  }

  listen(agreementId: string, listener: TerminationListener): void {
    this.#listeners.set(agreementId, listener)
  }

  forget(agreementId: string): void {
    this.#listeners.delete(agreementId)
  }

  async close(): Promise<void> {
    this.#stop.abort()
    await this.#loop
  }

  async #run(): Promise<void> {
    const signal = this.#stop.signal
    while (!signal.aborted) {
      try {
        const events = await this.#api.call<AgreementEvent[]>('GET', '/market-api/v1/agreementEvents', {
          query: { timeout: POLL_S, afterTimestamp: this.#after, maxEvents: 100 },
          timeoutMs: POLL_S * 1000 + POLL_MARGIN_MS,
          signal
        })
        for (const event of events) {
          if (event.eventDate > this.#after) this.#after = event.eventDate
          if (event.eventType !== 'AgreementTerminatedEvent' || event.terminator === 'Requestor') continue
          const reason = event.reason?.message ?? 'the provider terminated the agreement'
          const code = event.reason?.['golem.provider.code']
          this.#listeners.get(event.agreementId)?.(reason, typeof code === 'string' ? code : undefined)
        }
      } catch {
        if (signal.aborted) return
        await new Promise<void>(resolve => {
          const timer = this.#clock.setTimeout(resolve, RETRY_MS)
          signal.addEventListener('abort', () => {
            this.#clock.clearTimeout(timer)
            resolve()
          })
        })
      }
    }
  }
}
