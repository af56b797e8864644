// The provider agent's side of a deal: negotiates on the agent's offers by its
// chain of policy checks, approves the agreements that pass, and watches them
// (debit notes accepted in time, payable notes paid, the requester reachable,
// an activity within the idle time), terminating with a reason when one fails.
import type { Clock } from '../../../net/index.ts'
import type { AuditSink, PolicyDecision, UseRequest } from '../../../custody/index.ts'
import type { Market } from '../../../market/index.ts'
import type { ExeUnit } from '../../../exe-unit/index.ts'
import type { Ledger, PaymentApi } from '../../../payment/index.ts'
import type { Sublevel } from '../../store/store.ts'
import type { Logger } from '../../service/logger.ts'
import type { AgentOffers, ProviderSettingsSource } from '../model.ts'
import { DealBook } from './deal-book.ts'
import { DealWatch } from './deal-watch.ts'
import { OfferNegotiation } from './offer-negotiation.ts'
import { RequesterReachability } from './requester-reachability.ts'
import type { DeliveryEvents } from './requester-reachability.ts'

export interface DealKeeperComponents {
  readonly market: Market
  readonly exeUnit: ExeUnit
  readonly payments: PaymentApi
  readonly ledger: Ledger
  /** Payment platforms this node can be paid on (canonical names and aliases). */
  readonly supportsPlatform: (platform: string) => boolean
  readonly settings: ProviderSettingsSource
  readonly offers: AgentOffers
  /** The agent's own slice of the store (under the provider module's sublevel). */
  readonly db: Sublevel
  readonly clock: Clock
  readonly logger: Logger
  /** The outboxes that deliver to requesters (market, payment): their failures tell an unreachable requester. */
  readonly outboxes?: readonly DeliveryEvents[]
  /** The payment module's settlement for agreements that do not choose one (default escrow). */
  readonly defaultSettlement?: 'escrow' | 'direct'
  /** The owner's datasets and policies (absent: a demand naming a dataset is refused). */
  readonly custody?: DealCustody
}

/** What negotiation asks of data custody: the owner's decisions, and the audit log they go to. */
export interface DealCustody {
  /** The policy's decision; a dataset this node does not keep is refused by the rule "dataset". */
  decide(request: UseRequest): PolicyDecision
  readonly audit: AuditSink
}

/** The keeper's settings, each with a default. */
export interface DealKeeperInit {
  /** How often Approved agreements are looked at (ms). */
  watchIntervalMs?: number
  /** How long after its due date a payable debit note may still be paid (ms). */
  paymentGraceMs?: number
  /** How long deliveries to a requester may fail before its agreements end (ms). */
  unreachableAfterMs?: number
  /** How long an approval waits for the requester's acknowledgement before it stays queued (ms). */
  approvalTimeoutMs?: number
  /** The long poll on each offer's events (ms). */
  collectTimeoutMs?: number
}

export const DEAL_KEEPER_DEFAULTS = Object.freeze({
  watchIntervalMs: 5_000,
  paymentGraceMs: 60_000,
  unreachableAfterMs: 10 * 60_000,
  approvalTimeoutMs: 0,
  collectTimeoutMs: 10_000
})

export class DealKeeper {
  readonly #components: DealKeeperComponents
  readonly #book: DealBook
  readonly #reachability: RequesterReachability
  readonly #negotiation: OfferNegotiation
  readonly #watch: DealWatch
  readonly #unsubscribe: Array<() => void> = []
  #started = false

  constructor(components: DealKeeperComponents, init: DealKeeperInit = {}) {
    this.#components = components
    const settings = { ...DEAL_KEEPER_DEFAULTS, ...definedOf(init) }
    const logger = components.logger.child({ component: 'provider:deals' })
    this.#book = new DealBook(components.db)
    this.#reachability = new RequesterReachability(components.outboxes ?? [])
    this.#negotiation = new OfferNegotiation(components, this.#book, logger, settings)
    this.#watch = new DealWatch(components, this.#book, this.#reachability, logger, settings)
  }

  async start(): Promise<void> {
    if (this.#started) return
    this.#started = true
    await this.#book.load()
    this.#reachability.start()
    this.#watch.start()
    await this.#negotiation.start()
    const { settings, offers } = this.#components
    this.#unsubscribe.push(settings.onChange(() => this.offersChanged()))
    if (offers.onChange !== undefined) this.#unsubscribe.push(offers.onChange(() => this.offersChanged()))
    this.#components.logger.debug('provider deals: started')
  }

  async stop(): Promise<void> {
    if (!this.#started) return
    this.#started = false
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe()
    this.#reachability.stop()
    await this.#negotiation.stop()
    await this.#watch.stop()
  }

  /** Looks at every watched agreement now, as the clock's next look would (the CLI's status, tests). */
  async watchNow(): Promise<void> {
    await this.#watch.watchOnce()
  }

  /** The agent's offers changed: listen to the new ones, stop on the ended ones. */
  offersChanged(): void {
    if (this.#started) this.#negotiation.sync()
  }
}

function definedOf<T extends object>(init: T): Partial<T> {
  return Object.fromEntries(Object.entries(init).filter(([, value]) => value !== undefined)) as Partial<T>
}
