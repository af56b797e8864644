// Negotiation: initial proposals from matching, counter-proposals (Drafts)
// exchanged directly with the other party, rejections. Both sides check that
// what they receive answers something they sent and still matches.
import { refusingFinally, validator } from '../../net/index.ts'
import type { Clock, NodeId, SignedEnvelope } from '../../net/index.ts'
import { MarketError } from '../errors.ts'
import { newMarketId } from '../ids.ts'
import { assertSignedTermsFit } from '../model/limits.ts'
import { ENVELOPE_TYPES, ProposalPayload, ProposalRejectionPayload } from '../model/wire.ts'
import type { OfferPayload } from '../model/wire.ts'
import type { Proposal, Reason } from '../model/api.ts'
import type { MarketNet, MarketMessage } from '../network/market-net.ts'
import { MARKET_FINAL_CODES, PROPOSAL_MESSAGES, TELL_GRACE_MS, marketErrorOfEnqueue } from '../network/agreement-messages.ts'
import type { MarketOutbox } from '../network/agreement-messages.ts'
import { openFrom } from '../network/open-from.ts'
import type { SubscriptionBook, SubscriptionKind, SubscriptionRecord } from '../subscriptions/subscription-book.ts'
import { type ProposalBook, assertOpen, initialProposalId, toApiProposal } from './proposal-book.ts'
import type { ProposalRecord } from './proposal-book.ts'
import { parseProposalBody, termsMatch } from './terms.ts'
import type { ProposalBody, Terms } from './terms.ts'

const proposalPayload = validator(ProposalPayload, 'proposal')
const rejectionPayload = validator(ProposalRejectionPayload, 'proposal rejection')

/** A Draft as we keep it, ours or theirs: the signed payload and its checked terms. */
function draftRecord(
  payload: ProposalPayload,
  terms: ProposalBody,
  side: Pick<ProposalRecord, 'subscriptionId' | 'issuerId' | 'own' | 'counterpartyId'>
): ProposalRecord {
  return {
    proposalId: payload.proposalId,
    prevProposalId: payload.prevProposalId,
    state: 'Draft',
    timestamp: payload.timestamp,
    expiresAt: payload.expiresAt,
    properties: terms.properties,
    constraints: terms.constraints,
    offerId: payload.offerId,
    demandId: payload.demandId,
    ...side
  }
}

export interface NegotiatorOptions {
  net: MarketNet
  /** Rejections of the other party's drafts go through it, written with the Rejected state. */
  outbox: MarketOutbox
  subscriptions: SubscriptionBook
  proposals: ProposalBook
  /** How long a counter-proposal stays open for an answer. */
  proposalTtlMs: number
  clock: Clock
}

export class Negotiator {
  readonly #net: MarketNet
  readonly #outbox: MarketOutbox
  readonly #subscriptions: SubscriptionBook
  readonly #proposals: ProposalBook
  readonly #proposalTtlMs: number
  readonly #clock: Clock

