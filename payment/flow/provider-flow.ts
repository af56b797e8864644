// The provider's side: for each live activity of an agreement with payments,
// at the agreed interval, price its usage and issue a cumulative debit note;
// at the agreement's end, after its activities' final usage, the invoice; a
// debit note not accepted within the accept timeout ends the agreement. An
// acceptance counts only once its proof checks (a voucher against the chain,
// or a direct payout verified there); documents become SETTLED only when the
// settlement reports the chain paid them.
import { randomBytes } from 'node:crypto'
import type { TimerHandle } from '../../net/index.ts'
import type { ActivityInfoLike, UsageSourceLike } from './usage-source.ts'
import { PaymentError } from '../model/payment-error.ts'
import { amountOf } from '../ledger/index.ts'
import type { StoredDebitNote, StoredDocument, StoredInvoice } from '../ledger/index.ts'
import { PAYMENT_MESSAGES, payoutOf, proofOf } from '../protocol/index.ts'
import type { AcceptancePayload, PayoutPayload, Received, RejectionPayload } from '../protocol/index.ts'
import { priceOf, usageVectorOf } from '../pricing/index.ts'
import type { ProviderSettlementEvents } from '../settlement/settlement.ts'
import { termsOf } from './flow-parts.ts'
import type { FlowComponents } from './flow-parts.ts'
import type { PaymentAgreement, PaymentTerms } from './payment-terms.ts'

export interface ProviderFlowComponents extends FlowComponents {
  readonly usage: UsageSourceLike
  /** Ends the agreement (the market's terminateAgreement). */
  readonly terminate: (agreementId: string, reason: { message: string; [key: string]: string | number | boolean | null }) => Promise<void>
  /** The agreements this node provides under (at start: the ones to resume). */
  readonly providerAgreements: () => PaymentAgreement[]
  /** How long the invoice waits for an activity's final usage before pricing what it has (ms). */
  readonly finalUsageWaitMs: number
}

const ENDED = new Set(['Terminated'])

export class ProviderFlow {
  readonly #c: ProviderFlowComponents
  readonly #cycles = new Map<string, TimerHandle>()
  readonly #acceptTimers = new Map<string, TimerHandle>()
  readonly #invoicing = new Map<string, Promise<void>>()
  /** Ends the waits for final usage at stop: the invoice is issued after the next start instead. */
  readonly #stopping = new AbortController()
  #stopped = false

  constructor(components: ProviderFlowComponents) {
    this.#c = components
    const { outbox } = components
    outbox.handle(PAYMENT_MESSAGES.acceptance, async message => {
      await this.#onAcceptance(message)
    })
    outbox.handle(PAYMENT_MESSAGES.rejection, async message => {
      await this.#onRejection(message)
    })
    outbox.handle(PAYMENT_MESSAGES.payout, async message => {
      await this.#onPayout(message)
    })
  }

