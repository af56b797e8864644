// The PaymentGuard over the Payment API v1: long polls of debit-note and
// invoice events (afterTimestamp = the last event date seen, as golem-js
// polls), each document of a watched agreement read, checked (usage-checks.ts,
// invoice-checks.ts) and answered at once: accepted for its amount, or
// rejected with INCORRECT_AMOUNT and what would be accepted. Documents of one
// agreement are answered in the order they arrive; each answer is sent once and
// retried only while the daemon did not take it. settle() returns within its
// bound whatever the provider does.
import { formatAmount, maxAmount, minAmount, parseAmount } from '../../payment/model/amounts.ts'
import { silentLogger, systemClock } from '../../net/kernel.ts'
import type { Clock, Logger, TimerHandle } from '../../net/kernel.ts'
import type { ApiClient } from '../client/api-client.ts'
import { ApiError, SdkError } from '../errors.ts'
import type { InvoiceMandateReport, RentalReport } from '../types.ts'
import { guardTermsOf } from './agreement-terms.ts'
import type { GuardTerms } from './agreement-terms.ts'
import { checkInvoice, invoiceBound } from './invoice-checks.ts'
import type { GuardedAgreement, PaymentGuard } from './payment-guard.ts'
import type { UsageBasis } from './invoice-checks.ts'
import { checkDebitNote, clampedCounters, countersOf, DEFAULT_SLACK } from './usage-checks.ts'
import type { Reading, UsageSlack, Verdict } from './usage-checks.ts'

const PAYMENT_API = '/payment-api/v1'
const MANDATES = '/agora-api/v1/payment/invoice-mandates'
/** The SDK's reasons; the wire carries the Payment API's INCORRECT_AMOUNT for both (its RejectionReason has no budget reason). */
export type GuardRejection = 'INCORRECT_AMOUNT' | 'BUDGET_EXCEEDED'
/** Documents of agreements not (yet) watched that are kept for a later watch(). */
const MAX_UNWATCHED = 10_000
/** Reads of a received document before it is given up (each after retryMs). */
const READ_ATTEMPTS = 20

export interface PaymentGuardOptions {
  readonly clock?: Clock
  readonly logger?: Logger
  /** How far reported usage may go beyond the requester's own clock (DEFAULT_SLACK). */
  readonly slack?: Partial<UsageSlack>
  /** Only documents of agreements confirmed in this app session. */
  readonly appSessionId?: string
  /** How long each long poll waits on the daemon (seconds; default 5). */
  readonly pollTimeoutSec?: number
  /** Pause after a failed poll or answer before it is tried again (ms; default 500). */
  readonly retryMs?: number
  /** How long a handed-over invoice is answered by the daemon (ms; default 24 hours; 0: nothing is handed over). */
  readonly invoiceMandateMs?: number
}

export const DEFAULT_INVOICE_MANDATE_MS = 24 * 3_600_000

interface DebitNoteWire {
  readonly debitNoteId: string
  readonly agreementId: string
  readonly activityId: string
  readonly timestamp: string
  readonly totalAmountDue: string
  readonly usageCounterVector: readonly number[]
  readonly status: string
}

interface InvoiceWire {
  readonly invoiceId: string
  readonly agreementId: string
  readonly activityIds: readonly string[]
  readonly amount: string
  readonly status: string
}

type Document = { readonly kind: 'debit-note'; readonly wire: DebitNoteWire } | { readonly kind: 'invoice'; readonly wire: InvoiceWire }

