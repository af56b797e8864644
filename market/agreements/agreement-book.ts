// Agreements this node is party to, as the requester or the provider. State
// changes are written to disk before anyone is told, and wake those waiting.
import { ChangeSignal } from '../../net/index.ts'
import type { Clock, SignedEnvelope } from '../../net/index.ts'
import type { Agreement, AgreementListEntry, AgreementState, Reason } from '../model/api.ts'
import type { AgreementPayload, ApprovalPayload, AgreementClosePayload } from '../model/wire.ts'
import type { StoreOp } from '../../net/index.ts'
import type { MarketStore } from '../store/market-store.ts'
import type { StagedEvent } from './agreement-event-log.ts'
import { storedAgreement } from '../store/record-checks.ts'

export type Role = 'Requestor' | 'Provider'

export interface AgreementRecord {
  agreementId: string
  role: Role
  state: AgreementState
  terms: AgreementPayload
  counterpartyId: string
  appSessionId?: string
  approvedDate?: string
  /** The requester's signed agreement (from the first confirm on, kept before it is sent). */
  proposed?: SignedEnvelope<AgreementPayload>
  /** The provider's signed approval. */
  approval?: SignedEnvelope<ApprovalPayload>
  /** Whoever rejected, cancelled or terminated it, signed. */
  closing?: SignedEnvelope<AgreementClosePayload>
  closedBy?: Role
  reason?: Reason
  /** The requester refused our approval for good (its code); the agreement stays as the requester's own closing makes it. */
  approvalRefused?: string
}

const OPEN_STATES: readonly AgreementState[] = ['Proposal', 'Pending']

export function effectiveAgreementState(record: AgreementRecord, now: number): AgreementState {
  if (OPEN_STATES.includes(record.state) && Date.parse(record.terms.validTo) <= now) return 'Expired'
  return record.state
}

export function toApiAgreement(record: AgreementRecord, now: number): Agreement {
  const { terms } = record
  const agreement: Agreement = {
    agreementId: record.agreementId,
    demand: { ...terms.demand },
    offer: { ...terms.offer },
    validTo: terms.validTo,
    state: effectiveAgreementState(record, now),
    timestamp: terms.timestamp
  }
  if (record.approvedDate !== undefined) agreement.approvedDate = record.approvedDate
  if (record.appSessionId !== undefined) agreement.appSessionId = record.appSessionId
  // Signed but not known to be received: the agreement is not proposed until a confirm succeeds.
  if (record.proposed !== undefined && record.state !== 'Proposal') agreement.proposedSignature = record.proposed.sig
  if (record.approval !== undefined) agreement.approvedSignature = record.approval.sig
  return agreement
}

export function toListEntry(record: AgreementRecord): AgreementListEntry {
  const entry: AgreementListEntry = { id: record.agreementId, timestamp: record.terms.timestamp, role: record.role }
  if (record.approvedDate !== undefined) entry.approvedDate = record.approvedDate
  return entry
}

export class AgreementBook {
  readonly #store: MarketStore
  readonly #records = new Map<string, AgreementRecord>()
  /** One signal per agreement someone waits on; dropped when the last waiter leaves. */
  readonly #changes = new Map<string, { signal: ChangeSignal; waiting: number }>()
  readonly #locks = new Map<string, Promise<unknown>>()
  readonly #clock: Clock

  constructor(store: MarketStore, clock: Clock) {
    this.#store = store
    this.#clock = clock
  }

  async load(): Promise<void> {
    for (const record of await this.#store.list<AgreementRecord>('agreement', storedAgreement)) this.#records.set(record.agreementId, record)
  }

  get(agreementId: string): AgreementRecord | undefined {
    return this.#records.get(agreementId)
  }

  list(): AgreementRecord[] {
    return [...this.#records.values()]
  }

  /** Writes the record (with the event that tells of its change, in one batch), then holds it and wakes its waiters. */
  async put(record: AgreementRecord, event?: StagedEvent): Promise<void> {
    if (event === undefined) {
      await this.#store.put('agreement', record.agreementId, record)
      this.#hold(record)
      return
    }
    await this.putWith(record, async ops => await this.#store.batch(ops), event)
  }

  /**
   * Writes the record through `write`, which must write the given ops durably
   * (in one batch with whatever else must be written with it), then holds it.
   * The event's ops are among them, and it is collectable before anyone
   * waiting on the record wakes.
   */
  async putWith(record: AgreementRecord, write: (ops: StoreOp[]) => Promise<void>, event?: StagedEvent): Promise<void> {
    try {
      await write([this.#store.putOp('agreement', record.agreementId, record), ...(event?.ops ?? [])])
    } catch (err) {
      event?.abandon()
      throw err
    }
    event?.commit()
    this.#hold(record)
  }

  #hold(record: AgreementRecord): void {
    this.#records.set(record.agreementId, record)
    this.#changes.get(record.agreementId)?.signal.notify()
  }

  /**
   * Runs `fn` alone for this agreement: the two parties' messages and the
   * local client's calls interleave at awaits, and each must see a settled state.
   */
  async exclusive<T>(agreementId: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#locks.get(agreementId) ?? Promise.resolve()
    const run = previous.then(fn, fn)
    const settled = run.catch(() => {})
    this.#locks.set(agreementId, settled)
    try {
      return await run
    } finally {
      if (this.#locks.get(agreementId) === settled) this.#locks.delete(agreementId)
    }
  }

  /** Waits until the agreement changes or the time is up; false on timeout. */
  async waitForChange(agreementId: string, timeoutMs: number, abort?: AbortSignal): Promise<boolean> {
    if (timeoutMs <= 0) return false
    const change = this.#changes.get(agreementId) ?? { signal: new ChangeSignal(this.#clock), waiting: 0 }
    this.#changes.set(agreementId, change)
    change.waiting++
    try {
      return await change.signal.wait(timeoutMs, abort)
    } finally {
      if (--change.waiting === 0 && this.#changes.get(agreementId) === change) this.#changes.delete(agreementId)
    }
  }

  /** Open agreements whose validTo passed become Expired, durably. */
  async sweepExpired(now: number): Promise<AgreementRecord[]> {
    const expired: AgreementRecord[] = []
    for (const record of this.#records.values()) {
      if (record.state !== 'Expired' && effectiveAgreementState(record, now) === 'Expired') expired.push(record)
    }
    for (const record of expired) {
      await this.exclusive(record.agreementId, async () => {
        const current = this.#records.get(record.agreementId)
        if (current !== undefined && effectiveAgreementState(current, now) === 'Expired' && current.state !== 'Expired') {
          await this.put({ ...current, state: 'Expired' })
        }
      })
    }
    return expired
  }

  wakeAll(): void {
    for (const change of this.#changes.values()) change.signal.notify()
  }
}
