// Rentals for the SDK's pool and executor logic: a small market of named
// providers that rents in memory (honouring avoid and the signal), can hold
// its rents until told, and records every rent, so tests check ordering,
// concurrency, retries and avoidance without daemons.
import { AbortedError, NoMatchingOffersError } from '../../sdk/index.ts'
import type { Rental, RentalReport, RentalState, RentOptions, RunResult } from '../../sdk/index.ts'

export class ScriptedRental extends EventTarget implements Rental {
  readonly agreementId: string
  readonly activityId: string
  readonly provider: { readonly id: string }
  state: RentalState = 'active'
  cost = 0n
  releases = 0

  constructor(agreementId: string, providerId: string) {
    super()
    this.agreementId = agreementId
    this.activityId = `activity-${agreementId}`
    this.provider = { id: providerId }
  }

  async run(command: string, args: readonly string[] = []): Promise<RunResult> {
    return { stdout: [command, ...args].join(' '), stderr: '', exitCode: 0 }
  }

  runAndStream(): never {
    throw new Error('not scripted')
  }

  async upload(): Promise<void> {}
  async download(): Promise<void> {}

  async release(): Promise<RentalReport> {
    this.releases++
    if (this.state === 'active') this.state = 'released'
    return { agreementId: this.agreementId, providerId: this.provider.id, cost: this.cost, rejected: [] }
  }

  /** The provider ends the agreement. */
  lose(): void {
    this.state = 'lost'
    this.dispatchEvent(new CustomEvent('lost', { detail: { reason: 'terminated by the provider' } }))
  }

  charge(amount: bigint): void {
    this.cost += amount
    this.dispatchEvent(new CustomEvent('cost', { detail: { cost: this.cost, documentId: `note-${this.cost}` } }))
  }
}

export class ScriptedMarket {
  readonly providers: string[]
  readonly rents: RentOptions[] = []
  readonly rentals: ScriptedRental[] = []
  /** Most rentals held (rented, not yet released) at once. */
  mostHeld = 0
  pending = 0
  #gate: Promise<void> | undefined
  #openGate: () => void = () => {}
  #seq = 0

  readonly #pick: 'leastBusy' | 'first'

  /** `pick`: spread rentals over the providers (leastBusy), or always take the first one not avoided. */
  constructor(providers: readonly string[], pick: 'leastBusy' | 'first' = 'leastBusy') {
    this.providers = [...providers]
    this.#pick = pick
  }

  get held(): ScriptedRental[] {
    return this.rentals.filter(r => r.releases === 0)
  }

  /** Rents wait until open(). */
  hold(): void {
    this.#gate = new Promise(resolve => {
      this.#openGate = resolve
    })
  }

  open(): void {
    this.#gate = undefined
    this.#openGate()
  }

  rent = async (options: RentOptions): Promise<ScriptedRental> => {
    this.rents.push(options)
    if (options.signal?.aborted === true) throw new AbortedError('renting was aborted')
    this.pending++
    try {
      if (this.#gate !== undefined) {
        const gate = this.#gate
        await new Promise<void>((resolve, reject) => {
          options.signal?.addEventListener('abort', () => reject(new AbortedError('renting was aborted')), { once: true })
          gate.then(resolve)
        })
      } else {
        await Promise.resolve()
      }
    } finally {
      this.pending--
    }
    const avoid = new Set(options.avoid ?? [])
    const candidates = this.providers.filter(p => !avoid.has(p))
    if (candidates.length === 0) {
      throw new NoMatchingOffersError('no offer matched', {
        offersKnown: this.providers.length,
        matching: 0,
        demandConstraints: [],
        offerConstraints: [],
        sdkChecks: [{ check: 'avoid', excluded: this.providers.length }]
      })
    }
    // The least busy provider first, as a market of equal offers would spread them.
    const busy = (p: string): number => this.held.filter(r => r.provider.id === p).length
    const provider = this.#pick === 'first' ? (candidates[0] as string) : candidates.reduce((best, p) => (busy(p) < busy(best) ? p : best))
    const rental = new ScriptedRental(`agreement-${++this.#seq}`, provider)
    this.rentals.push(rental)
    this.mostHeld = Math.max(this.mostHeld, this.held.length)
    return rental
  }
}

/** Lets every pending promise callback run (the scripted market settles within microtasks and immediates). */
export function settle(): Promise<void> {
  return new Promise(resolve => setImmediate(resolve))
}
