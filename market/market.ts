// The market facade: this node's offers and demands, matching against what the
// network publishes, negotiation, agreements and scans — the operations of the
// ya-client market API, callable by the REST layer and by other modules.
import { TypedEventEmitter } from '@libp2p/interface'
import { QueueClosedError, silentLogger, systemClock } from '../net/index.ts'
import type { BadRecord, BroadcastEntry, Clock, Logger, NodeId, TimerHandle } from '../net/index.ts'
import { MarketError, badInput } from './errors.ts'
import { newMarketId } from './ids.ts'
import { Matcher, parseConstraints, satisfies } from './language.ts'
import type { Constraint } from './language.ts'
import type { Agreement, AgreementListEntry, AgreementOperationEvent, AgreementState, Demand, MarketEvent, Offer, Proposal, Reason } from './model/api.ts'
import { apiItemOf } from './model/api-items.ts'
import { assertSignedTermsFit, MAX_SUBSCRIPTION_TTL_MS } from './model/limits.ts'
import { ENVELOPE_TYPES } from './model/wire.ts'
import type { DemandPayload, OfferPayload } from './model/wire.ts'
import type { MarketMessage, MarketNet } from './network/market-net.ts'
import type { MarketOutbox } from './network/agreement-messages.ts'
import { explainMatch } from './matching/explain.ts'
import type { MatchCounts } from './matching/explain.ts'
import { Negotiator } from './negotiation/negotiator.ts'
import { ProposalBook } from './negotiation/proposal-book.ts'
import { parseProposalBody } from './negotiation/terms.ts'
import { AgreementBook, effectiveAgreementState, toListEntry } from './agreements/agreement-book.ts'
import type { AgreementRecord } from './agreements/agreement-book.ts'
import { AgreementDesk } from './agreements/agreement-desk.ts'
import { AgreementEventLog } from './agreements/agreement-event-log.ts'
import { ScanIterators } from './scan/scan-iterators.ts'
import type { ScanType } from './scan/scan-iterators.ts'
import { MarketStore } from './store/market-store.ts'
import type { JsonSublevel } from './store/market-store.ts'
import { SubscriptionBook } from './subscriptions/subscription-book.ts'
import type { SubscriptionKind, SubscriptionRecord } from './subscriptions/subscription-book.ts'

/** Agora's own property: a demand carrying it `true` is spread to providers too. */
export const DEMAND_BROADCAST_PROPERTY = 'agora.demand.broadcast'
/** Agora's own property: when the subscription ends (ms since epoch); default one hour. */
export const SUBSCRIPTION_EXPIRATION_PROPERTY = 'agora.subscription.expiration'

/** The parts of the node the market works with. */
export interface MarketComponents {
  net: MarketNet
  db: JsonSublevel
  /** Durable delivery of approvals, closings and proposal rejections; keeps its messages in `db` (see marketOutbox). */
  outbox: MarketOutbox
  /** Where failures no caller sees are logged (default: nowhere). */
  logger?: Logger
  /** The time every expiry and wait is measured by (default: the system clock). */
  clock?: Clock
  /** Told of each stored record that could not be loaded or made to work at start (it is set aside). */
  onBadRecord?: (bad: BadRecord) => void
}

/** The market's settings, each with a default. */
export interface MarketInit {
  subscriptionTtlMs?: number
  proposalTtlMs?: number
  maxSubscriptions?: number
  sweepIntervalMs?: number
}

export interface MarketEvents {
  /** An agreement changed state (after it is on disk). */
  'agreement:changed': CustomEvent<{ agreementId: string; role: 'Requestor' | 'Provider'; state: AgreementState }>
}

export interface AgreementListFilter {
  state?: AgreementState
  afterDate?: string
  beforeDate?: string
  appSessionId?: string
}

const HOUR = 3_600_000
/** Expired proposals are kept this long, then pruned; the prune scans them all, so it runs seldom. */
const PROPOSAL_GRACE_MS = HOUR
const PRUNE_INTERVAL_MS = 60_000

