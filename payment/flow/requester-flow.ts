// The requester's side: documents received from an agreement's provider are
// stored RECEIVED (with their event); accepting one writes the acceptance
// (and what its allocation spends) first, then has the settlement make the
// proof over the agreement's new cumulative (kept by the settlement before it
// answers), then sends it — marked sent in the same batch as the message. A
// restart between any two steps redoes only the steps after the last one on
// disk, so the provider is told once and paid once.
import type { TimerHandle } from '../../net/index.ts'
import { PaymentError } from '../model/payment-error.ts'
import type { Rejection } from '../model/documents.ts'
import type { Acceptance } from '../model/payment-api.ts'
import { amountOf, documentIdOf, rejectionWire } from '../ledger/index.ts'
import type { DebitNoteWire, InvoiceWire, StoredDocument } from '../ledger/index.ts'
import { PAYMENT_MESSAGES, payoutWire, proofWire } from '../protocol/index.ts'
import type { Received } from '../protocol/index.ts'
import type { RequesterSettlementEvents, SettlementProof } from '../settlement/settlement.ts'
import { termsOf } from './flow-parts.ts'
import { InvoiceMandates } from './invoice-mandates.ts'
import type { FlowComponents } from './flow-parts.ts'
import type { PaymentAgreement, PaymentTerms } from './payment-terms.ts'

export interface RequesterFlowComponents extends FlowComponents {
  /** How often acceptances written but not yet sent are tried again (ms). */
  readonly resendIntervalMs: number
  /** How long an invoice mandate stands when its client names no end (ms). */
  readonly mandateLifetimeMs: number
}

export class RequesterFlow {
  readonly #c: RequesterFlowComponents
  /** Invoices answered for clients that are gone. */
  readonly mandates: InvoiceMandates
  /** Agreements whose settlement was readied by this process (prepare is safe to repeat, but costs a chain read). */
  readonly #prepared = new Set<string>()
  #resend: TimerHandle | undefined
  #stopped = false

  constructor(components: RequesterFlowComponents) {
    this.#c = components
    this.mandates = new InvoiceMandates({
      ledger: components.ledger,
      clock: components.clock,
      logger: components.logger,
      agreement: components.agreement,
      terms: agreement => termsOf(components, agreement),
      defaultLifetimeMs: components.mandateLifetimeMs,
      accept: async (invoiceId, acceptance) => await this.accept(invoiceId, 'invoice', acceptance),
      reject: async (invoiceId, rejection) => await this.reject(invoiceId, 'invoice', rejection)
    })
    components.outbox.handle(PAYMENT_MESSAGES.debitNote, async message => {
      await this.#receive(message, 'debit-note')
    })
    components.outbox.handle(PAYMENT_MESSAGES.invoice, async message => {
      await this.#receive(message, 'invoice')
    })
  }

  /** Sends what a crash left written but unsent, then keeps trying those that fail; finishes agreements a crash left done but not finished. */
  start(): void {
    this.#c.settlement.requester.addEventListener('paid', this.#onPaid)
    this.#c.settlement.requester.addEventListener('claimed', this.#onClaimed)
    this.#scheduleResend(0)
    for (const record of this.#c.ledger.documents.all()) {
      if (record.role === 'Requestor' && record.kind === 'invoice' && record.accepted?.sent === true) void this.#finish(record.document.agreementId)
    }
    this.mandates.answerWaiting()
  }