  /** Resumes: cycles of live agreements, accept timers of notes waiting, invoices of agreements that ended meanwhile. */
  start(): void {
    this.#c.settlement.provider.addEventListener('settled', this.#onSettled)
    for (const agreement of this.#c.providerAgreements()) this.agreementChanged(agreement)
    for (const record of this.#c.ledger.documents.all()) {
      // A rejected note is not accepted either: its timeout still runs.
      if (record.role === 'Provider' && record.kind === 'debit-note' && (record.status === 'ISSUED' || record.status === 'REJECTED'))
        this.#armAcceptTimer(record)
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true
    this.#stopping.abort()
    this.#c.settlement.provider.removeEventListener('settled', this.#onSettled)
    for (const timer of [...this.#cycles.values(), ...this.#acceptTimers.values()]) this.#c.clock.clearTimeout(timer)
    this.#cycles.clear()
    this.#acceptTimers.clear()
    await Promise.allSettled([...this.#invoicing.values()])
  }

  /** The market reports a change of one of this node's agreements as provider. */
  agreementChanged(agreement: PaymentAgreement): void {
    if (this.#stopped || agreement.role !== 'Provider') return
    const terms = termsOf(this.#c, agreement)
    if (terms === undefined) return
    if (agreement.state === 'Approved') {
      if (!this.#cycles.has(agreement.agreementId)) this.#scheduleCycle(agreement.agreementId, terms)
      return
    }
    const cycle = this.#cycles.get(agreement.agreementId)
    if (cycle !== undefined) this.#c.clock.clearTimeout(cycle)
    this.#cycles.delete(agreement.agreementId)
    if (ENDED.has(agreement.state)) void this.invoiceOnce(agreement.agreementId, terms)
  }

  /** Issues the agreement's invoice unless it has one (concurrent calls share the one run). */
  async invoiceOnce(agreementId: string, terms: PaymentTerms): Promise<void> {
    const running = this.#invoicing.get(agreementId)
    if (running !== undefined) return await running
    const run = this.#invoice(agreementId, terms)
      .catch(err => {
        this.#c.logger.warn({ err, agreementId }, 'payment: the invoice could not be issued')
      })
      .finally(() => this.#invoicing.delete(agreementId))
    this.#invoicing.set(agreementId, run)
    await run
  }

  // ---- debit notes ----

  #scheduleCycle(agreementId: string, terms: PaymentTerms): void {
    const timer = this.#c.clock.setTimeout(() => {
      this.#cycles.delete(agreementId)
      this.#debitNotes(agreementId, terms)
        .catch(err => {
          this.#c.logger.warn({ err, agreementId }, 'payment: debit notes not issued this time')
        })
        .finally(() => {
          const agreement = this.#c.agreement(agreementId)
          if (!this.#stopped && agreement?.state === 'Approved' && !this.#cycles.has(agreementId)) this.#scheduleCycle(agreementId, terms)
        })
    }, terms.debitNoteIntervalMs)
    this.#cycles.set(agreementId, timer)
  }

  async #debitNotes(agreementId: string, terms: PaymentTerms): Promise<void> {
    for (const activity of this.#c.usage.listActivities({ agreementId })) {
      if (activity.state.state[0] === 'Terminated') continue
      const counters = await this.#c.usage.usage(activity.activityId)
      await this.#issueDebitNote(agreementId, activity, terms, counters)
    }
  }

  async #issueDebitNote(agreementId: string, activity: ActivityInfoLike, terms: PaymentTerms, counters: Record<string, number>): Promise<void> {
    const amount = priceOf(terms.pricing, counters)
    const last = this.#c.ledger.documents.lastDebitNote(agreementId, activity.activityId, 'Provider')
    if (amount <= (last === undefined ? 0n : BigInt(last.document.totalAmountDue))) return
    if (this.#c.ledger.documents.invoiceOfAgreement(agreementId, 'Provider') !== undefined) return
    const now = this.#c.clock.now()
    const record: StoredDebitNote = {
      kind: 'debit-note',
      role: 'Provider',
      status: 'ISSUED',
      document: {
        debitNoteId: newDocumentId(),
        ...(last === undefined ? {} : { previousDebitNoteId: last.document.debitNoteId }),
        activityId: activity.activityId,
        agreementId,
        ...this.#parties(terms),
        timestamp: now,
        totalAmountDue: amount.toString(),
        usageCounterVector: usageVectorOf(terms.pricing, counters),
        ...(terms.debitNotePaymentTimeoutMs === undefined ? {} : { paymentDueDate: now + terms.debitNotePaymentTimeoutMs })
      }
    }
    await this.#c.ledger.issue(record, async ops => {
      await this.#c.outbox.send(terms.settlement.requester, PAYMENT_MESSAGES.debitNote, record.document, ops)
    })
    this.#armAcceptTimer(record)
  }

  #armAcceptTimer(record: StoredDebitNote): void {
    const agreement = this.#c.agreement(record.document.agreementId)
    if (agreement === undefined || this.#stopped) return
    const terms = termsOf(this.#c, agreement)
    if (terms === undefined) return
    const due = record.document.timestamp + terms.acceptTimeoutMs
    const id = record.document.debitNoteId
    const timer = this.#c.clock.setTimeout(
      () => {
        this.#acceptTimers.delete(id)
        this.#acceptTimedOut(record, terms).catch(err => {
          this.#c.logger.warn({ err, debitNoteId: id }, 'payment: could not end the agreement of an unaccepted debit note')
        })
      },
      Math.max(0, due - this.#c.clock.now())
    )
    this.#acceptTimers.set(id, timer)
  }

  async #acceptTimedOut(record: StoredDebitNote, terms: PaymentTerms): Promise<void> {
    const { agreementId, activityId, debitNoteId } = record.document
    if (this.#c.agreement(agreementId)?.state !== 'Approved') return
    // A later note of the activity accepted covers this one: it is cumulative.
    const covered = this.#c.ledger.documents
      .ofAgreement(agreementId, 'Provider')
      .some(
        r =>
          (r.status === 'ACCEPTED' || r.status === 'SETTLED') &&
          (r.kind === 'invoice' || r.document.activityId === activityId) &&
          amountOf(r) >= amountOf(record)
      )
    if (covered) return
    this.#c.logger.info({ agreementId, debitNoteId }, 'payment: a debit note was not accepted in time; ending the agreement')
    await this.#c.terminate(agreementId, {
      message: `debit note ${debitNoteId} was not accepted within ${Math.round(terms.acceptTimeoutMs / 1000)} s`,
      'agora.payment.unaccepted-debit-note': debitNoteId,
      // yagna's BreakReason, which Golem requesters read.
      'golem.provider.code': 'DebitNotesDeadline'
    })
  }

  // ---- the invoice ----

  async #invoice(agreementId: string, terms: PaymentTerms): Promise<void> {
    const { ledger } = this.#c
    if (ledger.documents.invoiceOfAgreement(agreementId, 'Provider') !== undefined) return
    const activities = this.#c.usage.listActivities({ agreementId })
    const finals = await this.#finalUsage(activities.map(a => a.activityId))
    if (this.#stopped) return
    let total = 0n
    for (const activity of activities) {
      const priced = priceOf(terms.pricing, finals.get(activity.activityId) ?? {})
      const last = ledger.documents.lastDebitNote(agreementId, activity.activityId, 'Provider')
      const noted = last === undefined ? 0n : BigInt(last.document.totalAmountDue)
      total += priced > noted ? priced : noted
    }
    const accepted = ledger.documents.acceptedTotal(agreementId, 'Provider')
    const amount = total > accepted ? total : accepted
    const now = this.#c.clock.now()
    const record: StoredInvoice = {
      kind: 'invoice',
      role: 'Provider',
      status: 'ISSUED',
      document: {
        invoiceId: newDocumentId(),
        activityIds: activities.map(a => a.activityId),
        agreementId,
        ...this.#parties(terms),
        timestamp: now,
        amount: amount.toString(),
        paymentDueDate: now + terms.settlement.paymentTimeoutMs
      }
    }
    if (ledger.documents.invoiceOfAgreement(agreementId, 'Provider') !== undefined) return
    await ledger.issue(record, async ops => {
      await this.#c.outbox.send(terms.settlement.requester, PAYMENT_MESSAGES.invoice, record.document, ops)
    })
  }

  /** Each activity's counters once it has ended: its final report, or what it reads after `finalUsageWaitMs`. */
  async #finalUsage(activityIds: readonly string[]): Promise<Map<string, Record<string, number>>> {
    const { usage, clock } = this.#c
    const finals = new Map<string, Record<string, number>>()
    const waiting = new Set(activityIds)
    const stopping = this.#stopping.signal
    await new Promise<void>(resolve => {
      const done = (): void => {
        usage.off('usage', onUsage)
        clock.clearTimeout(timer)
        stopping.removeEventListener('abort', done)
        resolve()
      }
      stopping.addEventListener('abort', done)
      const onUsage = (event: { activityId: string; counters: Record<string, number>; final: boolean }): void => {
        if (!event.final || !waiting.has(event.activityId)) return
        finals.set(event.activityId, event.counters)
        waiting.delete(event.activityId)
        if (waiting.size === 0) done()
      }
      usage.on('usage', onUsage)
      for (const activity of usage.listActivities()) {
        if (waiting.has(activity.activityId) && activity.state.state[0] === 'Terminated') waiting.delete(activity.activityId)
      }
      const timer = clock.setTimeout(done, this.#c.finalUsageWaitMs)
      if (waiting.size === 0 || stopping.aborted) done()
    })
    for (const id of activityIds) {
      if (finals.has(id) || this.#stopped) continue
      try {
        finals.set(id, await usage.usage(id))
      } catch (err) {
        this.#c.logger.warn({ err, activityId: id }, 'payment: an activity’s usage could not be read for the invoice; its debit notes count')
      }
    }
    return finals
  }

  // ---- what the requester sends ----

  #ownDocument(documentId: string, agreementId: string, signer: string): { record: StoredDocument; terms: PaymentTerms } {
    const record = this.#c.ledger.documents.find(documentId)
    if (record === undefined || record.role !== 'Provider' || record.document.agreementId !== agreementId) {
      throw new PaymentError('NotFound', `no document ${documentId} of agreement ${agreementId} was issued here`)
    }
    const agreement = this.#c.agreement(agreementId)
    const terms = agreement === undefined ? undefined : termsOf(this.#c, agreement)
    if (terms === undefined) throw new PaymentError('NotFound', `agreement ${agreementId} has no payments here`)
    if (terms.settlement.requester !== signer.toLowerCase()) throw new PaymentError('Forbidden', `agreement ${agreementId} has another requestor`)
    return { record, terms }
  }

  async #onAcceptance({ payload, signer }: Received<AcceptancePayload>): Promise<void> {
    const { record, terms } = this.#ownDocument(payload.documentId, payload.agreementId, signer)
    if (record.kind !== payload.documentKind) throw new PaymentError('BadRequest', `document ${payload.documentId} is not a ${payload.documentKind}`)
    const amount = BigInt(payload.totalAmountAccepted)
    if (amount !== amountOf(record)) throw new PaymentError('BadRequest', `the amount accepted is not the document's amount`)
    if (record.status === 'ACCEPTED' || record.status === 'SETTLED') return
    const probe = { ...record, status: 'ACCEPTED', accepted: { amount: amount.toString(), cumulative: '0' } } as StoredDocument
    const needed = this.#c.ledger.documents.acceptedTotal(payload.agreementId, 'Provider', probe)
    if (payload.proof === undefined) {
      if (needed > 0n) throw new PaymentError('Forbidden', `an acceptance of ${needed} base units needs its proof`)
    } else {
      const proof = proofOf(payload.proof)
      if (proof.kind === 'voucher') {
        if (terms.settlement.mode !== 'escrow') throw new PaymentError('BadRequest', `agreement ${payload.agreementId} is not settled by escrow`)
        if (proof.voucher.cumulative < needed) {
          throw new PaymentError('Forbidden', `the voucher covers ${proof.voucher.cumulative} base units; the agreement has accepted ${needed}`)
        }
        const verdict = await this.#c.settlement.provider.acceptVoucher(terms.settlement, proof.voucher)
        if (!verdict.ok) throw new PaymentError(verdict.code, `the voucher does not check: ${verdict.reason}`)
      } else if (terms.settlement.mode !== 'direct') {
        throw new PaymentError('BadRequest', `agreement ${payload.agreementId} is settled by escrow: an acceptance needs a voucher`)
      }
    }
    await this.#c.ledger.issuedAccepted(payload.documentId, amount)
    await this.#settledAlready(payload.agreementId)
    const timer = this.#acceptTimers.get(payload.documentId)
    if (timer !== undefined) this.#c.clock.clearTimeout(timer)
    this.#acceptTimers.delete(payload.documentId)
    if (record.kind === 'invoice' && terms.settlement.mode === 'escrow') {
      this.#c.settlement.provider.agreementEnded(payload.agreementId).catch(err => {
        this.#c.logger.warn({ err, agreementId: payload.agreementId }, 'payment: the claim at the agreement’s end did not go through; the claim policy retries')
      })
    }
  }