export class Market extends TypedEventEmitter<MarketEvents> {
  readonly #net: MarketNet
  readonly #outbox: MarketOutbox
  readonly #store: MarketStore
  readonly #subscriptions: SubscriptionBook
  readonly #proposals: ProposalBook
  readonly #agreements: AgreementBook
  readonly #events: AgreementEventLog
  readonly #negotiator: Negotiator
  readonly #desk: AgreementDesk
  readonly #scans: ScanIterators
  /** The network's offers whose constraints parse: the only ones matched and listed. */
  readonly #matcher = new Matcher()
  readonly #subscriptionTtlMs: number
  readonly #maxSubscriptions: number
  readonly #sweepIntervalMs: number
  readonly #logger: Logger
  /** Subscriptions being written: they hold their slot from the first check on. */
  #reserved = 0
  readonly #clock: Clock
  #sweepTimer: TimerHandle | undefined
  /** The sweep under way, so that stop() waits for it. */
  #sweeping: Promise<void> | undefined
  #running = false
  #nextPruneAt = 0

  constructor(components: MarketComponents, init: MarketInit = {}) {
    super()
    this.#net = components.net
    this.#outbox = components.outbox
    const clock = components.clock ?? systemClock
    this.#clock = clock
    this.#store = new MarketStore(components.db, components.onBadRecord)
    this.#subscriptions = new SubscriptionBook(this.#store, clock)
    this.#proposals = new ProposalBook(this.#store)
    this.#agreements = new AgreementBook(this.#store, clock)
    this.#events = new AgreementEventLog(this.#store, clock)
    this.#subscriptionTtlMs = Math.min(init.subscriptionTtlMs ?? HOUR, MAX_SUBSCRIPTION_TTL_MS)
    this.#maxSubscriptions = init.maxSubscriptions ?? 1000
    this.#sweepIntervalMs = init.sweepIntervalMs ?? 1000
    this.#logger = components.logger ?? silentLogger
    this.#negotiator = new Negotiator({
      net: this.#net,
      outbox: this.#outbox,
      subscriptions: this.#subscriptions,
      proposals: this.#proposals,
      proposalTtlMs: init.proposalTtlMs ?? 10 * 60_000,
      clock
    })
    this.#desk = new AgreementDesk({
      net: this.#net,
      outbox: this.#outbox,
      subscriptions: this.#subscriptions,
      proposals: this.#proposals,
      agreements: this.#agreements,
      events: this.#events,
      clock,
      onChange: record => this.safeDispatchEvent('agreement:changed', { detail: { agreementId: record.agreementId, role: record.role, state: record.state } })
    })
    this.#scans = new ScanIterators(
      {
        ids: type => (type === 'offer' ? this.#matcher.offerIds() : demandIds(this.#net.demands.entries())),
        item: (type, id) => (type === 'offer' ? this.#knownOffer(id) : this.#knownDemand(id))
      },
      clock
    )
  }

  get nodeId(): NodeId {
    return this.#net.nodeId
  }

  async start(): Promise<void> {
    const now = this.#clock.now()
    const live = await this.#subscriptions.load(now)
    await this.#proposals.load()
    await this.#agreements.load()
    await this.#events.load()
    await this.#net.onMessage(async (message, from) => await this.#receive(message, from))
    // After the agreements are loaded: what was queued before a restart is delivered now.
    await this.#outbox.start()
    this.#net.offers.onAdded(entry => {
      void this.#offerAdded(entry)
    })
    this.#net.offers.onRemoved(id => this.#offerRemoved(id))
    this.#net.demands.onAdded(entry => this.#scans.notify('demand', toDemand(entry)))
    for (const entry of this.#net.offers.entries()) await this.#offerAdded(entry)
    // What we published before a restart is published again (same ids); one
    // that no longer can be is set aside, and the rest start.
    for (const record of live) {
      try {
        await this.#activate(record, parseConstraints(record.constraints))
      } catch (err) {
        await this.#forget(record).catch((forgetErr: unknown) => {
          this.#logger.warn({ err: forgetErr, subscriptionId: record.id }, 'a subscription set aside was not fully forgotten')
        })
        await this.#subscriptions.setAside(record, `could not be activated: ${(err as Error).message}`)
      }
    }
    this.#running = true
    this.#scheduleSweep()
  }

  async stop(): Promise<void> {
    this.#running = false
    if (this.#sweepTimer !== undefined) this.#clock.clearTimeout(this.#sweepTimer)
    this.#sweepTimer = undefined
    await this.#sweeping
    await this.#outbox.stop()
    this.#agreements.wakeAll()
    this.#events.wakeAll()
  }

  // ---- subscriptions ----

  /**
   * Every limit is checked before anything is written: what the client is
   * told was stored, works, now and after a restart.
   */
  async subscribe(kind: SubscriptionKind, body: unknown): Promise<string> {
    const terms = parseProposalBody(body)
    const now = this.#clock.now()
    const record: SubscriptionRecord = {
      kind,
      id: newMarketId(),
      properties: terms.properties,
      constraints: terms.constraints,
      timestamp: new Date(now).toISOString(),
      expiresAt: expirationOf(terms.properties, now, this.#subscriptionTtlMs),
      broadcast: kind === 'offer' || terms.properties[DEMAND_BROADCAST_PROPERTY] === true
    }
    // A demand that is not broadcast still travels, inside its agreement: the same bound holds.
    assertSignedTermsFit(kind, this.#net.signEnvelope(kind === 'offer' ? ENVELOPE_TYPES.offer : ENVELOPE_TYPES.demand, publishedPayload(record)))
    // The slot is taken before the first await, so concurrent calls cannot all pass the check.
    if (this.#subscriptions.count(now) + this.#reserved >= this.#maxSubscriptions) {
      throw new MarketError('Conflict', `too many subscriptions (maxSubscriptions ${this.#maxSubscriptions})`)
    }
    this.#reserved++
    try {
      await this.#subscriptions.add(record)
    } finally {
      this.#reserved--
    }
    try {
      await this.#activate(record, terms.tree)
    } catch (err) {
      // Nothing half-made stays behind: the client is told it failed, and it did.
      await this.#end(record.id).catch((endErr: unknown) => {
        this.#logger.warn({ err: endErr, subscriptionId: record.id }, 'a subscription that failed to activate was not fully removed')
      })
      throw err
    }
    return record.id
  }

  async unsubscribe(kind: SubscriptionKind, id: string): Promise<void> {
    if (this.#subscriptions.get(kind, id) === undefined) {
      if (this.#subscriptions.hasEnded(id)) throw new MarketError('Gone', `${kind} subscription ${id} already ended`)
      throw new MarketError('NotFound', `no ${kind} subscription ${id}`)
    }
    await this.#end(id)
  }

  subscriptions(kind: 'offer'): Offer[]
  subscriptions(kind: 'demand'): Demand[]
  subscriptions(kind: SubscriptionKind): Array<Offer | Demand> {
    return this.#subscriptions.list(kind).map(record => apiItemOf(kind, record.id, this.nodeId, record))
  }

  /** Proposal, rejection and agreement events of a subscription (long poll). */
  async collect(kind: SubscriptionKind, id: string, timeoutMs: number, maxEvents: number, signal?: AbortSignal): Promise<MarketEvent[]> {
    const queue = this.#subscriptions.get(kind, id) === undefined ? undefined : this.#subscriptions.queue(id)
    if (queue === undefined) throw new MarketError('NotFound', `no ${kind} subscription ${id}`)
    try {
      return await queue.take(maxEvents, timeoutMs, signal)
    } catch (err) {
      if (err instanceof QueueClosedError) throw new MarketError('NotFound', `subscription ${id} ended`)
      throw err
    }
  }

  // ---- negotiation ----

  getProposal(kind: SubscriptionKind, subscriptionId: string, proposalId: string): Proposal {
    return this.#negotiator.getProposal(kind, subscriptionId, proposalId)
  }

  listProposals(kind: SubscriptionKind, subscriptionId: string): Proposal[] {
    return this.#negotiator.listProposals(kind, subscriptionId)
  }

  async counterProposal(kind: SubscriptionKind, subscriptionId: string, proposalId: string, body: unknown): Promise<string> {
    return await this.#negotiator.counter(kind, subscriptionId, proposalId, body)
  }

  async rejectProposal(kind: SubscriptionKind, subscriptionId: string, proposalId: string, reason?: Reason): Promise<void> {
    await this.#negotiator.reject(kind, subscriptionId, proposalId, reason)
  }

  // ---- agreements ----

  async createAgreement(proposalId: string, validTo: string): Promise<string> {
    return await this.#desk.create(proposalId, validTo)
  }
  async confirmAgreement(agreementId: string, appSessionId?: string): Promise<void> {
    await this.#desk.confirm(agreementId, appSessionId)
  }
  async waitForApproval(agreementId: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    await this.#desk.waitForApproval(agreementId, timeoutMs, signal)
  }
  async cancelAgreement(agreementId: string, reason?: Reason): Promise<void> {
    await this.#desk.cancel(agreementId, reason)
  }
  async approveAgreement(agreementId: string, appSessionId: string | undefined, timeoutMs: number): Promise<void> {
    await this.#desk.approve(agreementId, appSessionId, timeoutMs)
  }
  async rejectAgreement(agreementId: string, reason?: Reason): Promise<void> {
    await this.#desk.reject(agreementId, reason)
  }
  async terminateAgreement(agreementId: string, reason?: Reason): Promise<void> {
    await this.#desk.terminate(agreementId, reason)
  }
  getAgreement(agreementId: string): Agreement {
    return this.#desk.get(agreementId)
  }
  terminationReason(agreementId: string): AgreementOperationEvent {
    return this.#desk.terminationReason(agreementId)
  }

  listAgreements(filter: AgreementListFilter = {}): AgreementListEntry[] {
    const after = filter.afterDate === undefined ? -Infinity : Date.parse(filter.afterDate)
    const before = filter.beforeDate === undefined ? Infinity : Date.parse(filter.beforeDate)
    const now = this.#clock.now()
    return this.#agreements
      .list()
      .filter(r => filter.state === undefined || effectiveAgreementState(r, now) === filter.state)
      .filter(r => filter.appSessionId === undefined || r.appSessionId === filter.appSessionId)
      .filter(r => {
        const t = Date.parse(r.terms.timestamp)
        return t > after && t < before
      })
      .map(toListEntry)
  }

  async collectAgreementEvents(options: {
    afterTimestamp?: string
    maxEvents: number
    timeoutMs: number
    appSessionId?: string
    signal?: AbortSignal
  }): Promise<AgreementOperationEvent[]> {
    const afterMs = options.afterTimestamp === undefined ? 0 : Date.parse(options.afterTimestamp)
    if (Number.isNaN(afterMs)) throw new MarketError('BadRequest', `afterTimestamp is not a date-time: ${options.afterTimestamp}`)
    const collectOptions: Parameters<AgreementEventLog['collect']>[0] = { afterMs, maxEvents: options.maxEvents, timeoutMs: options.timeoutMs }
    if (options.appSessionId !== undefined) collectOptions.appSessionId = options.appSessionId
    if (options.signal !== undefined) collectOptions.signal = options.signal
    return await this.#events.collect(collectOptions)
  }

  /** The requester acts under an agreement we approved, so it holds the approval: Approved here too (see AgreementDesk). */
  async approvalShownBy(agreementId: string, requesterId: NodeId): Promise<AgreementState> {
    return await this.#desk.approvalShownBy(agreementId, requesterId)
  }

  /** The stored agreement, for the modules that act under it (activities, payments). */
  agreementRecord(agreementId: string): AgreementRecord | undefined {
    const record = this.#agreements.get(agreementId)
    return record === undefined ? undefined : { ...record, state: effectiveAgreementState(record, this.#clock.now()) }
  }

  // ---- scans ----

  /** Begins a scan for `owner` (an app-key id: each has a share of the scan slots). */
  beginScan(type: ScanType, constraints: string | undefined, timeoutMs: number, owner = ''): string {
    let accepts: (item: Offer | Demand) => boolean = () => true
    if (constraints !== undefined && constraints.trim() !== '') {
      let tree: Constraint
      try {
        tree = parseConstraints(constraints)
      } catch (err) {
        throw badInput('constraints', err)
      }
      accepts = item => satisfies(tree, item.properties)
    }
    return this.#scans.begin(type, accepts, timeoutMs, owner)
  }

  async collectScan(id: string, options: { waitMs: number; max: number; peerId?: string; signal?: AbortSignal }): Promise<Array<Offer | Demand>> {
    return await this.#scans.collect(id, options)
  }

  endScan(id: string): void {
    this.#scans.end(id)
  }

  /** The unexpired offers the network publishes, save those whose constraints do not parse. */
  knownOffers(): Offer[] {
    return collectDefined(this.#matcher.offerIds(), id => this.#knownOffer(id))
  }

  /**
   * How many offers are held for matching, without building them: those whose
   * expiry passed leave at the network's next sweep, so this may count them a little longer than knownOffers().
   */
  offerCount(): number {
    return this.#matcher.offerCount
  }

  /** How the known offers match a demand, term by term (matching/explain.ts); the demand is checked, not stored. */
  explainDemand(body: unknown): MatchCounts {
    const demand = parseProposalBody(body)
    const offers = this.knownOffers().map(offer => ({ properties: offer.properties, constraints: parseConstraints(offer.constraints) }))
    return explainMatch({ properties: demand.properties, constraints: demand.tree }, offers)
  }

  /** The unexpired demands the network publishes. */
  knownDemands(): Demand[] {
    return collectDefined(demandIds(this.#net.demands.entries()), id => this.#knownDemand(id))
  }

  /** Ends expired subscriptions, agreements and scans. Runs on the clock's timer; callable for tests. */
  async sweep(now = this.#clock.now()): Promise<void> {
    for (const record of await this.#subscriptions.sweep(now)) await this.#forget(record)
    await this.#agreements.sweepExpired(now)
    if (now >= this.#nextPruneAt) {
      this.#nextPruneAt = now + PRUNE_INTERVAL_MS
      await this.#proposals.prune(id => this.#subscriptions.has(id, now), now, PROPOSAL_GRACE_MS)
    }
    this.#scans.sweep(now)
  }

  // ---- internals ----

  /** One sweep at a time: the next is set once this one has ended, so sweeps never overlap. */
  #scheduleSweep(): void {
    if (!this.#running) return
    this.#sweepTimer = this.#clock.setTimeout(() => {
      this.#sweepTimer = undefined
      this.#sweeping = this.sweep()
        .catch((err: unknown) => {
          this.#logger.warn({ err }, 'a market sweep failed; the next one tries again')
        })
        .finally(() => {
          this.#sweeping = undefined
          this.#scheduleSweep()
        })
    }, this.#sweepIntervalMs)
  }

  /** Makes a stored subscription work: matched (a demand), published, matched against known offers. */
  async #activate(record: SubscriptionRecord, constraints: Constraint): Promise<void> {
    if (record.kind === 'demand') this.#matcher.addDemand({ id: record.id, properties: record.properties, constraints })
    await this.#publish(record)
    if (record.kind === 'demand') await this.#matchDemand(record)
  }

  async #publish(record: SubscriptionRecord): Promise<void> {
    if (!record.broadcast) return
    const payload = publishedPayload(record)
    if ('offerId' in payload) await this.#net.offers.publish(payload)
    else await this.#net.demands.publish(payload)
  }

  async #end(id: string): Promise<void> {
    const record = await this.#subscriptions.remove(id)
    if (record !== undefined) await this.#forget(record)
  }

  async #forget(record: SubscriptionRecord): Promise<void> {
    if (record.kind === 'demand') this.#matcher.removeDemand(record.id)
    await this.#proposals.forgetSubscription(record.id)
    if (record.broadcast) {
      const channel = record.kind === 'offer' ? this.#net.offers : this.#net.demands
      await channel.retract(record.id).catch((err: unknown) => {
        // Other nodes keep it until it expires (and their proposals to it are answered Gone).
        this.#logger.warn({ err, subscriptionId: record.id }, 'an ended subscription was not retracted')
      })
    }
  }

  async #offerAdded(entry: BroadcastEntry<OfferPayload>): Promise<void> {
    if (this.#matcher.hasOffer(entry.id) || entry.payload.expiresAt <= this.#clock.now()) return
    let constraints
    try {
      constraints = parseConstraints(entry.payload.constraints)
    } catch {
      return // An offer nobody can match; the network layer already checked its signature.
    }
    const demandIds = this.#matcher.addOffer({ id: entry.id, properties: entry.payload.properties, constraints })
    this.#scans.notify('offer', toOffer(entry))
    for (const demandId of demandIds) {
      const demand = this.#subscriptions.get('demand', demandId)
      if (demand !== undefined) {
        await this.#negotiator.offerMatched(demand, entry.payload, entry.signer).catch((err: unknown) => {
          this.#logger.warn({ err, demandId, offerId: entry.id }, 'a matched offer was not answered')
        })
      }
    }
  }

  #offerRemoved(id: string): void {
    this.#matcher.removeOffer(id)
  }

  /** An offer the matcher holds, as the API shows it; undefined once it expired. */
  #knownOffer(id: string, now = this.#clock.now()): Offer | undefined {
    const entry = this.#matcher.hasOffer(id) ? this.#net.offers.get(id) : undefined
    return entry === undefined || entry.payload.expiresAt <= now ? undefined : toOffer(entry)
  }

  #knownDemand(id: string, now = this.#clock.now()): Demand | undefined {
    const entry = this.#net.demands.get(id)
    return entry === undefined || entry.payload.expiresAt <= now ? undefined : toDemand(entry)
  }

  async #matchDemand(demand: SubscriptionRecord): Promise<void> {
    for (const offerId of this.#matcher.matchDemand(demand.id)) {
      const entry = this.#net.offers.get(offerId)
      if (entry !== undefined) await this.#negotiator.offerMatched(demand, entry.payload, entry.signer)
    }
  }

  async #receive(message: MarketMessage, from: NodeId): Promise<void> {
    switch (message.kind) {
      case 'proposal':
        return await this.#negotiator.receiveProposal(message, from)
      default:
        return await this.#desk.receive(message, from)
    }
  }
}