  /** The market reports a change of one of this node's agreements as requester: one that ended with nothing owed is done. */
  agreementChanged(agreement: PaymentAgreement): void {
    if (this.#stopped || agreement.role !== 'Requestor' || agreement.state !== 'Terminated') return
    if (this.#c.ledger.documents.acceptedTotal(agreement.agreementId, 'Requestor') === 0n) void this.#finish(agreement.agreementId)
  }

  /** The agreement is done: what its deposit still holds is reclaimed after the deadline (the provider can no longer claim then). */
  #finish(agreementId: string): Promise<void> {
    return this.#c.settlement.requester.finish(agreementId).catch(err => {
      this.#c.logger.warn({ err, agreementId }, 'payment: the deposit could not be marked for its reclaim; tried again at the next start')
    })
  }

  stop(): void {
    this.#stopped = true
    this.#c.settlement.requester.removeEventListener('paid', this.#onPaid)
    this.#c.settlement.requester.removeEventListener('claimed', this.#onClaimed)
    if (this.#resend !== undefined) this.#c.clock.clearTimeout(this.#resend)
  }

  async accept(documentId: string, kind: StoredDocument['kind'], acceptance: Acceptance): Promise<void> {
    // Checked before anything is written: an acceptance that could never be settled is not taken.
    this.#terms(this.#kindOf(documentId, kind))
    const outcome = await this.#c.ledger.accept(documentId, acceptance.totalAmountAccepted, acceptance.allocationId)
    if (!outcome.changed && outcome.record.accepted?.sent === true) return
    try {
      await this.#settleAndSend(outcome.record)
    } catch (err) {
      // The acceptance stands (it is on disk): it is sent once the settlement can make its proof.
      if (this.#resend === undefined) this.#scheduleResend(this.#c.resendIntervalMs)
      throw err
    }
  }

  async reject(documentId: string, kind: StoredDocument['kind'], rejection: Rejection): Promise<void> {
    const record = this.#kindOf(documentId, kind)
    if (rejection.totalAmountAccepted > amountOf(record)) {
      throw new PaymentError('BadRequest', `totalAmountAccepted of a rejection cannot be above the document's amount, ${amountOf(record)} base units`)
    }
    const terms = this.#terms(record)
    await this.#c.ledger.reject(documentId, rejection, async ops => {
      await this.#c.outbox.send(
        terms.settlement.provider,
        PAYMENT_MESSAGES.rejection,
        { documentKind: record.kind, documentId, agreementId: record.document.agreementId, rejection: rejectionWire(rejection) },
        ops
      )
    })
  }

  #kindOf(documentId: string, kind: StoredDocument['kind']): StoredDocument {
    const record = this.#c.ledger.documents.find(documentId)
    if (record === undefined || record.kind !== kind) throw new PaymentError('NotFound', `no ${kind === 'invoice' ? 'invoice' : 'debit note'} ${documentId}`)
    if (record.role !== 'Requestor')
      throw new PaymentError('Forbidden', `${kind} ${documentId} was issued by this node: only its recipient accepts or rejects it`)
    return record
  }

  #terms(record: StoredDocument): PaymentTerms {
    const agreement = this.#c.agreement(record.document.agreementId)
    const terms = agreement === undefined ? undefined : termsOf(this.#c, agreement)
    if (terms === undefined) throw new PaymentError('Conflict', `agreement ${record.document.agreementId} has no payments on this node`)
    return terms
  }

  async #settleAndSend(record: StoredDocument): Promise<void> {
    const accepted = record.accepted
    if (accepted === undefined) return
    const terms = this.#terms(record)
    const agreementId = record.document.agreementId
    const cumulative = BigInt(accepted.cumulative)
    const { settlement, ledger, outbox } = this.#c
    let proof: SettlementProof | undefined
    if (cumulative > 0n) {
      const room = (): bigint => this.#roomFor(accepted.allocationId, agreementId)
      if (!this.#prepared.has(agreementId)) {
        // Half of the allocation's free budget: later acceptances sign vouchers without topping up, and agreements opened after this one under the same allocation still find budget.
        await settlement.requester.prepare(terms.settlement, cumulative + room() / 2n)
        this.#prepared.add(agreementId)
      }
      proof = await settlement.requester.settleAccepted(terms.settlement, documentIdOf(record), cumulative, room)
    }
    await ledger.markSent(documentIdOf(record), async ops => {
      await outbox.send(
        terms.settlement.provider,
        PAYMENT_MESSAGES.acceptance,
        {
          documentKind: record.kind,
          documentId: documentIdOf(record),
          agreementId,
          totalAmountAccepted: accepted.amount,
          ...(proof === undefined ? {} : { proof: proofWire(proof) })
        },
        ops
      )
    })
    // Accepted after the chain showed the provider claimed what it brings the agreement to: SETTLED by that claim.
    const settled = ledger.settledTotal(agreementId, 'Requestor')
    if (settled > 0n && settled >= cumulative) await ledger.settled(agreementId, 'Requestor', settled)
    if (record.kind === 'invoice') await this.#finish(agreementId)
  }

  /**
   * What of `allocationId`'s remaining budget no other live deposit holds
   * beyond its vouchers (that part is owed to no one yet, but already locked
   * for its agreement's next notes): what this agreement's deposit may lock.
   */
  #roomFor(allocationId: string | undefined, agreementId: string): bigint {
    const { ledger, settlement } = this.#c
    if (allocationId === undefined) return 0n
    let remaining: bigint
    try {
      remaining = ledger.allocations.get(allocationId).remainingAmount
    } catch {
      // Released since: the deposit covers what was accepted.
      return 0n
    }
    const others = new Set<string>()
    for (const record of ledger.documents.all()) {
      if (record.role === 'Requestor' && record.accepted?.allocationId === allocationId && record.document.agreementId !== agreementId)
        others.add(record.document.agreementId)
    }
    for (const other of others) {
      const held = settlement.requester.held(other)
      if (held !== undefined && !held.finished && held.amount > held.vouchered) remaining -= held.amount - held.vouchered
    }
    return remaining > 0n ? remaining : 0n
  }

  #scheduleResend(delayMs: number): void {
    if (this.#stopped) return
    this.#resend = this.#c.clock.setTimeout(() => {
      this.#resend = undefined
      void this.#resendUnsent().finally(() => {
        if (this.#c.ledger.unsent().length > 0) this.#scheduleResend(this.#c.resendIntervalMs)
      })
    }, delayMs)
  }

  async #resendUnsent(): Promise<void> {
    for (const record of this.#c.ledger.unsent()) {
      if (this.#stopped) return
      try {
        await this.#settleAndSend(record)
      } catch (err) {
        this.#c.logger.warn({ err, documentId: documentIdOf(record) }, 'payment: an acceptance could not be sent yet; trying again later')
      }
    }
  }

  async #receive({ payload, signer }: Received<DebitNoteWire | InvoiceWire>, kind: StoredDocument['kind']): Promise<void> {
    const agreement = this.#c.agreement(payload.agreementId)
    if (agreement === undefined || agreement.role !== 'Requestor') throw new PaymentError('NotFound', `no agreement ${payload.agreementId} with this requestor`)
    const terms = termsOf(this.#c, agreement)
    if (terms === undefined) throw new PaymentError('Conflict', `agreement ${payload.agreementId} has no payments on this node`)
    const { settlement } = terms
    if (signer !== settlement.provider) throw new PaymentError('Forbidden', `agreement ${payload.agreementId} has another provider`)
    const mismatch =
      payload.issuerId !== settlement.provider
        ? 'issuerId'
        : payload.recipientId !== settlement.requester
          ? 'recipientId'
          : payload.payeeAddr !== settlement.payee
            ? 'payeeAddr'
            : payload.payerAddr !== terms.payer
              ? 'payerAddr'
              : payload.paymentPlatform !== settlement.platform
                ? 'paymentPlatform'
                : undefined
    if (mismatch !== undefined) throw new PaymentError('BadRequest', `the document's ${mismatch} is not the agreement's`)
    const record = (
      kind === 'invoice'
        ? { kind, role: 'Requestor', status: 'RECEIVED', document: payload as InvoiceWire }
        : { kind, role: 'Requestor', status: 'RECEIVED', document: payload as DebitNoteWire }
    ) as StoredDocument
    const received = await this.#c.ledger.receive(record)
    if (received && kind === 'invoice' && !this.#stopped) void this.mandates.answer(payload.agreementId)
  }

  /** The chain shows the provider claimed the agreement's deposit up to `claimed`: the documents it covers are SETTLED here. */
  readonly #onClaimed = (event: RequesterSettlementEvents['claimed']): void => {
    const { agreementId, claimed } = event.detail
    this.#c.ledger.settled(agreementId, 'Requestor', claimed).catch(err => {
      this.#c.logger.warn({ err, agreementId }, 'payment: a claim seen on chain could not be recorded')
    })
  }

  readonly #onPaid = (event: RequesterSettlementEvents['paid']): void => {
    const confirmation = event.detail
    const byProvider = new Map<string, { agreementIds: Set<string> }>()
    for (const document of confirmation.documents) {
      const agreement = this.#c.agreement(document.agreementId)
      if (agreement === undefined) continue
      const entry = byProvider.get(agreement.providerId.toLowerCase()) ?? { agreementIds: new Set<string>() }
      entry.agreementIds.add(document.agreementId)
      byProvider.set(agreement.providerId.toLowerCase(), entry)
    }
    // A confirmation that cannot travel is a fault here, not the provider's: said loudly, the payment itself is on chain.
    void (async () => {
      for (const [provider, { agreementIds }] of byProvider) {
        const documents = confirmation.documents.filter(d => agreementIds.has(d.agreementId))
        await this.#c.outbox.send(provider, PAYMENT_MESSAGES.payout, payoutWire({ ...confirmation, documents }))
        for (const agreementId of agreementIds) {
          const paidUpTo = documents
            .filter(d => d.agreementId === agreementId)
            .map(d => this.#c.ledger.documents.find(d.documentId)?.accepted?.cumulative)
            .reduce((max: bigint, c) => (c !== undefined && BigInt(c) > max ? BigInt(c) : max), 0n)
          // The payout's transaction is this side's payment record too (GET /payments, /invoices/{id}/payments), as on the provider's.
          const agreement = this.#c.agreement(agreementId)
          const terms = agreement === undefined ? undefined : termsOf(this.#c, agreement)
          await this.#c.ledger.settled(
            agreementId,
            'Requestor',
            paidUpTo,
            terms === undefined
              ? undefined
              : {
                  txHash: confirmation.txHash,
                  payerId: terms.settlement.requester,
                  payeeId: terms.settlement.provider,
                  payerAddr: confirmation.payer,
                  payeeAddr: confirmation.payee,
                  paymentPlatform: terms.settlement.platform
                }
          )
        }
      }
    })().catch(err => {
      this.#c.logger.error({ err }, 'payment: a payout confirmation could not be queued for its provider')
    })
  }
}