interface Watched {
  readonly spec: GuardedAgreement
  readonly terms: GuardTerms | Error
  /** When the agreement's activities could have begun, on the guard's clock. */
  readonly startedAt: number
  /** Per activity, its last accepted debit note. */
  readonly honest: Map<string, Reading & { readonly at: number }>
  /** Per activity, the most usage its notes showed possible (what invoices are checked from). */
  readonly basis: Map<string, UsageBasis>
  accepted: bigint
  invoice?: { readonly invoiceId: string; readonly outcome: 'accepted' | 'rejected' | 'failed' }
  /** Its invoice is the daemon's to answer (handOver). */
  handedOver?: InvoiceMandateReport
  readonly rejected: Array<{ readonly documentId: string; readonly reason: string; readonly message?: string }>
  /** Documents are answered one after another, in arrival order. */
  queue: Promise<void>
  readonly invoiceSettled: Set<() => void>
}

const DOCUMENT_DONE = new Set(['ACCEPTED', 'REJECTED', 'SETTLED', 'CANCELLED', 'FAILED'])

/** A PaymentGuard for the agreements of one connection; polls until close(). */
export function createPaymentGuard(api: ApiClient, options: PaymentGuardOptions = {}): PaymentGuard {
  return new DefaultPaymentGuard(api, options)
}

class DefaultPaymentGuard implements PaymentGuard {
  readonly #api: ApiClient
  readonly #clock: Clock
  readonly #log: Logger
  readonly #slack: UsageSlack
  readonly #pollSec: number
  readonly #retryMs: number
  readonly #appSessionId: string | undefined
  readonly #mandateMs: number
  readonly #watched = new Map<string, Watched>()
  readonly #unwatched = new Map<string, Document[]>()
  #unwatchedCount = 0
  /** Document ids answered (or being answered): each gets one answer. */
  readonly #answered = new Set<string>()
  readonly #stop = new AbortController()
  readonly #timers = new Set<TimerHandle>()
  #polls: Promise<void>[] = []