  constructor(options: NegotiatorOptions) {
    this.#clock = options.clock
    this.#net = options.net
    this.#outbox = options.outbox
    this.#subscriptions = options.subscriptions
    this.#proposals = options.proposals
    this.#proposalTtlMs = options.proposalTtlMs
    this.#outbox.handle(PROPOSAL_MESSAGES.rejection, async (envelope, { from }) => {
      await refusingFinally(async () => {
        await this.#receiveRejection(envelope, from)
      }, MARKET_FINAL_CODES)
    })
  }

  /** A known offer matches one of our demands: it becomes that demand's Initial proposal. */
  async offerMatched(demand: SubscriptionRecord, offer: OfferPayload, providerId: NodeId): Promise<void> {
    const proposalId = initialProposalId(demand.id, offer.offerId)
    if (this.#proposals.has(proposalId)) return
    const record: ProposalRecord = {
      proposalId,
      issuerId: providerId,
      own: false,
      state: 'Initial',
      timestamp: offer.timestamp,
      expiresAt: Math.min(offer.expiresAt, demand.expiresAt),
      properties: offer.properties as ProposalRecord['properties'],
      constraints: offer.constraints,
      subscriptionId: demand.id,
      offerId: offer.offerId,
      demandId: demand.id,
      counterpartyId: providerId
    }
    await this.#proposals.put(record)
    this.#emitProposal(record)
  }

  getProposal(kind: SubscriptionKind, subscriptionId: string, proposalId: string): Proposal {
    const record = this.#proposalOf(kind, subscriptionId, proposalId)
    if (record.state === 'Rejected') throw new MarketError('Gone', `proposal ${proposalId} was rejected`)
    return toApiProposal(record, this.#clock.now())
  }

  /** A subscription's proposals, ours and theirs, as the API shows them. */
  listProposals(kind: SubscriptionKind, subscriptionId: string): Proposal[] {
    this.#subscription(kind, subscriptionId)
    const now = this.#clock.now()
    return this.#proposals.ofSubscription(subscriptionId).map(record => toApiProposal(record, now))
  }

  /** Answers the other party's proposal with our own Draft, sent to them. */
  async counter(kind: SubscriptionKind, subscriptionId: string, proposalId: string, body: unknown): Promise<string> {
    const subscription = this.#subscription(kind, subscriptionId)
    const theirs = this.#proposalOf(kind, subscriptionId, proposalId)
    if (theirs.own) throw new MarketError('BadRequest', `proposal ${proposalId} is our own; counter the other party's proposal`)
    assertOpen(theirs, this.#clock.now())
    this.#proposals.assertNotEnded(theirs.offerId, theirs.demandId)
    if (kind === 'offer' && theirs.state === 'Initial') throw new MarketError('Conflict', 'a provider answers drafts only')
    const terms: ProposalBody = parseProposalBody(body)
    const now = this.#clock.now()
    const payload: ProposalPayload = {
      proposalId: newMarketId(),
      prevProposalId: theirs.proposalId,
      offerId: theirs.offerId,
      demandId: theirs.demandId,
      properties: terms.properties,
      constraints: terms.constraints,
      timestamp: new Date(now).toISOString(),
      expiresAt: Math.min(now + this.#proposalTtlMs, subscription.expiresAt)
    }
    // Our draft must still match theirs, or the other side would refuse it.
    termsMatch(terms, theirs, 'our counter-proposal', 'their proposal')
    const envelope = this.#net.signEnvelope(ENVELOPE_TYPES.proposal, payload)
    assertSignedTermsFit('counter-proposal', envelope)
    const record = draftRecord(payload, terms, { subscriptionId, issuerId: this.#net.nodeId, own: true, counterpartyId: theirs.counterpartyId })
    // Stored before it is sent: a party that answers at once (a provider agent) must find our draft when its answer comes.
    await this.#proposals.put(record)
    try {
      await this.#net.send(theirs.counterpartyId, { kind: 'proposal', envelope })
    } catch (err) {
      // Not sent: not ours to wait for an answer to.
      await this.#proposals.remove(record.proposalId)
      throw err
    }
    return record.proposalId
  }

  async reject(kind: SubscriptionKind, subscriptionId: string, proposalId: string, reason?: Reason): Promise<void> {
    const theirs = this.#proposalOf(kind, subscriptionId, proposalId)
    if (theirs.own) throw new MarketError('BadRequest', `proposal ${proposalId} is our own; only the other party's can be rejected`)
    if (theirs.state === 'Rejected') throw new MarketError('Gone', `proposal ${proposalId} is already rejected`)
    // An Initial proposal came from the market: its issuer never heard of it.
    if (theirs.state !== 'Draft') {
      await this.#proposals.setState(theirs, 'Rejected', reason)
      return
    }
    const payload: ProposalRejectionPayload = { proposalId, timestamp: new Date(this.#clock.now()).toISOString() }
    if (reason !== undefined) payload.reason = reason
    const envelope = this.#net.signEnvelope(ENVELOPE_TYPES.proposalRejection, payload)
    // The Rejected state and the message telling the other party are one durable batch.
    let messageId = ''
    try {
      await this.#proposals.setStateWith(theirs, 'Rejected', reason, async op => {
        messageId = await this.#outbox.enqueue(theirs.counterpartyId, PROPOSAL_MESSAGES.rejection, envelope, { alongside: [op] })
      })
    } catch (err) {
      throw marketErrorOfEnqueue(err)
    }
    await this.#outbox.nextAttempt(messageId, TELL_GRACE_MS)
  }

  /** A Draft from the other party. */
  async receiveProposal(message: MarketMessage, from: NodeId): Promise<void> {
    const payload = openFrom(message, from, ENVELOPE_TYPES.proposal, proposalPayload, 'proposal')
    // A draft bigger than ours may be would make an agreement too big to send.
    assertSignedTermsFit('proposal', message.envelope)
    const terms = parseProposalBody({ properties: payload.properties, constraints: payload.constraints })
    if (payload.expiresAt <= this.#clock.now()) throw new MarketError('Gone', 'proposal already expired')
    if (this.#proposals.has(payload.proposalId)) return
    this.#proposals.assertNotEnded(payload.offerId, payload.demandId)
    const offer = this.#subscriptions.get('offer', payload.offerId)
    const demand = this.#subscriptions.get('demand', payload.demandId)
    let answered: Terms
    let subscriptionId: string
    if (offer !== undefined) {
      // We are the provider: the requester answers our offer or one of our drafts.
      subscriptionId = offer.id
      if (payload.prevProposalId === initialProposalId(payload.demandId, offer.id)) {
        answered = offer
      } else {
        answered = this.#ownDraft(payload.prevProposalId, from, offer.id)
      }
    } else if (demand !== undefined) {
      // We are the requester: the provider answers one of our drafts.
      subscriptionId = demand.id
      answered = this.#ownDraft(payload.prevProposalId, from, demand.id)
    } else {
      throw new MarketError('Gone', 'no such offer or demand subscription here (unsubscribed or expired)')
    }
    termsMatch(terms, answered, 'proposal', 'the proposal it answers')
    const record = draftRecord(payload, terms, { subscriptionId, issuerId: from, own: false, counterpartyId: from })
    await this.#proposals.put(record)
    this.#emitProposal(record)
  }

  /** The other party rejected one of our drafts (delivered by its outbox: it may come again, and is handled once). */
  async #receiveRejection(envelope: SignedEnvelope, from: NodeId): Promise<void> {
    const payload = openFrom({ envelope }, from, ENVELOPE_TYPES.proposalRejection, rejectionPayload, 'rejection')
    const ours = this.#proposals.get(payload.proposalId)
    if (ours === undefined || !ours.own || ours.counterpartyId !== from) throw new MarketError('NotFound', `no proposal ${payload.proposalId} sent to ${from}`)
    if (ours.state === 'Rejected') return
    await this.#proposals.setState(ours, 'Rejected', payload.reason)
    const event: { eventType: 'ProposalRejectedEvent'; eventDate: string; proposalId: string; reason?: Reason } = {
      eventType: 'ProposalRejectedEvent',
      eventDate: new Date(this.#clock.now()).toISOString(),
      proposalId: ours.proposalId
    }
    if (payload.reason !== undefined) event.reason = payload.reason
    this.#subscriptions.queue(ours.subscriptionId)?.push(event)
  }

  #emitProposal(record: ProposalRecord): void {
    this.#subscriptions.queue(record.subscriptionId)?.push({
      eventType: 'ProposalEvent',
      eventDate: new Date(this.#clock.now()).toISOString(),
      proposal: toApiProposal(record, this.#clock.now())
    })
  }

  #subscription(kind: SubscriptionKind, id: string): SubscriptionRecord {
    const subscription = this.#subscriptions.get(kind, id)
    if (subscription === undefined) throw new MarketError('NotFound', `no ${kind} subscription ${id}`)
    return subscription
  }

  #proposalOf(kind: SubscriptionKind, subscriptionId: string, proposalId: string): ProposalRecord {
    this.#subscription(kind, subscriptionId)
    const record = this.#proposals.get(proposalId)
    if (record === undefined || record.subscriptionId !== subscriptionId) {
      throw new MarketError('NotFound', `no proposal ${proposalId} in subscription ${subscriptionId}`)
    }
    return record
  }

  #ownDraft(proposalId: string, counterparty: NodeId, subscriptionId: string): ProposalRecord {
    const ours = this.#proposals.get(proposalId)
    if (ours === undefined || !ours.own || ours.counterpartyId !== counterparty || ours.subscriptionId !== subscriptionId) {
      throw new MarketError('NotFound', `proposal answers ${proposalId}, which we never sent to ${counterparty}`)
    }
    assertOpen(ours, this.#clock.now())
    return ours
  }
}
