// Every proposal this node knows in its negotiations: the initial ones it
// derived from matching offers, the drafts it sent, and the drafts it received.
import { keccak256, toUtf8Bytes } from 'ethers'
import { MarketError } from '../errors.ts'
import type { Proposal, ProposalState, Reason } from '../model/api.ts'
import type { FlatProperties } from '../properties-types.ts'
import type { StoreOp } from '../../net/index.ts'
import type { MarketStore } from '../store/market-store.ts'
import { storedProposal } from '../store/record-checks.ts'

export interface ProposalRecord {
  proposalId: string
  prevProposalId?: string
  issuerId: string
  /** Issued by this node. */
  own: boolean
  state: ProposalState
  timestamp: string
  expiresAt: number
  properties: FlatProperties
  constraints: string
  /** The local offer or demand subscription this negotiation belongs to. */
  subscriptionId: string
  offerId: string
  demandId: string
  counterpartyId: string
  rejection?: Reason
}

/** Golem's reason field: the rejecting party will not negotiate this pair any further. */
export const REJECTION_IS_FINAL = 'golem.proposal.rejection.is-final'

function endsNegotiation(record: ProposalRecord): boolean {
  return record.state === 'Rejected' && (record.rejection as Record<string, unknown> | undefined)?.[REJECTION_IS_FINAL] === true
}

const pairKey = (offerId: string, demandId: string): string => `${offerId}:${demandId}`

function withState(record: ProposalRecord, state: ProposalState, rejection: Reason | undefined): ProposalRecord {
  const updated: ProposalRecord = { ...record, state }
  if (rejection !== undefined) updated.rejection = rejection
  return updated
}

/** The initial proposal of a demand–offer pair has the same id on both sides. */
export function initialProposalId(demandId: string, offerId: string): string {
  return keccak256(toUtf8Bytes(`agora initial proposal:${demandId}:${offerId}`)).slice(2)
}

export function toApiProposal(record: ProposalRecord, now: number): Proposal {
  const proposal: Proposal = {
    proposalId: record.proposalId,
    issuerId: record.issuerId,
    state: effectiveState(record, now),
    timestamp: record.timestamp,
    properties: record.properties,
    constraints: record.constraints
  }
  if (record.prevProposalId !== undefined) proposal.prevProposalId = record.prevProposalId
  return proposal
}

/** Initial and Draft proposals turn Expired when their time runs out. */
export function effectiveState(record: ProposalRecord, now: number): ProposalState {
  if ((record.state === 'Initial' || record.state === 'Draft') && record.expiresAt <= now) return 'Expired'
  return record.state
}

/** Refuses a proposal that can no longer be answered or promoted: rejected, expired or already accepted. */
export function assertOpen(record: ProposalRecord, now: number): void {
  const state = effectiveState(record, now)
  if (state === 'Rejected' || state === 'Expired') throw new MarketError('Gone', `proposal ${record.proposalId} is ${state}`)
  if (state === 'Accepted') throw new MarketError('Conflict', `proposal ${record.proposalId} is already promoted to an agreement`)
}

export class ProposalBook {
  readonly #store: MarketStore
  readonly #records = new Map<string, ProposalRecord>()
  /** Proposal ids by the subscription they belong to, so an ended one's go at once. */
  readonly #bySubscription = new Map<string, Set<string>>()
  /** Offer–demand pairs whose negotiation a final rejection ended. */
  readonly #ended = new Set<string>()
  readonly #maxRecords: number
  #writing = 0

  constructor(store: MarketStore, maxRecords = 200_000) {
    this.#store = store
    this.#maxRecords = maxRecords
  }