  constructor(api: ApiClient, options: PaymentGuardOptions) {
    this.#api = api
    this.#clock = options.clock ?? systemClock
    this.#log = (options.logger ?? silentLogger).child({ component: 'sdk:payment-guard' })
    this.#slack = { ...DEFAULT_SLACK, ...options.slack }
    this.#pollSec = options.pollTimeoutSec ?? 5
    this.#retryMs = options.retryMs ?? 500
    this.#appSessionId = options.appSessionId
    this.#mandateMs = options.invoiceMandateMs ?? DEFAULT_INVOICE_MANDATE_MS
    const since = new Date(this.#clock.now()).toISOString()
    this.#polls = [this.#poll('debit-note', since), this.#poll('invoice', since)]
  }

  watch(agreement: GuardedAgreement): void {
    const agreementId = agreement.agreement.agreementId
    if (this.#watched.has(agreementId)) return
    let terms: GuardTerms | Error
    try {
      terms = guardTermsOf(agreement.agreement)
    } catch (err) {
      terms = err as Error
    }
    const watched: Watched = {
      spec: agreement,
      terms,
      startedAt: agreement.startedAt ?? this.#clock.now(),
      honest: new Map(),
      basis: new Map(),
      accepted: 0n,
      rejected: [],
      queue: Promise.resolve(),
      invoiceSettled: new Set()
    }
    this.#watched.set(agreementId, watched)
    const waiting = this.#unwatched.get(agreementId) ?? []
    this.#unwatched.delete(agreementId)
    this.#unwatchedCount -= waiting.length
    for (const document of waiting) this.#enqueue(watched, document)
  }

  acceptedTotal(agreementId: string): bigint {
    return this.#watched.get(agreementId)?.accepted ?? 0n
  }

  async settle(agreementId: string, options: { readonly timeoutMs: number; readonly signal?: AbortSignal }): Promise<RentalReport> {
    const watched = this.#watched.get(agreementId)
    if (watched === undefined) throw new SdkError('NotFound', `agreement ${agreementId} is not watched by this payment guard`)
    if (watched.invoice === undefined) {
      await new Promise<void>(resolve => {
        const done = (): void => {
          this.#clock.clearTimeout(timer)
          watched.invoiceSettled.delete(done)
          options.signal?.removeEventListener('abort', done)
          this.#stop.signal.removeEventListener('abort', done)
          resolve()
        }
        const timer = this.#clock.setTimeout(done, Math.max(0, options.timeoutMs))
        watched.invoiceSettled.add(done)
        options.signal?.addEventListener('abort', done, { once: true })
        this.#stop.signal.addEventListener('abort', done, { once: true })
        if (options.signal?.aborted === true || this.#stop.signal.aborted) done()
      })
    }
    return this.#report(watched)
  }

  async handOver(
    agreementId: string,
    options: { readonly activityIds?: readonly string[]; readonly timeoutMs?: number } = {}
  ): Promise<InvoiceMandateReport | undefined> {
    const watched = this.#watched.get(agreementId)
    if (watched === undefined) throw new SdkError('NotFound', `agreement ${agreementId} is not watched by this payment guard`)
    if (this.#mandateMs <= 0 || watched.terms instanceof Error) return undefined
    // The documents already read are answered first: the bound starts from what they accepted.
    await watched.queue
    if (watched.invoice !== undefined) return undefined
    if (watched.handedOver !== undefined) return watched.handedOver
    const now = this.#clock.now()
    const bound = this.#invoiceBound(watched, watched.terms, options.activityIds ?? [], now)
    const mandate: InvoiceMandateReport = { maxAmount: maxAmount(minAmount(bound, watched.spec.budget), watched.accepted), expiresAt: now + this.#mandateMs }
    // From here the invoice is the daemon's: were the guard to answer it too, the two answers could differ.
    watched.handedOver = mandate
    try {
      await this.#api.call('POST', MANDATES, {
        body: {
          agreementId,
          maxAmount: formatAmount(mandate.maxAmount),
          allocationId: watched.spec.allocationId,
          expiresAt: new Date(mandate.expiresAt).toISOString()
        },
        ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs })
      })
    } catch (err) {
      delete watched.handedOver
      throw err
    }
    return mandate
  }

  async close(): Promise<void> {
    this.#stop.abort()
    for (const timer of this.#timers) this.#clock.clearTimeout(timer)
    this.#timers.clear()
    for (const watched of this.#watched.values()) for (const done of [...watched.invoiceSettled]) done()
    await Promise.allSettled(this.#polls)
  }

  #report(watched: Watched): RentalReport {
    return {
      agreementId: watched.spec.agreement.agreementId,
      providerId: watched.spec.agreement.offer.providerId,
      cost: watched.accepted,
      ...(watched.invoice === undefined ? {} : { invoiceId: watched.invoice.invoiceId }),
      rejected: [...watched.rejected],
      ...(watched.handedOver === undefined ? {} : { invoiceMandate: watched.handedOver })
    }
  }

  // ---- events ----

  async #poll(kind: Document['kind'], since: string): Promise<void> {
    let after = since
    const path = kind === 'debit-note' ? `${PAYMENT_API}/debitNoteEvents` : `${PAYMENT_API}/invoiceEvents`
    const received = kind === 'debit-note' ? 'DebitNoteReceivedEvent' : 'InvoiceReceivedEvent'
    while (!this.#stop.signal.aborted) {
      let events: Array<{ eventType: string; eventDate: string; debitNoteId?: string; invoiceId?: string }>
      try {
        events = await this.#api.call('GET', path, {
          query: { timeout: this.#pollSec, afterTimestamp: after, maxEvents: 100, appSessionId: this.#appSessionId },
          signal: this.#stop.signal,
          timeoutMs: this.#pollSec * 1000 + 30_000
        })
      } catch (err) {
        if (this.#stop.signal.aborted) return
        this.#log.warn({ err, kind }, 'payment guard: an event poll failed; polling again')
        await this.#pause(this.#retryMs)
        continue
      }
      for (const event of events) {
        after = event.eventDate
        const id = event.debitNoteId ?? event.invoiceId
        if (event.eventType === received && id !== undefined) await this.#received(kind, id)
      }
    }
  }

  async #received(kind: Document['kind'], id: string): Promise<void> {
    const document = await this.#read(kind, id)
    if (document === undefined) return
    const watched = this.#watched.get(document.wire.agreementId)
    if (watched !== undefined) {
      this.#enqueue(watched, document)
      return
    }
    if (this.#unwatchedCount >= MAX_UNWATCHED) return
    const list = this.#unwatched.get(document.wire.agreementId) ?? []
    list.push(document)
    this.#unwatched.set(document.wire.agreementId, list)
    this.#unwatchedCount++
  }

  /** The document, read again after a pause while the daemon does not answer (a note never read is never answered). */
  async #read(kind: Document['kind'], id: string): Promise<Document | undefined> {
    for (let attempt = 1; !this.#stop.signal.aborted; attempt++) {
      try {
        return kind === 'debit-note'
          ? { kind, wire: await this.#api.call<DebitNoteWire>('GET', `${PAYMENT_API}/debitNotes/${id}`, { signal: this.#stop.signal }) }
          : { kind, wire: await this.#api.call<InvoiceWire>('GET', `${PAYMENT_API}/invoices/${id}`, { signal: this.#stop.signal }) }
      } catch (err) {
        if (this.#stop.signal.aborted) return undefined
        const retriable = !(err instanceof ApiError) || err.status >= 500
        this.#log.warn({ err, documentId: id, attempt, retriable }, 'payment guard: a received document could not be read')
        if (!retriable || attempt >= READ_ATTEMPTS) return undefined
        await this.#pause(this.#retryMs)
      }
    }
    return undefined
  }

  #enqueue(watched: Watched, document: Document): void {
    watched.queue = watched.queue
      .then(async () => {
        await (document.kind === 'debit-note' ? this.#debitNote(watched, document.wire) : this.#invoice(watched, document.wire))
      })
      .catch((err: unknown) => {
        this.#log.warn({ err, agreementId: document.wire.agreementId }, 'payment guard: a document was not answered')
      })
  }

  // ---- checks ----

  async #debitNote(watched: Watched, note: DebitNoteWire): Promise<void> {
    if (this.#answered.has(note.debitNoteId) || DOCUMENT_DONE.has(note.status) || watched.invoice !== undefined) return
    const amount = parseUnits(note.totalAmountDue)
    const reading = { vector: note.usageCounterVector, amount, at: Date.parse(note.timestamp) }
    const previous = watched.honest.get(note.activityId)
    if (previous !== undefined && reading.at < previous.at && amount <= previous.amount) return // an older note: the accepted one covers it
    const verdict = this.#checkNote(watched, note, reading, previous)
    this.#noteBasis(watched, note)
    if (verdict.ok) {
      const delta = amount - (previous?.amount ?? 0n)
      if (await this.#answer(watched, 'debitNotes', note.debitNoteId, { accept: amount })) {
        watched.honest.set(note.activityId, reading)
        watched.accepted += delta
        watched.spec.onAccepted?.(watched.accepted, note.debitNoteId)
      }
      return
    }
    await this.#refuse(watched, 'debitNotes', note.debitNoteId, verdict.reason, verdict.message, verdict.acceptable)
  }

  #checkNote(watched: Watched, note: DebitNoteWire, reading: Reading, previous: Reading | undefined): RefusalOr {
    if (watched.terms instanceof Error)
      return refusal('INCORRECT_AMOUNT', `the agreement's prices cannot be read: ${watched.terms.message}`, previous?.amount ?? 0n)
    const elapsedSec = (this.#clock.now() - watched.startedAt) / 1000
    const verdict: Verdict = checkDebitNote(watched.terms, reading, previous, elapsedSec, this.#slack)
    if (!verdict.ok) return refusal('INCORRECT_AMOUNT', verdict.message, verdict.acceptable)
    const others = watched.accepted - (previous?.amount ?? 0n)
    if (others + reading.amount > watched.spec.budget) {
      const room = watched.spec.budget - others
      return refusal(
        'BUDGET_EXCEEDED',
        `debit note ${note.debitNoteId} brings the agreement to ${formatAmount(others + reading.amount)}, beyond its budget of ${formatAmount(watched.spec.budget)}; would accept ${formatAmount(room)}`,
        room
      )
    }
    return { ok: true }
  }

  async #invoice(watched: Watched, invoice: InvoiceWire): Promise<void> {
    if (this.#answered.has(invoice.invoiceId) || watched.invoice !== undefined || watched.handedOver !== undefined) return
    if (DOCUMENT_DONE.has(invoice.status)) {
      watched.invoice = { invoiceId: invoice.invoiceId, outcome: invoice.status === 'REJECTED' ? 'rejected' : 'accepted' }
      this.#invoiceSettled(watched)
      return
    }
    const amount = parseUnits(invoice.amount)
    const verdict = this.#checkInvoice(watched, invoice, amount)
    let outcome: 'accepted' | 'rejected' | 'failed'
    if (verdict.ok) {
      const accepted = await this.#answer(watched, 'invoices', invoice.invoiceId, { accept: amount })
      if (accepted) {
        watched.accepted = amount
        watched.spec.onAccepted?.(amount, invoice.invoiceId)
      }
      outcome = accepted ? 'accepted' : 'failed'
    } else {
      outcome = (await this.#refuse(watched, 'invoices', invoice.invoiceId, verdict.reason, verdict.message, verdict.acceptable)) ? 'rejected' : 'failed'
    }
    watched.invoice = { invoiceId: invoice.invoiceId, outcome }
    this.#invoiceSettled(watched)
  }

  #checkInvoice(watched: Watched, invoice: InvoiceWire, amount: bigint): RefusalOr {
    if (watched.terms instanceof Error) return refusal('INCORRECT_AMOUNT', `the agreement's prices cannot be read: ${watched.terms.message}`, watched.accepted)
    // The activities ended before the provider priced their final usage, so before the invoice arrived.
    const bound = this.#invoiceBound(watched, watched.terms, invoice.activityIds, this.#clock.now())
    const verdict = checkInvoice(amount, bound, watched.accepted)
    if (!verdict.ok) return refusal('INCORRECT_AMOUNT', `invoice ${invoice.invoiceId}: ${verdict.message}`, verdict.acceptable)
    if (amount > watched.spec.budget) {
      return refusal(
        'BUDGET_EXCEEDED',
        `invoice ${invoice.invoiceId} asks ${formatAmount(amount)}, beyond the agreement's budget of ${formatAmount(watched.spec.budget)}; would accept ${formatAmount(watched.spec.budget)}`,
        watched.spec.budget
      )
    }
    return { ok: true }
  }

  /** The most the agreement's invoice may ask, its activities having ended by `now`. */
  #invoiceBound(watched: Watched, terms: GuardTerms, activityIds: readonly string[], now: number): bigint {
    const accepted = new Map([...watched.honest].map(([id, reading]) => [id, reading.amount]))
    return invoiceBound(terms, { activityIds, basis: watched.basis, accepted, startedAt: watched.startedAt, now }, this.#slack)
  }

  /** The note's usage cut down to what was possible, kept when it is more than the activity's basis so far. */
  #noteBasis(watched: Watched, note: DebitNoteWire): void {
    if (watched.terms instanceof Error) return
    const terms = watched.terms
    const names = terms.pricing.usageVector
    if (note.usageCounterVector.length !== names.length || !note.usageCounterVector.every(v => Number.isFinite(v) && v >= 0)) return
    const elapsedSec = (this.#clock.now() - watched.startedAt) / 1000
    const clamped = clampedCounters(terms, countersOf(terms, note.usageCounterVector), elapsedSec, this.#slack)
    const before = watched.basis.get(note.activityId)?.vector ?? []
    watched.basis.set(note.activityId, { vector: names.map((name, i) => Math.max(clamped[name] ?? 0, before[i] ?? 0)) })
  }

  #invoiceSettled(watched: Watched): void {
    for (const done of [...watched.invoiceSettled]) done()
  }

  // ---- answers ----

  async #refuse(watched: Watched, path: Answerable, documentId: string, reason: GuardRejection, message: string, acceptable: bigint): Promise<boolean> {
    const text = reason === 'BUDGET_EXCEEDED' ? `BUDGET_EXCEEDED: ${message}` : message
    const sent = await this.#answer(watched, path, documentId, { reject: { acceptable: acceptable < 0n ? 0n : acceptable, message: text } })
    if (sent) {
      watched.rejected.push({ documentId, reason, message })
      watched.spec.onRejected?.(documentId, reason, message)
    }
    return sent
  }

  /**
   * Sends one answer for the document, retried while the daemon did not take it (network errors, 5xx), at most until
   * the document's accept timeout; a document is answered once. Returns whether the daemon took the answer.
   */
  async #answer(
    watched: Watched,
    path: Answerable,
    documentId: string,
    answer: { readonly accept: bigint } | { readonly reject: { readonly acceptable: bigint; readonly message: string } }
  ): Promise<boolean> {
    if (this.#answered.has(documentId)) return false
    this.#answered.add(documentId)
    const body =
      'accept' in answer
        ? { totalAmountAccepted: formatAmount(answer.accept), allocationId: watched.spec.allocationId }
        : { rejectionReason: 'INCORRECT_AMOUNT', totalAmountAccepted: formatAmount(answer.reject.acceptable), message: answer.reject.message.slice(0, 1024) }
    const verb = 'accept' in answer ? 'accept' : 'reject'
    const deadline = this.#clock.now() + (watched.terms instanceof Error ? 240_000 : (watched.terms.acceptTimeoutMs ?? 240_000))
    for (let attempt = 0; !this.#stop.signal.aborted; attempt++) {
      try {
        if (attempt > 0 && DOCUMENT_DONE.has((await this.#api.call<{ status: string }>('GET', `${PAYMENT_API}/${path}/${documentId}`)).status)) return true
        await this.#api.call('POST', `${PAYMENT_API}/${path}/${documentId}/${verb}`, { body, signal: this.#stop.signal, timeoutMs: 60_000 })
        return true
      } catch (err) {
        const retriable = !(err instanceof ApiError) || err.status >= 500
        this.#log.warn({ err, documentId, verb, retriable }, 'payment guard: an answer was not taken')
        if (!retriable || this.#clock.now() + this.#retryMs > deadline) return false
        await this.#pause(this.#retryMs)
      }
    }
    return false
  }

  async #pause(ms: number): Promise<void> {
    await new Promise<void>(resolve => {
      const timer = this.#clock.setTimeout(() => {
        this.#timers.delete(timer)
        this.#stop.signal.removeEventListener('abort', stopped)
        resolve()
      }, ms)
      const stopped = (): void => {
        this.#clock.clearTimeout(timer)
        this.#timers.delete(timer)
        resolve()
      }
      this.#timers.add(timer)
      this.#stop.signal.addEventListener('abort', stopped, { once: true })
    })
  }
}

type Answerable = 'debitNotes' | 'invoices'
type RefusalOr = { readonly ok: true } | { readonly ok: false; readonly reason: GuardRejection; readonly message: string; readonly acceptable: bigint }

function refusal(reason: GuardRejection, message: string, acceptable: bigint): RefusalOr {
  return { ok: false, reason, message, acceptable }
}

/** A wire amount in base units; a malformed one counts as nothing (it is then refused as incorrect). */
function parseUnits(text: string): bigint {
  try {
    return parseAmount(text, 'amount')
  } catch {
    return -1n
  }
}
