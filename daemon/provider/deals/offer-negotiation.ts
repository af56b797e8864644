// Negotiation on the agent's offers: each offer's events are collected; a
// requester's proposal is answered by the chain (our counter-proposal, or a
// rejection naming the check), and an agreement made from our counter is
// checked again and approved or rejected.
import { MarketError } from '../../../market/index.ts'
import type { MarketApi } from '../../../market/index.ts'
import type { Logger, NodeId } from '../../../net/index.ts'
import { runChain } from '../negotiation/index.ts'
import type { NegotiationInput, NegotiationStage } from '../negotiation/index.ts'
import type { DealBook } from './deal-book.ts'
import type { DealKeeperComponents } from './deal-keeper.ts'

type MarketEvent = MarketApi.MarketEvent
type Agreement = MarketApi.Agreement

/** Sends of one counter-proposal before it is given up (the requester may propose again). */
const COUNTER_ATTEMPTS = 3

export interface OfferNegotiationSettings {
  readonly approvalTimeoutMs: number
  readonly collectTimeoutMs: number
}

export class OfferNegotiation {
  readonly #c: DealKeeperComponents
  readonly #book: DealBook
  readonly #log: Logger
  readonly #settings: OfferNegotiationSettings
  readonly #listening = new Map<string, { stop: AbortController; done: Promise<void> }>()
  /** Agreements being decided: each once, and counted against the limit meanwhile. */
  readonly #deciding = new Set<string>()
  #running = false

  constructor(components: DealKeeperComponents, book: DealBook, logger: Logger, settings: OfferNegotiationSettings) {
    this.#c = components
    this.#book = book
    this.#log = logger
    this.#settings = settings
  }

  async start(): Promise<void> {
    this.#running = true
    this.sync()
    // Agreements that came while the node was down (or before it decided) are decided now.
    for (const entry of this.#c.market.listAgreements({ state: 'Pending' })) {
      if (entry.role !== 'Provider' || this.#book.get(entry.id) !== undefined) continue
      const record = this.#c.market.agreementRecord(entry.id)
      const offerId = record?.terms.offer.offerId
      if (offerId === undefined || this.#c.offers.presetOf(offerId) === undefined) continue
      await this.#decide(offerId, this.#c.market.getAgreement(entry.id)).catch((err: unknown) => {
        this.#log.warn({ err, agreementId: entry.id }, 'a pending agreement could not be decided')
      })
    }
  }

  async stop(): Promise<void> {
    this.#running = false
    const loops = [...this.#listening.values()]
    this.#listening.clear()
    for (const loop of loops) loop.stop.abort()
    await Promise.allSettled(loops.map(loop => loop.done))
  }

  /**
   * Listens to every offer the agent publishes now, and to its replaced ones
   * while they are still subscribed (a requester may be answering one), and no
   * longer to the others.
   */
  sync(): void {
    if (!this.#running) return
    const live = new Set(this.#c.offers.offerIds())
    for (const offer of this.#c.market.subscriptions('offer')) {
      if (this.#c.offers.presetOf(offer.offerId) !== undefined) live.add(offer.offerId)
    }
    for (const [offerId, loop] of this.#listening) {
      if (!live.has(offerId)) {
        loop.stop.abort()
        this.#listening.delete(offerId)
      }
    }
    for (const offerId of live) {
      if (this.#listening.has(offerId)) continue
      const stop = new AbortController()
      const done = this.#listen(offerId, stop.signal).finally(() => {
        if (this.#listening.get(offerId)?.stop === stop) this.#listening.delete(offerId)
      })
      this.#listening.set(offerId, { stop, done })
    }
  }

  async #listen(offerId: string, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      let events: MarketEvent[]
      try {
        events = await this.#c.market.collect('offer', offerId, this.#settings.collectTimeoutMs, 20, signal)
      } catch (err) {
        if (signal.aborted) return
        if (err instanceof MarketError && err.code === 'NotFound') return // the offer ended
        this.#log.warn({ err, offerId }, 'the events of an offer could not be collected; the listener ends until the offers change')
        return
      }
      for (const event of events) {
        if (signal.aborted) return
        await this.#handle(offerId, event).catch((err: unknown) => {
          this.#log.warn({ err, offerId, eventType: event.eventType }, 'an offer event could not be answered')
        })
      }
    }
  }

  async #handle(offerId: string, event: MarketEvent): Promise<void> {
    if (event.eventType === 'ProposalEvent') {
      const { proposal } = event
      if (proposal.issuerId.toLowerCase() === this.#c.market.nodeId.toLowerCase()) return
      // A provider answers drafts only (an Initial proposal is the requester's demand as published).
      if (proposal.state !== 'Draft') return
      await this.#answer(offerId, proposal)
    } else if (event.eventType === 'AgreementEvent' && event.agreement.state === 'Pending') {
      await this.#decide(offerId, event.agreement)
    }
  }