/** What a subscription is published (and signed) as. */
function publishedPayload(record: SubscriptionRecord): OfferPayload | DemandPayload {
  const common = { properties: record.properties, constraints: record.constraints, timestamp: record.timestamp, expiresAt: record.expiresAt }
  return record.kind === 'offer' ? { offerId: record.id, ...common } : { demandId: record.id, ...common }
}

/** When a new subscription ends: its `agora.subscription.expiration`, or the default TTL. */
function expirationOf(properties: Record<string, unknown>, now: number, defaultTtlMs: number): number {
  const expiration = properties[SUBSCRIPTION_EXPIRATION_PROPERTY]
  if (expiration === undefined) return now + defaultTtlMs
  if (typeof expiration !== 'number' || !Number.isSafeInteger(expiration) || expiration <= now) {
    throw new MarketError('BadRequest', `${SUBSCRIPTION_EXPIRATION_PROPERTY} must be a future time in ms since the epoch`)
  }
  if (expiration > now + MAX_SUBSCRIPTION_TTL_MS) {
    throw new MarketError(
      'BadRequest',
      `${SUBSCRIPTION_EXPIRATION_PROPERTY} is more than ${MAX_SUBSCRIPTION_TTL_MS / 86_400_000} days ahead (the longest a subscription may live is ${MAX_SUBSCRIPTION_TTL_MS} ms)`
    )
  }
  return expiration
}

function toOffer({ signer, payload }: BroadcastEntry<OfferPayload>): Offer {
  return apiItemOf('offer', payload.offerId, signer, payload)
}

function toDemand({ signer, payload }: BroadcastEntry<DemandPayload>): Demand {
  return apiItemOf('demand', payload.demandId, signer, payload)
}

function* demandIds(entries: Iterable<BroadcastEntry<DemandPayload>>): Iterable<string> {
  for (const entry of entries) yield entry.id
}

function collectDefined<T>(ids: Iterable<string>, itemOf: (id: string) => T | undefined): T[] {
  const items: T[] = []
  for (const id of ids) {
    const item = itemOf(id)
    if (item !== undefined) items.push(item)
  }
  return items
}
