// The agreement handshake, both roles: the requester creates an agreement from
// the provider's draft, confirms (signs and sends) it and waits; the provider
// approves (signs the requester's signed terms) or rejects; either side may
// cancel (requester, before approval) or terminate (after approval).
// The approval and every closing the other party must hear of go through the
// durable outbox, written in one batch with the state change they announce:
// once the caller is answered, the other party will learn of it, whenever it
// is reachable again.
import { canonicalJson, refusingFinally, validator } from '../../net/index.ts'
import type { Clock, DeliveryOutcome, NodeId, PendingRecord, SignedEnvelope, StoreOp } from '../../net/index.ts'
import { keccak256, toUtf8Bytes } from 'ethers'
import { MarketError } from '../errors.ts'
import { newMarketId } from '../ids.ts'
import type { Agreement, AgreementOperationEvent, AgreementState, Reason } from '../model/api.ts'
import { AgreementClosePayload, AgreementPayload, ApprovalPayload, ENVELOPE_TYPES, withCanonicalIds } from '../model/wire.ts'
import { AGREEMENT_MESSAGES, MARKET_FINAL_CODES, TELL_GRACE_MS, marketErrorOfEnqueue } from '../network/agreement-messages.ts'
import type { MarketOutbox } from '../network/agreement-messages.ts'
import type { MarketMessage, MarketNet } from '../network/market-net.ts'
import { openFrom } from '../network/open-from.ts'
import type { ProposalBook, ProposalRecord } from '../negotiation/proposal-book.ts'
import { assertOpen, effectiveState } from '../negotiation/proposal-book.ts'
import type { SubscriptionBook } from '../subscriptions/subscription-book.ts'
import type { AgreementBook, AgreementRecord, Role } from './agreement-book.ts'
import { effectiveAgreementState, toApiAgreement } from './agreement-book.ts'
import type { AgreementEventLog, StagedEvent } from './agreement-event-log.ts'

const agreementPayload = validator(AgreementPayload, 'agreement')
const approvalPayload = validator(ApprovalPayload, 'agreement approval')
const closePayload = validator(AgreementClosePayload, 'agreement closing')

export interface AgreementDeskOptions {
  net: MarketNet
  outbox: MarketOutbox
  subscriptions: SubscriptionBook
  proposals: ProposalBook
  agreements: AgreementBook
  events: AgreementEventLog
  clock: Clock
  /** Called after every durable state change, for other modules (activities, payments). */
  onChange: (record: AgreementRecord) => void
}

const CLOSE_EVENT = {
  reject: 'AgreementRejectedEvent',
  cancel: 'AgreementCancelledEvent',
  terminate: 'AgreementTerminatedEvent'
} as const
const CLOSED_STATE = { reject: 'Rejected', cancel: 'Cancelled', terminate: 'Terminated' } as const

export function agreementHash(envelope: unknown): string {
  return keccak256(toUtf8Bytes(canonicalJson(envelope)))
}

export class AgreementDesk {
  readonly #o: AgreementDeskOptions

  constructor(options: AgreementDeskOptions) {
    this.#o = options
    const { outbox } = options
    outbox.handle(AGREEMENT_MESSAGES.approval, async (envelope, { from }) => {
      await refusingFinally(async () => {
        await this.#receiveApproval(envelope, from)
      }, MARKET_FINAL_CODES)
    })
    outbox.handle(AGREEMENT_MESSAGES.close, async (envelope, { from }) => {
      await refusingFinally(async () => {
        await this.#receiveClose(envelope, from)
      }, MARKET_FINAL_CODES)
    })
    outbox.onSettled(AGREEMENT_MESSAGES.approval, async (message, outcome) => {
      await this.#approvalSettled(message, outcome)
    })
  }

  // ---- requester ----

