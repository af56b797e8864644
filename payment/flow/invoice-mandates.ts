// The requester's standing answers to invoices that come when no client is
// left to answer them (its SDK released the agreement and went away): a
// client hands the daemon the most it would accept for a terminated
// agreement, and the daemon answers the invoice when it arrives, or at once
// when it is here already: accepted from the mandate's own allocation when it
// asks no more, rejected (INCORRECT_AMOUNT, naming what would be accepted)
// when it asks more. Mandates and their allocations are on disk; at a start,
// an invoice received but not answered is answered then.
import { randomBytes } from 'node:crypto'
import { maxAmount } from '../model/amounts.ts'
import { PaymentError } from '../model/payment-error.ts'
import type { InvoiceMandate, NewInvoiceMandate, Rejection } from '../model/documents.ts'
import type { Acceptance } from '../model/payment-api.ts'
import { amountOf } from '../ledger/index.ts'
import type { Ledger } from '../ledger/index.ts'
import type { Clock, Logger } from '../../net/index.ts'
import type { PaymentAgreement, PaymentTerms } from './payment-terms.ts'

export interface InvoiceMandateParts {
  readonly ledger: Ledger
  readonly clock: Clock
  readonly logger: Logger
  readonly agreement: (agreementId: string) => PaymentAgreement | undefined
  readonly terms: (agreement: PaymentAgreement) => PaymentTerms | undefined
  /** How long a mandate stands when its client names no end (ms). */
  readonly defaultLifetimeMs: number
  /** The requester's own answers (the same as a client's). */
  readonly accept: (invoiceId: string, acceptance: Acceptance) => Promise<void>
  readonly reject: (invoiceId: string, rejection: Rejection) => Promise<void>
}

export class InvoiceMandates {
  readonly #p: InvoiceMandateParts
  /** Agreements whose invoice is being answered: one answer at a time. */
  readonly #answering = new Set<string>()
  readonly #again = new Set<string>()

  constructor(parts: InvoiceMandateParts) {
    this.#p = parts
  }

  async create(input: NewInvoiceMandate): Promise<InvoiceMandate> {
    const { ledger, clock } = this.#p
    const agreement = this.#p.agreement(input.agreementId)
    if (agreement === undefined || agreement.role !== 'Requestor') throw new PaymentError('NotFound', `no agreement ${input.agreementId} of this requestor`)
    const terms = this.#p.terms(agreement)
    if (terms === undefined) throw new PaymentError('Conflict', `agreement ${input.agreementId} has no payments on this node`)
    if (agreement.state !== 'Terminated') {
      throw new PaymentError(
        'Conflict',
        `agreement ${input.agreementId} is ${agreement.state}: a mandate answers the invoice of a terminated agreement only, whose usage can no longer grow`
      )
    }
    if (input.maxAmount < 0n) throw new PaymentError('BadRequest', 'maxAmount must not be negative')
    const now = clock.now()
    const expiresAt = input.expiresAt ?? now + this.#p.defaultLifetimeMs
    if (!Number.isSafeInteger(expiresAt) || expiresAt <= now) throw new PaymentError('BadRequest', 'expiresAt must be a time in the future')
    const { mandate } = await ledger.createMandate({
      agreementId: input.agreementId,
      maxAmount: input.maxAmount,
      allocationId: randomBytes(16).toString('hex'),
      sourceAllocationId: input.allocationId,
      paymentPlatform: terms.settlement.platform,
      expiresAt
    })
    // The invoice may be here already, unanswered.
    await this.answer(input.agreementId)
    return ledger.mandate(input.agreementId) ?? mandate
  }

  get(agreementId: string): InvoiceMandate {
    const mandate = this.#p.ledger.mandate(agreementId)
    if (mandate === undefined) throw new PaymentError('NotFound', `no invoice mandate for agreement ${agreementId}`)
    return mandate
  }

  list(): InvoiceMandate[] {
    return this.#p.ledger.mandates()
  }

  /** Answers, after a start, the invoices received and left unanswered under a standing mandate. */
  answerWaiting(): void {
    for (const mandate of this.#p.ledger.mandates()) if (mandate.outcome === undefined) void this.answer(mandate.agreementId)
  }

  /**
   * Answers the agreement's invoice if a standing mandate covers it and it is
   * still RECEIVED. Never throws: a failure is logged and the invoice waits
   * for a client (or the next start).
   */
  async answer(agreementId: string): Promise<void> {
    // A call while one runs is run again after it: the invoice may have come after the running one looked.
    if (this.#answering.has(agreementId)) {
      this.#again.add(agreementId)
      return
    }
    this.#answering.add(agreementId)
    try {
      do {
        this.#again.delete(agreementId)
        try {
          await this.#answer(agreementId)
        } catch (err) {
          this.#p.logger.warn({ err, agreementId }, 'payment: an invoice under a mandate could not be answered; it waits for a client or the next start')
        }
      } while (this.#again.has(agreementId))
    } finally {
      this.#answering.delete(agreementId)
    }
  }

  async #answer(agreementId: string): Promise<void> {
    const { ledger, clock } = this.#p
    const mandate = ledger.mandate(agreementId)
    if (mandate === undefined || mandate.outcome !== undefined || mandate.expiresAt <= clock.now()) return
    const invoice = ledger.documents.invoiceOfAgreement(agreementId, 'Requestor')
    if (invoice === undefined) return
    const invoiceId = invoice.document.invoiceId
    if (invoice.accepted?.allocationId === mandate.allocationId) {
      // Accepted under the mandate, and a stop came before that was recorded.
      await ledger.mandateAnswered(agreementId, invoiceId, 'accepted')
      if (invoice.accepted.sent === true) await this.#releaseRest(mandate)
      return
    }
    if (invoice.status !== 'RECEIVED') return
    const amount = amountOf(invoice)
    if (amount <= mandate.maxAmount) {
      try {
        await this.#p.accept(invoiceId, { totalAmountAccepted: amount, allocationId: mandate.allocationId })
      } catch (err) {
        // Written but not yet sent (the settlement could not make its proof): it is sent later, from this allocation.
        if (ledger.documents.find(invoiceId)?.status !== 'ACCEPTED') throw err
        this.#p.logger.warn({ err, agreementId, invoiceId }, 'payment: an invoice accepted under its mandate is sent once the settlement can make its proof')
        await ledger.mandateAnswered(agreementId, invoiceId, 'accepted')
        return
      }
      await ledger.mandateAnswered(agreementId, invoiceId, 'accepted')
    } else {
      // Never less than what debit notes accepted after the mandate was made already owe.
      const acceptable = maxAmount(mandate.maxAmount, ledger.documents.acceptedTotal(agreementId, 'Requestor'))
      await this.#p.reject(invoiceId, {
        rejectionReason: 'INCORRECT_AMOUNT',
        totalAmountAccepted: acceptable,
        message: `invoice ${invoiceId} asks ${amount} base units; the requester's mandate for agreement ${agreementId} accepts at most ${acceptable}`
      })
      await ledger.mandateAnswered(agreementId, invoiceId, 'rejected')
    }
    await this.#releaseRest(mandate)
  }

  /** What the answer left of the mandate's allocation is free again. */
  async #releaseRest(mandate: InvoiceMandate): Promise<void> {
    await this.#p.ledger.releaseAllocation(mandate.allocationId).catch((err: unknown) => {
      this.#p.logger.warn({ err, allocationId: mandate.allocationId }, 'payment: a mandate’s allocation could not be released; it is at its timeout')
    })
  }
}
