// Every proposal this node knows in its negotiations: the initial ones it
// derived from matching offers, the drafts it sent, and the drafts it received.
import { keccak256, toUtf8Bytes } from 'ethers'
import type { Proposal, ProposalState, Reason } from '../model/api.ts'
import type { FlatProperties } from '../properties-types.ts'
import type { MarketStore } from '../store/market-store.ts'

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

function endsNegotiation (record: ProposalRecord): boolean {
  return record.state === 'Rejected' && (record.rejection as Record<string, unknown> | undefined)?.[REJECTION_IS_FINAL] === true
}

const pairKey = (offerId: string, demandId: string): string => `${offerId}:${demandId}`

/** The initial proposal of a demand–offer pair has the same id on both sides. */
export function initialProposalId (demandId: string, offerId: string): string {
  return keccak256(toUtf8Bytes(`agora initial proposal:${demandId}:${offerId}`)).slice(2)
}

export function toApiProposal (record: ProposalRecord, now = Date.now()): Proposal {
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
export function effectiveState (record: ProposalRecord, now = Date.now()): ProposalState {
  if ((record.state === 'Initial' || record.state === 'Draft') && record.expiresAt <= now) return 'Expired'
  return record.state
}

export class ProposalBook {
  readonly #store: MarketStore
  readonly #records = new Map<string, ProposalRecord>()
  /** Offer–demand pairs whose negotiation a final rejection ended. */
  readonly #ended = new Set<string>()
  readonly #maxRecords: number

  constructor (store: MarketStore, maxRecords = 200_000) {
    this.#store = store
    this.#maxRecords = maxRecords
  }

  async load (): Promise<void> {
    for (const record of await this.#store.list<ProposalRecord>('proposal')) {
      this.#records.set(record.proposalId, record)
      if (endsNegotiation(record)) this.#ended.add(pairKey(record.offerId, record.demandId))
    }
  }

  /** Whether either party ended this offer–demand negotiation with a final rejection. */
  isEnded (offerId: string, demandId: string): boolean {
    return this.#ended.has(pairKey(offerId, demandId))
  }

  get (proposalId: string): ProposalRecord | undefined {
    return this.#records.get(proposalId)
  }

  has (proposalId: string): boolean {
    return this.#records.has(proposalId)
  }

  get size (): number {
    return this.#records.size
  }

  async put (record: ProposalRecord): Promise<void> {
    if (!this.#records.has(record.proposalId) && this.#records.size >= this.#maxRecords) {
      throw new Error(`too many proposals held (${this.#maxRecords}); unsubscribe or let old ones expire`)
    }
    await this.#store.put('proposal', record.proposalId, record)
    this.#records.set(record.proposalId, record)
    if (endsNegotiation(record)) this.#ended.add(pairKey(record.offerId, record.demandId))
  }

  async setState (record: ProposalRecord, state: ProposalState, rejection?: Reason): Promise<void> {
    const updated: ProposalRecord = { ...record, state }
    if (rejection !== undefined) updated.rejection = rejection
    await this.put(updated)
  }

  /** Forgets the proposals of a subscription that ended, and expired ones past a grace period. */
  async prune (isLive: (subscriptionId: string) => boolean, now: number, graceMs: number): Promise<number> {
    let removed = 0
    for (const record of [...this.#records.values()]) {
      const stale = !isLive(record.subscriptionId) || record.expiresAt + graceMs <= now
      if (!stale) continue
      this.#records.delete(record.proposalId)
      await this.#store.del('proposal', record.proposalId)
      removed++
    }
    return removed
  }
}