  async #answer(offerId: string, proposal: MarketApi.Proposal): Promise<void> {
    const published = this.#published(offerId)
    if (published === undefined) return
    const { input, audited } = this.#input('proposal', proposal.issuerId as NodeId, proposal.properties, published.properties, published.properties)
    const outcome = runChain(input)
    // The decisions the chain audited are on disk before the requester hears of them.
    await audited()
    if (outcome.verdict === 'reject') {
      this.#log.info({ offerId, proposalId: proposal.proposalId, reason: outcome.reason }, 'a proposal was rejected by the negotiator chain')
      await this.#c.market.rejectProposal('offer', offerId, proposal.proposalId, outcome.reason)
      return
    }
    if (outcome.changed.length > 0) this.#log.debug({ offerId, proposalId: proposal.proposalId, changed: outcome.changed }, 'countering with other terms')
    const body = { properties: outcome.properties, constraints: published.constraints }
    // The counter is stored only once sent, so sending again is safe; a connection to a peer that
    // restarted may fail once before libp2p dials it anew. The market's own refusals are not retried.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#c.market.counterProposal('offer', offerId, proposal.proposalId, body)
        return
      } catch (err) {
        if (err instanceof MarketError || attempt >= COUNTER_ATTEMPTS) throw err
        this.#log.debug({ err, offerId, proposalId: proposal.proposalId, attempt }, 'a counter-proposal was not delivered; sending it again')
      }
    }
  }

  async #decide(offerId: string, agreement: Agreement): Promise<void> {
    const { agreementId } = agreement
    if (this.#deciding.has(agreementId) || this.#book.get(agreementId) !== undefined) return
    this.#deciding.add(agreementId)
    try {
      const published = this.#published(offerId)
      const { input, audited } = this.#input(
        'agreement',
        agreement.demand.requestorId as NodeId,
        agreement.demand.properties,
        agreement.offer.properties,
        published?.properties ?? {}
      )
      const outcome = published === undefined ? undefined : runChain(input)
      await audited()
      if (outcome === undefined || outcome.verdict === 'reject') {
        const reason = outcome?.reason ?? { message: `offer ${offerId} is no longer published`, 'golem.provider.code': 'OfferEnded' }
        this.#log.info({ agreementId, reason }, 'an agreement was rejected by the negotiator chain')
        await this.#c.market.rejectAgreement(agreementId, reason)
        return
      }
      await this.#book.put({ agreementId, offerId, requesterId: agreement.demand.requestorId.toLowerCase(), approvedAt: this.#c.clock.now() })
      try {
        await this.#c.market.approveAgreement(agreementId, undefined, this.#settings.approvalTimeoutMs)
      } catch (err) {
        // Not acknowledged yet: the approval stays queued, and the agreement becomes Approved once it is.
        if (err instanceof MarketError && err.code === 'Timeout') return
        await this.#book.remove(agreementId)
        throw err
      }
    } finally {
      this.#deciding.delete(agreementId)
    }
  }

  #published(offerId: string): MarketApi.Offer | undefined {
    return this.#c.market.subscriptions('offer').find(offer => offer.offerId === offerId)
  }

  #input(
    stage: NegotiationStage,
    requesterId: NodeId,
    demand: Record<string, unknown>,
    offer: Record<string, unknown>,
    published: Record<string, unknown>
  ): { input: NegotiationInput; audited: () => Promise<void> } {
    const custody = this.#c.custody
    const writes: Promise<unknown>[] = []
    const input: NegotiationInput = {
      stage,
      requesterId,
      demand,
      offer,
      published,
      settings: this.#c.settings.settings(),
      liveAgreements: this.#liveAgreements(stage),
      supportsPlatform: this.#c.supportsPlatform,
      now: this.#c.clock.now(),
      ...(custody === undefined
        ? {}
        : { dataPolicy: { decide: request => custody.decide(request), audit: entry => void writes.push(custody.audit.append(entry)) } })
    }
    return { input, audited: async () => void (await Promise.all(writes)) }
  }

  /** Approved agreements this node provides under, and the ones the agent approved that wait for the acknowledgement. */
  #liveAgreements(stage: NegotiationStage): number {
    const approved = this.#c.market.listAgreements({ state: 'Approved' }).filter(entry => entry.role === 'Provider').length
    const waiting = this.#book.all().filter(deal => this.#c.market.agreementRecord(deal.agreementId)?.state === 'Pending').length
    // At approval the one being decided is in `deciding`: the others being decided count.
    const deciding = stage === 'agreement' ? this.#deciding.size - 1 : this.#deciding.size
    return approved + waiting + deciding
  }
}