  async create(proposalId: string, validTo: string): Promise<string> {
    const offerDraft = this.#o.proposals.get(proposalId)
    if (offerDraft === undefined || offerDraft.own || this.#o.subscriptions.get('demand', offerDraft.subscriptionId) === undefined) {
      throw new MarketError('NotFound', `no offer proposal ${proposalId} for any of our demands`)
    }
    if (effectiveState(offerDraft, this.#now()) === 'Initial')
      throw new MarketError('Conflict', `proposal ${proposalId} is not negotiated yet (Initial): counter it first`)
    assertOpen(offerDraft, this.#now())
    this.#o.proposals.assertNotEnded(offerDraft.offerId, offerDraft.demandId)
    const validToMs = Date.parse(validTo)
    if (!Number.isFinite(validToMs)) throw new MarketError('BadRequest', `validTo is not a date-time: ${validTo}`)
    if (validToMs <= this.#now()) throw new MarketError('BadRequest', 'validTo must be in the future')
    const demandDraft = this.#o.proposals.get(offerDraft.prevProposalId ?? '')
    if (demandDraft === undefined || !demandDraft.own) throw new MarketError('Conflict', `proposal ${proposalId} does not answer a draft of ours`)
    const terms: AgreementPayload = {
      agreementId: newMarketId(),
      demand: {
        demandId: demandDraft.demandId,
        requestorId: this.#o.net.nodeId,
        properties: demandDraft.properties,
        constraints: demandDraft.constraints,
        timestamp: demandDraft.timestamp
      },
      offer: {
        offerId: offerDraft.offerId,
        providerId: offerDraft.issuerId,
        properties: offerDraft.properties,
        constraints: offerDraft.constraints,
        timestamp: offerDraft.timestamp
      },
      demandProposalId: demandDraft.proposalId,
      offerProposalId: offerDraft.proposalId,
      validTo: new Date(validToMs).toISOString(),
      timestamp: this.#isoNow()
    }
    await this.#o.proposals.setState(offerDraft, 'Accepted')
    await this.#save({ agreementId: terms.agreementId, role: 'Requestor', state: 'Proposal', terms, counterpartyId: offerDraft.issuerId })
    return terms.agreementId
  }

  async confirm(agreementId: string, appSessionId?: string): Promise<void> {
    await this.#o.agreements.exclusive(agreementId, async () => {
      const record = this.#mine(agreementId, 'Requestor')
      const state = effectiveAgreementState(record, this.#now())
      if (state !== 'Proposal') throw new MarketError('Gone', `agreement ${agreementId} is ${state}, not Proposal`)
      // Kept before it leaves: when the answer is lost the provider may hold it
      // anyway, so a cancel must then reach it, and a second confirm sends the same terms.
      const proposed = record.proposed ?? this.#o.net.signEnvelope(ENVELOPE_TYPES.agreement, record.terms)
      if (record.proposed === undefined) await this.#o.agreements.put({ ...record, proposed })
      await this.#o.net.send(record.counterpartyId, { kind: 'agreement', envelope: proposed })
      const updated: AgreementRecord = { ...record, state: 'Pending', proposed }
      if (appSessionId !== undefined) updated.appSessionId = appSessionId
      await this.#save(updated)
    })
  }

  /** Resolves when approved; throws Timeout (try again), Conflict (not confirmed) or Gone. */
  async waitForApproval(agreementId: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const deadline = this.#now() + timeoutMs
    for (;;) {
      const record = this.#mine(agreementId, 'Requestor')
      const state = effectiveAgreementState(record, this.#now())
      if (state === 'Approved') return
      if (state === 'Proposal') throw new MarketError('Conflict', `agreement ${agreementId} is not confirmed yet`)
      if (state !== 'Pending') throw new MarketError('Gone', `agreement ${agreementId} is ${state}`)
      const now = this.#now()
      const left = Math.min(deadline - now, Date.parse(record.terms.validTo) - now + 1)
      if (left <= 0 || signal?.aborted === true) {
        if (now >= deadline || signal?.aborted === true) throw new MarketError('Timeout', `agreement ${agreementId} not approved within the timeout; try again`)
        continue
      }
      await this.#o.agreements.waitForChange(agreementId, left, signal)
    }
  }

  async cancel(agreementId: string, reason?: Reason): Promise<void> {
    await this.#close(agreementId, 'cancel', reason, 'Requestor')
  }

  // ---- provider ----

  /**
   * Signs the approval and queues it for the requester; resolves once the
   * requester acknowledged it (Approved). On Timeout the approval stays queued
   * and the agreement becomes Approved when it is delivered.
   */
  async approve(agreementId: string, appSessionId: string | undefined, timeoutMs: number): Promise<void> {
    const deadline = this.#now() + timeoutMs
    await this.#o.agreements.exclusive(agreementId, async () => {
      const record = this.#mine(agreementId, 'Provider')
      const state = effectiveAgreementState(record, this.#now())
      if (state !== 'Pending') throw new MarketError('Gone', `agreement ${agreementId} is ${state}, not Pending`)
      if (record.approval !== undefined && record.approvalRefused === undefined) return // already on its way
      const approval = this.#o.net.signEnvelope(ENVELOPE_TYPES.approval, {
        agreementId,
        agreementHash: agreementHash(record.proposed),
        approvedDate: this.#isoNow()
      } satisfies ApprovalPayload)
      const { approvalRefused: _refused, ...rest } = record
      const updated: AgreementRecord = { ...rest, approval }
      if (appSessionId !== undefined) updated.appSessionId = appSessionId
      await this.#commitTelling(updated, AGREEMENT_MESSAGES.approval, approval)
    })
    for (;;) {
      const record = this.#mine(agreementId, 'Provider')
      const state = effectiveAgreementState(record, this.#now())
      if (state === 'Approved') return
      if (state !== 'Pending') throw new MarketError('Gone', `agreement ${agreementId} is ${state}`)
      if (record.approvalRefused !== undefined)
        throw new MarketError('Gone', `the requester refused the approval of agreement ${agreementId} (${record.approvalRefused})`)
      const now = this.#now()
      const left = Math.min(deadline - now, Date.parse(record.terms.validTo) - now + 1)
      if (deadline - now <= 0) {
        throw new MarketError(
          'Timeout',
          `approval of agreement ${agreementId} not acknowledged by the requester yet; it stays queued, and the agreement becomes Approved once it is`
        )
      }
      await this.#o.agreements.waitForChange(agreementId, Math.max(left, 1))
    }
  }

  /**
   * The agreement's requester acts under an agreement we approved (it creates
   * an activity): it holds the approval, so the agreement is Approved here as
   * the acknowledgement would make it; the acknowledgement, when it comes, then
   * changes nothing. Returns the state it leaves.
   */
  async approvalShownBy(agreementId: string, requesterId: NodeId): Promise<AgreementState> {
    return await this.#o.agreements.exclusive(agreementId, async () => {
      const record = this.#mine(agreementId, 'Provider')
      if (record.counterpartyId.toLowerCase() !== requesterId.toLowerCase())
        throw new MarketError('NotFound', `no agreement ${agreementId} with ${requesterId}`)
      const state = effectiveAgreementState(record, this.#now())
      if (state !== 'Pending' || record.approval === undefined || record.approvalRefused !== undefined) return state
      await this.#approved(record, record.approval.payload.approvedDate)
      return 'Approved'
    })
  }

  async reject(agreementId: string, reason?: Reason): Promise<void> {
    await this.#close(agreementId, 'reject', reason, 'Provider')
  }

  // ---- both ----

  async terminate(agreementId: string, reason?: Reason): Promise<void> {
    await this.#close(agreementId, 'terminate', reason)
  }

  get(agreementId: string): Agreement {
    return toApiAgreement(this.#record(agreementId), this.#now())
  }

  terminationReason(agreementId: string): AgreementOperationEvent {
    const record = this.#record(agreementId)
    if (record.state !== 'Terminated' || record.closing === undefined) {
      throw new MarketError('NotFound', `agreement ${agreementId} is not terminated`)
    }
    return this.#closeEvent(record)
  }

  // ---- messages from the other party ----

  async receive(message: MarketMessage, from: NodeId): Promise<void> {
    if (message.kind !== 'agreement') throw new MarketError('BadRequest', `not an agreement message: ${message.kind}`)
    await this.#receiveAgreement(message, from)
  }

  async #receiveAgreement(message: MarketMessage, from: NodeId): Promise<void> {
    // The record keeps the envelope as signed; its own copy of the terms names nodes in the one form.
    const terms = withCanonicalIds(openFrom(message, from, ENVELOPE_TYPES.agreement, agreementPayload, 'agreement', 'requester'))
    if (terms.demand.requestorId !== from) throw new MarketError('BadRequest', 'agreement requestorId is not its signer')
    if (terms.offer.providerId !== this.#o.net.nodeId) throw new MarketError('BadRequest', 'agreement names another provider')
    await this.#o.agreements.exclusive(terms.agreementId, async () => {
      const existing = this.#o.agreements.get(terms.agreementId)
      if (existing !== undefined) {
        if (existing.proposed !== undefined && agreementHash(existing.proposed) === agreementHash(message.envelope)) return
        throw new MarketError('Conflict', `agreement ${terms.agreementId} exists with other terms`)
      }
      if (Date.parse(terms.validTo) <= this.#now()) throw new MarketError('Gone', 'Expired')
      const ourDraft = this.#o.proposals.get(terms.offerProposalId)
      this.#checkSameTerms(ourDraft, from, terms.offer, 'offer')
      const theirDraft = this.#o.proposals.get(terms.demandProposalId)
      if (ourDraft?.prevProposalId !== terms.demandProposalId) throw new MarketError('BadRequest', 'agreement demand is not the draft our proposal answered')
      this.#checkSameTerms(theirDraft, from, terms.demand, 'demand')
      const offer = this.#o.subscriptions.get('offer', terms.offer.offerId)
      if (offer === undefined) throw new MarketError('Gone', 'the offer is no longer subscribed')
      const record: AgreementRecord = {
        agreementId: terms.agreementId,
        role: 'Provider',
        state: 'Pending',
        terms,
        counterpartyId: from,
        proposed: message.envelope as NonNullable<AgreementRecord['proposed']>
      }
      if (ourDraft !== undefined) await this.#o.proposals.setState(ourDraft, 'Accepted')
      await this.#save(record)
      this.#o.subscriptions.queue(offer.id)?.push({ eventType: 'AgreementEvent', eventDate: this.#isoNow(), agreement: toApiAgreement(record, this.#now()) })
    })
  }

  async #receiveApproval(envelope: SignedEnvelope, from: NodeId): Promise<void> {
    const approval = openFrom({ envelope }, from, ENVELOPE_TYPES.approval, approvalPayload, 'approval', 'provider')
    await this.#o.agreements.exclusive(approval.agreementId, async () => {
      const record = this.#o.agreements.get(approval.agreementId)
      if (record === undefined || record.role !== 'Requestor' || record.counterpartyId !== from)
        throw new MarketError('NotFound', `no agreement ${approval.agreementId} with ${from}`)
      if (record.proposed === undefined || approval.agreementHash !== agreementHash(record.proposed))
        throw new MarketError('BadRequest', 'approval is for other terms than we signed')
      const state = effectiveAgreementState(record, this.#now())
      if (state === 'Approved') return
      if (state !== 'Pending') throw new MarketError('Gone', state)
      const updated: AgreementRecord = {
        ...record,
        state: 'Approved',
        approval: envelope as NonNullable<AgreementRecord['approval']>,
        approvedDate: approval.approvedDate
      }
      await this.#save(updated, { eventType: 'AgreementApprovedEvent', agreementId: record.agreementId })
    })
  }

  async #receiveClose(envelope: SignedEnvelope, from: NodeId): Promise<void> {
    const closing = openFrom({ envelope }, from, ENVELOPE_TYPES.close, closePayload, 'closing')
    await this.#o.agreements.exclusive(closing.agreementId, async () => {
      const record = this.#o.agreements.get(closing.agreementId)
      if (record === undefined || record.counterpartyId !== from) throw new MarketError('NotFound', `no agreement ${closing.agreementId} with ${from}`)
      const senderRole: Role = record.role === 'Requestor' ? 'Provider' : 'Requestor'
      const target = CLOSED_STATE[closing.action]
      // Already closed this way (by them before, or by both at once): acknowledged as is.
      if (record.state === target) return
      // The requester terminates only once it holds our approval, which may
      // not have been acknowledged to us yet: its terminate proves delivery.
      const approvalInFlight =
        closing.action === 'terminate' &&
        record.role === 'Provider' &&
        record.approval !== undefined &&
        (record.state === 'Pending' || record.state === 'Expired')
      if (!approvalInFlight) this.#checkAllowed(record, closing.action, senderRole)
      const updated: AgreementRecord = { ...record, state: target, closing: envelope as NonNullable<AgreementRecord['closing']>, closedBy: senderRole }
      if (closing.reason !== undefined) updated.reason = closing.reason
      await this.#save(updated, this.#closeEvent(updated))
    })
  }

  // ---- shared ----

  async #close(agreementId: string, action: 'reject' | 'cancel' | 'terminate', reason: Reason | undefined, role?: Role): Promise<void> {
    const messageId = await this.#o.agreements.exclusive(agreementId, async (): Promise<string | undefined> => {
      const record = role === undefined ? this.#record(agreementId) : this.#mine(agreementId, role)
      this.#checkAllowed(record, action, record.role)
      if (action === 'reject' && record.approval !== undefined && record.approvalRefused === undefined) {
        throw new MarketError('Conflict', `agreement ${agreementId} is approved already (the requester is being told); terminate it once it is Approved`)
      }
      const payload: AgreementClosePayload = { agreementId, action, timestamp: this.#isoNow() }
      if (reason !== undefined) payload.reason = reason
      const closing = this.#o.net.signEnvelope(ENVELOPE_TYPES.close, payload)
      const updated: AgreementRecord = { ...record, state: CLOSED_STATE[action], closing, closedBy: record.role }
      if (reason !== undefined) updated.reason = reason
      // An agreement never sent is unknown to the provider: nobody to tell. One
      // whose confirm failed may have arrived all the same, so it is told.
      let id: string | undefined
      if (record.state === 'Proposal' && record.proposed === undefined) await this.#save(updated, this.#closeEvent(updated))
      else id = await this.#commitTelling(updated, AGREEMENT_MESSAGES.close, closing, this.#closeEvent(updated))
      return id
    })
    // Stored and queued already; a reachable party also has it when we answer.
    if (messageId !== undefined) await this.#o.outbox.nextAttempt(messageId, TELL_GRACE_MS)
  }

  /** Writes the record and queues the message for the other party, in one durable batch; `event` is logged before waiters wake. */
  async #commitTelling(record: AgreementRecord, kind: string, envelope: SignedEnvelope, event?: LoggedEvent): Promise<string> {
    let id = ''
    try {
      await this.#o.agreements.putWith(
        record,
        async (ops: StoreOp[]) => {
          id = await this.#o.outbox.enqueue(record.counterpartyId, kind, envelope, { alongside: ops })
        },
        this.#staged(event, record)
      )
    } catch (err) {
      throw marketErrorOfEnqueue(err)
    }
    this.#o.onChange(record)
    return id
  }

  /** How the requester answered our approval, before the outbox forgets it (may run twice after a crash). */
  async #approvalSettled(message: PendingRecord, outcome: DeliveryOutcome): Promise<void> {
    const approval = approvalPayload.parse(message.envelope.payload)
    await this.#o.agreements.exclusive(approval.agreementId, async () => {
      const record = this.#o.agreements.get(approval.agreementId)
      if (record === undefined || record.role !== 'Provider' || record.approval?.sig !== message.envelope.sig) return
      // Only an agreement still waiting moves; a closing that came meanwhile stands.
      if (record.state !== 'Pending' && record.state !== 'Expired') return
      if (outcome.result === 'refused') {
        await this.#save({ ...record, approvalRefused: outcome.code })
        return
      }
      await this.#approved(record, approval.approvedDate)
    })
  }

  /** The provider's agreement becomes Approved (its approval reached the requester). */
  async #approved(record: AgreementRecord, approvedDate: string): Promise<void> {
    const updated: AgreementRecord = { ...record, state: 'Approved', approvedDate }
    await this.#save(updated, { eventType: 'AgreementApprovedEvent', agreementId: record.agreementId })
  }

  /** Which closing each role may make, from which state (per the market API). */
  #checkAllowed(record: AgreementRecord, action: 'reject' | 'cancel' | 'terminate', by: Role): void {
    const state = effectiveAgreementState(record, this.#now())
    if (state === CLOSED_STATE[action] && by !== record.role) return
    if (action === 'terminate') {
      if (state === 'Proposal' || state === 'Pending')
        throw new MarketError('Conflict', `agreement ${record.agreementId} is ${state}; cancel or reject it instead`)
      if (state !== 'Approved') throw new MarketError('Gone', `agreement ${record.agreementId} is ${state}`)
      return
    }
    if (action === 'cancel' && by !== 'Requestor') throw new MarketError('BadRequest', 'only the requestor cancels')
    if (action === 'reject' && by !== 'Provider') throw new MarketError('BadRequest', 'only the provider rejects')
    const open: AgreementState[] = action === 'cancel' ? ['Proposal', 'Pending'] : ['Pending']
    if (!open.includes(state)) throw new MarketError('Gone', `agreement ${record.agreementId} is ${state}`)
  }

  #closeEvent(record: AgreementRecord): AgreementOperationEvent {
    const action = record.closing?.payload.action ?? 'terminate'
    const event: AgreementOperationEvent = {
      eventType: CLOSE_EVENT[action],
      eventDate: record.closing?.payload.timestamp ?? this.#isoNow(),
      agreementId: record.agreementId
    }
    if (record.reason !== undefined) event.reason = record.reason
    if (action === 'terminate') {
      if (record.closedBy !== undefined) event.terminator = record.closedBy
      if (record.closing !== undefined) event.signature = record.closing.sig
    }
    return event
  }

  #checkSameTerms(
    draft: ProposalRecord | undefined,
    counterparty: NodeId,
    terms: { properties: unknown; constraints: string },
    side: 'offer' | 'demand'
  ): void {
    if (draft === undefined || draft.counterpartyId !== counterparty)
      throw new MarketError('BadRequest', `agreement ${side} is not a proposal negotiated with ${counterparty}`)
    const state = effectiveState(draft, this.#now())
    if (state !== 'Draft' && state !== 'Accepted') throw new MarketError('Gone', `the ${side} proposal is ${state}`)
    if (canonicalJson(draft.properties) !== canonicalJson(terms.properties) || draft.constraints !== terms.constraints) {
      throw new MarketError('BadRequest', `agreement ${side} terms differ from the negotiated proposal`)
    }
  }

  #now(): number {
    return this.#o.clock.now()
  }

  #isoNow(): string {
    return new Date(this.#o.clock.now()).toISOString()
  }

  #record(agreementId: string): AgreementRecord {
    const record = this.#o.agreements.get(agreementId)
    if (record === undefined) throw new MarketError('NotFound', `no agreement ${agreementId}`)
    return record
  }

  #mine(agreementId: string, role: Role): AgreementRecord {
    const record = this.#record(agreementId)
    if (record.role !== role) throw new MarketError('NotFound', `no agreement ${agreementId} where we are the ${role.toLowerCase()}`)
    return record
  }

  /** Writes the record, with its event in the same batch; the event is collectable before waiters wake. */
  async #save(record: AgreementRecord, event?: LoggedEvent): Promise<void> {
    await this.#o.agreements.put(record, this.#staged(event, record))
    this.#o.onChange(record)
  }

  #staged(event: LoggedEvent | undefined, record: AgreementRecord): StagedEvent | undefined {
    if (event === undefined) return undefined
    const { eventDate: _ignored, ...rest } = event
    return this.#o.events.stage(rest, record.appSessionId)
  }
}

type LoggedEvent = Omit<AgreementOperationEvent, 'eventDate'> & { eventDate?: string }
