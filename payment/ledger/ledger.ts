// The payment ledger over the module's sublevel: allocations, both roles'
// debit notes and invoices, and their event logs. Every change is one batch
// (with the outbox message it sends, when it sends one), written before the
// call returns; changes run one at a time. Records are checked when loaded,
// and one that does not check is set aside, never deleted.
import { loadEach } from '../../net/index.ts'
import type { BadRecord, Clock, OutboxDb, StoreOp, TimerHandle } from '../../net/index.ts'
import { PaymentError } from '../model/payment-error.ts'
import type { Allocation, AllocationUpdate, InvoiceMandate, Payment, PaymentRole, Rejection } from '../model/documents.ts'
import { AllocationBook } from './allocation-book.ts'
import { DocumentBook } from './document-book.ts'
import { EVENT_PREFIX, EventLog, storedEvent } from './event-log.ts'
import type { EventInput } from './event-log.ts'
import { IssuedLog } from './issued-log.ts'
import { allocationOf, amountOf, documentIdOf, rejectionWire, storedAllocation, storedDebitNote, storedInvoice } from './records.ts'
import type { StoredAllocation, StoredDocument } from './records.ts'
import { mandateOf, storedMandate } from './mandate-records.ts'
import type { StoredMandate } from './mandate-records.ts'
import { paymentOf, storedPayment, storedSettled } from './payment-records.ts'
import type { PaymentSource, StoredPayment } from './payment-records.ts'

const ALLOCATION_PREFIX = 'alloc:'
const DOCUMENT_PREFIX = 'doc:'
const SETTLED_PREFIX = 'settled:'
const PAYMENT_PREFIX = 'pay:'
const MANDATE_PREFIX = 'mandate:'

/** Writes `ops` durably: the store's batch, or an outbox enqueue that carries them alongside its message. */
export type Commit = (ops: StoreOp[]) => Promise<void>

export interface LedgerComponents {
  readonly db: OutboxDb
  readonly clock: Clock
  /** The app session the agreement was confirmed or approved with, copied into its events. */
  readonly appSessionOf: (agreementId: string) => string | undefined
  readonly onBadRecord?: (bad: BadRecord) => void
}

export interface NewAllocationRecord {
  readonly allocationId: string
  readonly paymentPlatform: string
  readonly address: string
  readonly totalAmount: bigint
  readonly timeout: number
  readonly makeDeposit: boolean
  /** The token balance the allocation must be covered by. */
  readonly balance: bigint
}

export interface NewMandateRecord {
  readonly agreementId: string
  readonly maxAmount: bigint
  /** The id of the allocation carved out for it. */
  readonly allocationId: string
  readonly sourceAllocationId: string
  /** The agreement's payment platform (canonical name). */
  readonly paymentPlatform: string
  readonly expiresAt: number
}

export type AcceptOutcome =
  | { readonly changed: true; readonly cumulative: bigint; readonly record: StoredDocument }
  | { readonly changed: false; readonly cumulative: bigint; readonly record: StoredDocument }

export class Ledger {
  readonly allocations: AllocationBook
  readonly documents = new DocumentBook()
  readonly events: EventLog
  /** The documents this node issued, for its own clients' long polls. */
  readonly issued: IssuedLog
  readonly #components: LedgerComponents
  readonly #timers = new Map<string, TimerHandle>()
  /** Per role and agreement: the cumulative the chain shows paid. */
  readonly #settled = new Map<string, bigint>()
  readonly #payments = new Map<string, StoredPayment>()
  /** Invoice mandates by agreement. */
  readonly #mandates = new Map<string, StoredMandate>()
  #queue: Promise<unknown> = Promise.resolve()
  #closed = false

  constructor(components: LedgerComponents) {
    this.#components = components
    this.allocations = new AllocationBook(components.clock)
    this.events = new EventLog(components.clock)
    this.issued = new IssuedLog(components.clock)
  }