  async load(): Promise<void> {
    for (const record of await this.#store.list<ProposalRecord>('proposal', storedProposal)) this.#hold(record)
  }

  /** Whether either party ended this offer–demand negotiation with a final rejection. */
  isEnded(offerId: string, demandId: string): boolean {
    return this.#ended.has(pairKey(offerId, demandId))
  }

  /** Refuses to go on with a pair whose negotiation a final rejection ended. */
  assertNotEnded(offerId: string, demandId: string): void {
    if (this.isEnded(offerId, demandId)) throw new MarketError('Gone', 'this negotiation was ended by a final rejection (golem.proposal.rejection.is-final)')
  }

  get(proposalId: string): ProposalRecord | undefined {
    return this.#records.get(proposalId)
  }

  /** The proposals of one subscription, oldest first: a read that takes nothing from its event queue. */
  ofSubscription(subscriptionId: string): ProposalRecord[] {
    const ids = this.#bySubscription.get(subscriptionId) ?? new Set<string>()
    return [...ids]
      .flatMap(id => {
        const record = this.#records.get(id)
        return record === undefined ? [] : [record]
      })
      .sort((a, b) => a.timestamp.localeCompare(b.timestamp))
  }

  has(proposalId: string): boolean {
    return this.#records.has(proposalId)
  }

  get size(): number {
    return this.#records.size
  }

  async put(record: ProposalRecord): Promise<void> {
    const isNew = !this.#records.has(record.proposalId)
    // Writes under way count too: the check and the hold are an await apart.
    if (isNew && this.#records.size + this.#writing >= this.#maxRecords) {
      throw new MarketError('CapacityExceeded', `too many proposals held (${this.#maxRecords}); unsubscribe or let old ones expire`)
    }
    if (isNew) this.#writing++
    try {
      await this.#store.put('proposal', record.proposalId, record)
    } finally {
      if (isNew) this.#writing--
    }
    this.#hold(record)
  }

  async setState(record: ProposalRecord, state: ProposalState, rejection?: Reason): Promise<void> {
    await this.put(withState(record, state, rejection))
  }

  /**
   * Changes a held proposal's state through `write`, which must put the given
   * op durably (in one batch with the message that announces it), then holds it.
   */
  async setStateWith(record: ProposalRecord, state: ProposalState, rejection: Reason | undefined, write: (op: StoreOp) => Promise<void>): Promise<void> {
    if (!this.#records.has(record.proposalId)) throw new MarketError('NotFound', `no proposal ${record.proposalId}`)
    const updated = withState(record, state, rejection)
    await write(this.#store.putOp('proposal', record.proposalId, updated))
    this.#hold(updated)
  }

  /** Forgets every proposal of a subscription that ended. */
  async forgetSubscription(subscriptionId: string): Promise<void> {
    for (const proposalId of [...(this.#bySubscription.get(subscriptionId) ?? [])]) await this.#remove(proposalId)
  }

  /**
   * Forgets proposals expired for longer than the grace period, and those of
   * subscriptions no longer live (ended while the node was down). Scans them
   * all: run it now and then, not on every sweep.
   */
  async prune(isLive: (subscriptionId: string) => boolean, now: number, graceMs: number): Promise<number> {
    let removed = 0
    for (const record of [...this.#records.values()]) {
      if (record.expiresAt + graceMs > now && isLive(record.subscriptionId)) continue
      await this.#remove(record.proposalId)
      removed++
    }
    return removed
  }

  #hold(record: ProposalRecord): void {
    this.#records.set(record.proposalId, record)
    const ids = this.#bySubscription.get(record.subscriptionId) ?? new Set<string>()
    this.#bySubscription.set(record.subscriptionId, ids.add(record.proposalId))
    if (endsNegotiation(record)) this.#ended.add(pairKey(record.offerId, record.demandId))
  }

  /** Forgets one proposal (our draft whose sending failed). */
  async remove(proposalId: string): Promise<void> {
    await this.#remove(proposalId)
  }

  async #remove(proposalId: string): Promise<void> {
    const record = this.#records.get(proposalId)
    if (record === undefined) return
    this.#records.delete(proposalId)
    const ids = this.#bySubscription.get(record.subscriptionId)
    ids?.delete(proposalId)
    if (ids?.size === 0) this.#bySubscription.delete(record.subscriptionId)
    await this.#store.del('proposal', proposalId)
  }
}