  /**
   * A document accepted after the chain already paid what it adds up to (its
   * voucher was claimed with an earlier note's, so no new claim reports it) is
   * SETTLED by the payment already known.
   */
  async #settledAlready(agreementId: string): Promise<void> {
    const { ledger } = this.#c
    const settled = ledger.settledTotal(agreementId, 'Provider')
    if (settled > 0n && settled >= ledger.documents.acceptedTotal(agreementId, 'Provider')) await ledger.settled(agreementId, 'Provider', settled)
  }

  async #onRejection({ payload, signer }: Received<RejectionPayload>): Promise<void> {
    const { record } = this.#ownDocument(payload.documentId, payload.agreementId, signer)
    if (record.kind !== payload.documentKind) throw new PaymentError('BadRequest', `document ${payload.documentId} is not a ${payload.documentKind}`)
    const { rejectionReason, totalAmountAccepted, message } = payload.rejection
    await this.#c.ledger.issuedRejected(payload.documentId, {
      rejectionReason,
      totalAmountAccepted: BigInt(totalAmountAccepted),
      ...(message === undefined ? {} : { message })
    })
  }

  async #onPayout({ payload, signer }: Received<PayoutPayload>): Promise<void> {
    const confirmation = payoutOf(payload)
    const agreementIds = new Set(confirmation.documents.map(d => d.agreementId))
    for (const agreementId of agreementIds) {
      const agreement = this.#c.agreement(agreementId)
      const terms = agreement === undefined ? undefined : termsOf(this.#c, agreement)
      if (terms === undefined) throw new PaymentError('NotFound', `agreement ${agreementId} has no payments here`)
      if (terms.settlement.requester !== signer.toLowerCase()) throw new PaymentError('Forbidden', `agreement ${agreementId} has another requestor`)
      const verdict = await this.#c.settlement.provider.verifyPayout(terms.settlement, confirmation)
      if (!verdict.ok) throw new PaymentError(verdict.code, `the payout does not check: ${verdict.reason}`)
    }
  }

  readonly #onSettled = (event: ProviderSettlementEvents['settled']): void => {
    const { agreementId, settled, txHash } = event.detail
    const agreement = this.#c.agreement(agreementId)
    const terms = agreement === undefined ? undefined : termsOf(this.#c, agreement)
    if (terms === undefined) return
    this.#c.ledger
      .settled(agreementId, 'Provider', settled, {
        txHash,
        payerId: terms.settlement.requester,
        payeeId: terms.settlement.provider,
        payerAddr: terms.payer,
        payeeAddr: terms.settlement.payee,
        paymentPlatform: terms.settlement.platform
      })
      .catch(err => {
        this.#c.logger.warn({ err, agreementId }, 'payment: a settlement could not be recorded')
      })
  }

  #parties(terms: PaymentTerms) {
    return {
      issuerId: terms.settlement.provider,
      recipientId: terms.settlement.requester,
      payeeAddr: terms.settlement.payee,
      payerAddr: terms.payer,
      paymentPlatform: terms.settlement.platform
    }
  }
}

export function newDocumentId(): string {
  return randomBytes(16).toString('hex')
}