  async open(): Promise<void> {
    const { db, onBadRecord } = this.#components
    const load = async <T>(prefix: string, parse: (value: unknown) => T) =>
      await loadEach({ store: db, range: { gte: prefix, lt: `${prefix}~` }, parse, ...(onBadRecord === undefined ? {} : { onBad: onBadRecord }) })
    for (const { record } of await load(ALLOCATION_PREFIX, value => storedAllocation.parse(value))) this.allocations.load(record)
    const documents = await load(
      DOCUMENT_PREFIX,
      value => ((value as { kind?: unknown })?.kind === 'invoice' ? storedInvoice.parse(value) : storedDebitNote.parse(value)) as StoredDocument
    )
    for (const { record } of documents) this.documents.put(record)
    this.issued.load(this.documents.all(), agreementId => this.#components.appSessionOf(agreementId))
    this.events.load((await load(EVENT_PREFIX, value => storedEvent.parse(value))).map(e => e.record))
    for (const { key, record } of await load(SETTLED_PREFIX, value => storedSettled.parse(value))) {
      this.#settled.set(key.slice(SETTLED_PREFIX.length), BigInt(record.settled))
    }
    for (const { record } of await load(PAYMENT_PREFIX, value => storedPayment.parse(value))) this.#payments.set(record.paymentId, record)
    for (const { record } of await load(MANDATE_PREFIX, value => storedMandate.parse(value))) this.#mandates.set(record.agreementId, record)
    for (const record of this.allocations.unreleased()) this.#scheduleRelease(record)
  }

  close(): void {
    this.#closed = true
    for (const timer of this.#timers.values()) this.#components.clock.clearTimeout(timer)
    this.#timers.clear()
    this.events.close()
    this.issued.close()
  }

  // ---- allocations ----

  async createAllocation(input: NewAllocationRecord): Promise<Allocation> {
    return await this.#exclusive(async () => {
      if (input.timeout <= this.#components.clock.now()) throw new PaymentError('BadRequest', 'an allocation timeout must be in the future')
      this.allocations.checkCovered(input.paymentPlatform, input.address, input.totalAmount, input.balance)
      const record: StoredAllocation = {
        allocationId: input.allocationId,
        address: input.address,
        paymentPlatform: input.paymentPlatform,
        totalAmount: input.totalAmount.toString(),
        spentAmount: '0',
        timestamp: this.#components.clock.now(),
        timeout: input.timeout,
        makeDeposit: input.makeDeposit
      }
      await this.#write([allocationOp(record)])
      this.allocations.put(record)
      this.#scheduleRelease(record)
      return allocationOf(record)
    })
  }

  /** `balance`: the token balance, to check a raised total against. */
  async amendAllocation(allocationId: string, update: AllocationUpdate, balance: () => Promise<bigint>): Promise<Allocation> {
    return await this.#exclusive(async () => {
      const record = this.allocations.live(allocationId)
      const spent = BigInt(record.spentAmount)
      const total = update.totalAmount ?? BigInt(record.totalAmount)
      if (total < spent) throw new PaymentError('Conflict', `allocation ${allocationId} has spent ${spent} base units already; its total cannot go below that`)
      if (update.timeout !== undefined && update.timeout <= this.#components.clock.now()) {
        throw new PaymentError('BadRequest', 'an allocation timeout must be in the future')
      }
      if (total > BigInt(record.totalAmount)) {
        this.allocations.checkCovered(record.paymentPlatform, record.address, total - spent, await balance(), allocationId)
      }
      const next: StoredAllocation = { ...record, totalAmount: total.toString(), ...(update.timeout === undefined ? {} : { timeout: update.timeout }) }
      await this.#write([allocationOp(next)])
      this.allocations.put(next)
      this.#scheduleRelease(next)
      return allocationOf(next)
    })
  }

  async releaseAllocation(allocationId: string): Promise<void> {
    await this.#exclusive(async () => {
      const record = this.allocations.live(allocationId)
      await this.#release(record)
    })
  }

  // ---- invoice mandates ----

  /**
   * A mandate for the agreement's invoice, with an allocation of its own
   * carved out of the source allocation (what the invoice may add to what was
   * accepted), written in one batch: the total reserved does not change. The
   * same mandate again changes nothing; another for the agreement is Conflict.
   */
  async createMandate(input: NewMandateRecord): Promise<{ readonly mandate: InvoiceMandate; readonly created: boolean }> {
    return await this.#exclusive(async () => {
      const { agreementId } = input
      const now = this.#components.clock.now()
      const existing = this.#mandates.get(agreementId)
      if (existing !== undefined) {
        const same = BigInt(existing.maxAmount) === input.maxAmount && existing.sourceAllocationId === input.sourceAllocationId
        if (same && existing.outcome === undefined && existing.expiresAt > now) return { mandate: mandateOf(existing), created: false }
        throw new PaymentError('Conflict', `agreement ${agreementId} has an invoice mandate already, of ${existing.maxAmount} base units`)
      }
      if (input.expiresAt <= now) throw new PaymentError('BadRequest', 'expiresAt must be a time in the future')
      const invoice = this.documents.invoiceOfAgreement(agreementId, 'Requestor')
      if (invoice !== undefined && invoice.status !== 'RECEIVED') {
        throw new PaymentError(
          'Conflict',
          `invoice ${invoice.document.invoiceId} of agreement ${agreementId} is ${invoice.status} already: nothing is left to answer`
        )
      }
      const accepted = this.documents.acceptedTotal(agreementId, 'Requestor')
      if (input.maxAmount < accepted) {
        throw new PaymentError('BadRequest', `maxAmount ${input.maxAmount} is below the ${accepted} base units already accepted for agreement ${agreementId}`)
      }
      const source = this.allocations.live(input.sourceAllocationId)
      if (source.paymentPlatform !== input.paymentPlatform) {
        throw new PaymentError('BadRequest', `allocation ${source.allocationId} is for ${source.paymentPlatform}, the agreement for ${input.paymentPlatform}`)
      }
      const reserve = input.maxAmount - accepted
      const remaining = allocationOf(source).remainingAmount
      if (reserve > remaining) {
        throw new PaymentError('Conflict', `the mandate needs ${reserve} base units of allocation ${source.allocationId}; it has ${remaining} left`)
      }
      const carved: StoredAllocation = {
        allocationId: input.allocationId,
        address: source.address,
        paymentPlatform: source.paymentPlatform,
        totalAmount: reserve.toString(),
        spentAmount: '0',
        timestamp: now,
        timeout: input.expiresAt,
        makeDeposit: source.makeDeposit
      }
      const lowered: StoredAllocation = { ...source, totalAmount: (BigInt(source.totalAmount) - reserve).toString() }
      const record: StoredMandate = {
        agreementId,
        maxAmount: input.maxAmount.toString(),
        allocationId: input.allocationId,
        sourceAllocationId: source.allocationId,
        createdAt: now,
        expiresAt: input.expiresAt
      }
      await this.#write([allocationOp(lowered), allocationOp(carved), mandateOp(record)])
      this.allocations.put(lowered)
      this.allocations.put(carved)
      this.#scheduleRelease(carved)
      this.#mandates.set(agreementId, record)
      return { mandate: mandateOf(record), created: true }
    })
  }

  mandate(agreementId: string): InvoiceMandate | undefined {
    const record = this.#mandates.get(agreementId)
    return record === undefined ? undefined : mandateOf(record)
  }

  mandates(): InvoiceMandate[] {
    return [...this.#mandates.values()].sort((a, b) => a.createdAt - b.createdAt).map(mandateOf)
  }

  /** How the mandate's invoice was answered (once). */
  async mandateAnswered(agreementId: string, invoiceId: string, answer: 'accepted' | 'rejected'): Promise<void> {
    await this.#exclusive(async () => {
      const record = this.#mandates.get(agreementId)
      if (record === undefined || record.outcome !== undefined) return
      const next: StoredMandate = { ...record, outcome: { invoiceId, answer, at: this.#components.clock.now() } }
      await this.#write([mandateOp(next)])
      this.#mandates.set(agreementId, next)
    })
  }

  // ---- documents: the provider's copies ----

  /** A document this node issues, written with the message that sends it. */
  async issue(record: StoredDocument, commit: Commit): Promise<void> {
    await this.#exclusive(async () => {
      if (this.documents.find(documentIdOf(record)) !== undefined) throw new PaymentError('Conflict', `document ${documentIdOf(record)} exists`)
      await commit([documentOp(record)])
      this.documents.put(record)
      this.issued.add(record, this.#components.appSessionOf(record.document.agreementId))
    })
  }

  /** The requester accepted one of ours (its proof checked by the caller). */
  async issuedAccepted(documentId: string, amount: bigint): Promise<boolean> {
    return await this.#exclusive(async () => {
      const record = this.#own(documentId, 'Provider')
      if (record.status === 'ACCEPTED' || record.status === 'SETTLED') return false
      const { rejection: _overruled, ...rest } = record
      const accepted = { ...rest, status: 'ACCEPTED', accepted: { amount: amount.toString(), cumulative: '0' } } as StoredDocument
      const cumulative = this.documents.acceptedTotal(record.document.agreementId, 'Provider', accepted)
      const next = { ...accepted, accepted: { amount: amount.toString(), cumulative: cumulative.toString() } } as StoredDocument
      await this.#commitWithEvent(next, 'Accepted')
      return true
    })
  }

  async issuedRejected(documentId: string, rejection: Rejection): Promise<void> {
    await this.#exclusive(async () => {
      const record = this.#own(documentId, 'Provider')
      if (record.status !== 'ISSUED' && record.status !== 'REJECTED') return
      await this.#commitWithEvent({ ...record, status: 'REJECTED', rejection: rejectionWire(rejection) }, 'Rejected', rejection)
    })
  }

  /**
   * The chain shows `settled` paid for the agreement (cumulative): every
   * document it covers is SETTLED, and what it adds over the settled total
   * known so far is one payment (of `payment`'s transaction). Returns the ids
   * of the documents it settled.
   */
  async settled(agreementId: string, role: PaymentRole, settled: bigint, payment?: PaymentSource): Promise<string[]> {
    return await this.#exclusive(async () => {
      const key = `${role}:${agreementId}`
      const before = this.#settled.get(key) ?? 0n
      if (settled > before) {
        const ops: StoreOp[] = [{ type: 'put', key: `${SETTLED_PREFIX}${key}`, value: { settled: settled.toString() } }]
        let record: StoredPayment | undefined
        if (payment !== undefined) {
          record = {
            paymentId: `${payment.txHash.slice(2, 42)}-${agreementId}`.slice(0, 128),
            role,
            payerId: payment.payerId,
            payeeId: payment.payeeId,
            payerAddr: payment.payerAddr,
            payeeAddr: payment.payeeAddr,
            paymentPlatform: payment.paymentPlatform,
            amount: (settled - before).toString(),
            timestamp: this.#components.clock.now(),
            agreementId,
            details: payment.txHash
          }
          ops.push({ type: 'put', key: `${PAYMENT_PREFIX}${record.paymentId}`, value: record })
        }
        await this.#write(ops)
        this.#settled.set(key, settled)
        if (record !== undefined) this.#payments.set(record.paymentId, record)
      }
      const covered = this.documents.settledBy(agreementId, role, settled)
      for (const record of covered) await this.#commitWithEvent({ ...record, status: 'SETTLED' }, 'Settled')
      return covered.map(documentIdOf)
    })
  }

  settledTotal(agreementId: string, role: PaymentRole): bigint {
    return this.#settled.get(`${role}:${agreementId}`) ?? 0n
  }

  payments(filter: { afterTimestamp?: number | undefined; maxItems?: number | undefined; role?: PaymentRole | undefined } = {}): Payment[] {
    const after = filter.afterTimestamp ?? Number.NEGATIVE_INFINITY
    return [...this.#payments.values()]
      .filter(p => p.timestamp > after && (filter.role === undefined || p.role === filter.role))
      .sort((a, b) => a.timestamp - b.timestamp)
      .slice(0, filter.maxItems ?? Number.POSITIVE_INFINITY)
      .map(paymentOf)
  }

  payment(paymentId: string): Payment {
    const record = this.#payments.get(paymentId)
    if (record === undefined) throw new PaymentError('NotFound', `no payment ${paymentId}`)
    return paymentOf(record)
  }

  // ---- documents: the requester's copies ----

  /** A document received from its issuer: RECEIVED, with its event. The same document again changes nothing. */
  async receive(record: StoredDocument): Promise<boolean> {
    return await this.#exclusive(async () => {
      const id = documentIdOf(record)
      const existing = this.documents.find(id)
      if (existing !== undefined) {
        if (existing.role === 'Requestor' && JSON.stringify(existing.document) === JSON.stringify(record.document)) return false
        throw new PaymentError('Conflict', `a different document ${id} is known here`)
      }
      if (record.kind === 'invoice') {
        const accepted = this.documents.acceptedTotal(record.document.agreementId, 'Requestor')
        if (amountOf(record) < accepted) {
          throw new PaymentError('BadRequest', `invoice ${id} asks ${amountOf(record)} base units, below the ${accepted} already accepted for its agreement`)
        }
        if (this.documents.invoiceOfAgreement(record.document.agreementId, 'Requestor') !== undefined) {
          throw new PaymentError('Conflict', `agreement ${record.document.agreementId} has an invoice already`)
        }
      }
      await this.#commitWithEvent(record, 'Received')
      return true
    })
  }

  /**
   * Accepts a received document for `amount` (its own amount) from
   * `allocationId`: the allocation pays what the acceptance adds to the
   * agreement's cumulative. Accepting again with the same amount changes
   * nothing; with another, Conflict.
   */
  async accept(documentId: string, amount: bigint, allocationId: string): Promise<AcceptOutcome> {
    return await this.#exclusive(async () => {
      const record = this.#own(documentId, 'Requestor')
      const agreementId = record.document.agreementId
      if (amount !== amountOf(record)) {
        throw new PaymentError('BadRequest', `totalAmountAccepted must be the document's amount, ${amountOf(record)} base units, not ${amount}`)
      }
      if (record.status === 'ACCEPTED' || record.status === 'SETTLED') {
        if (record.accepted !== undefined && BigInt(record.accepted.amount) === amount) {
          return { changed: false, cumulative: BigInt(record.accepted.cumulative), record }
        }
        throw new PaymentError('Conflict', `document ${documentId} was accepted already with another amount`)
      }
      if (record.status !== 'RECEIVED' && record.status !== 'REJECTED') throw new PaymentError('Conflict', `document ${documentId} is ${record.status}`)
      const before = this.documents.acceptedTotal(agreementId, 'Requestor')
      const probe = { ...record, status: 'ACCEPTED', accepted: { amount: amount.toString(), cumulative: '0' } } as StoredDocument
      const cumulative = this.documents.acceptedTotal(agreementId, 'Requestor', probe)
      const allocation = this.allocations.spent(allocationId, record.document.paymentPlatform, cumulative - before)
      const { rejection: _dropped, ...rest } = record
      const next = {
        ...rest,
        status: 'ACCEPTED',
        accepted: { amount: amount.toString(), cumulative: cumulative.toString(), allocationId, sent: false }
      } as StoredDocument
      await this.#commitWithEvent(next, 'Accepted', undefined, [allocationOp(allocation)])
      this.allocations.put(allocation)
      return { changed: true, cumulative, record: next }
    })
  }

  /** The acceptance (with its proof) goes out: marked sent in the same batch as its message. */
  async markSent(documentId: string, commit: Commit): Promise<void> {
    await this.#exclusive(async () => {
      const record = this.#own(documentId, 'Requestor')
      if (record.accepted === undefined || record.accepted.sent === true) return
      const next = { ...record, accepted: { ...record.accepted, sent: true } } as StoredDocument
      await commit([documentOp(next)])
      this.documents.put(next)
    })
  }

  /** Acceptances written but not yet handed to the outbox (a crash came between). */
  unsent(): StoredDocument[] {
    return this.documents.all().filter(r => r.role === 'Requestor' && r.accepted !== undefined && r.accepted.sent !== true)
  }

  async reject(documentId: string, rejection: Rejection, commit: Commit): Promise<void> {
    await this.#exclusive(async () => {
      const record = this.#own(documentId, 'Requestor')
      if (record.status !== 'RECEIVED') throw new PaymentError('Conflict', `document ${documentId} is ${record.status}; only a RECEIVED one can be rejected`)
      await this.#commitWithEvent({ ...record, status: 'REJECTED', rejection: rejectionWire(rejection) }, 'Rejected', rejection, [], commit)
    })
  }

  // ---- inside ----

  #own(documentId: string, role: PaymentRole): StoredDocument {
    const record = this.documents.find(documentId)
    if (record === undefined) throw new PaymentError('NotFound', `no document ${documentId}`)
    if (record.role !== role) {
      throw new PaymentError(
        'Forbidden',
        role === 'Requestor' ? `document ${documentId} was issued by this node` : `document ${documentId} was issued to this node`
      )
    }
    return record
  }

  async #commitWithEvent(
    record: StoredDocument,
    what: 'Received' | 'Accepted' | 'Rejected' | 'Settled',
    rejection?: Rejection,
    more: StoreOp[] = [],
    commit?: Commit
  ): Promise<void> {
    const input: EventInput = {
      kind: record.kind,
      eventType: `${record.kind === 'invoice' ? 'Invoice' : 'DebitNote'}${what}Event` as EventInput['eventType'],
      documentId: documentIdOf(record),
      appSessionId: this.#components.appSessionOf(record.document.agreementId),
      rejection
    }
    const event = this.events.prepare(input)
    const ops = [documentOp(record), ...event.ops, ...more]
    try {
      await (commit ?? (async (all: StoreOp[]) => await this.#write(all)))(ops)
    } catch (err) {
      event.abandon()
      throw err
    }
    this.documents.put(record)
    event.commit()
  }

  async #write(ops: StoreOp[]): Promise<void> {
    await this.#components.db.batch(ops, { sync: true })
  }

  async #release(record: StoredAllocation): Promise<void> {
    const next = { ...record, releasedAt: this.#components.clock.now() }
    await this.#write([allocationOp(next)])
    this.allocations.put(next)
    const timer = this.#timers.get(record.allocationId)
    if (timer !== undefined) this.#components.clock.clearTimeout(timer)
    this.#timers.delete(record.allocationId)
  }

  #scheduleRelease(record: StoredAllocation): void {
    const clock = this.#components.clock
    const previous = this.#timers.get(record.allocationId)
    if (previous !== undefined) clock.clearTimeout(previous)
    if (record.timeout === undefined || this.#closed) return
    const timer = clock.setTimeout(
      () => {
        this.#timers.delete(record.allocationId)
        this.#exclusive(async () => {
          const current = this.allocations.unreleased().find(r => r.allocationId === record.allocationId)
          if (current !== undefined && current.timeout !== undefined && current.timeout <= clock.now()) await this.#release(current)
        }).catch(() => {
          // Not written: it counts as released anyway (past its timeout); the next start tries again.
        })
      },
      Math.max(0, record.timeout - clock.now())
    )
    this.#timers.set(record.allocationId, timer)
  }

  async #exclusive<T>(step: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(step, step)
    this.#queue = run.catch(() => undefined)
    return await run
  }

  /** Settles once every change queued so far is written (tests, shutdown). */
  async idle(): Promise<void> {
    await this.#queue
  }
}

function allocationOp(record: StoredAllocation): StoreOp {
  return { type: 'put', key: `${ALLOCATION_PREFIX}${record.allocationId}`, value: record }
}

function mandateOp(record: StoredMandate): StoreOp {
  return { type: 'put', key: `${MANDATE_PREFIX}${record.agreementId}`, value: record }
}

function documentOp(record: StoredDocument): StoreOp {
  return { type: 'put', key: `${DOCUMENT_PREFIX}${documentIdOf(record)}`, value: record }
}
