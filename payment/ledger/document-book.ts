// Debit notes and invoices of both roles, and the sums the payment rules are
// made of: a debit note's amount is cumulative per activity, an invoice's per
// agreement, and what an agreement has accepted is the larger of its accepted
// invoice and the sum over its activities of their latest accepted debit note.
// Settlement is always driven by that cumulative, so a later document only pays
// its excess over what the earlier ones accepted.
import { PaymentError } from '../model/payment-error.ts'
import type { DebitNote, Invoice, PaymentRole } from '../model/documents.ts'
import { debitNoteOf, documentIdOf, invoiceOf } from './records.ts'
import type { StoredDebitNote, StoredDocument, StoredInvoice } from './records.ts'

const ACCEPTED = new Set(['ACCEPTED', 'SETTLED'])

export class DocumentBook {
  readonly #records = new Map<string, StoredDocument>()

  put(record: StoredDocument): void {
    this.#records.set(documentIdOf(record), record)
  }

  find(documentId: string): StoredDocument | undefined {
    return this.#records.get(documentId)
  }

  debitNoteRecord(debitNoteId: string): StoredDebitNote {
    const record = this.#records.get(debitNoteId)
    if (record?.kind !== 'debit-note') throw new PaymentError('NotFound', `no debit note ${debitNoteId}`)
    return record
  }

  invoiceRecord(invoiceId: string): StoredInvoice {
    const record = this.#records.get(invoiceId)
    if (record?.kind !== 'invoice') throw new PaymentError('NotFound', `no invoice ${invoiceId}`)
    return record
  }

  debitNotes(filter: { afterTimestamp?: number | undefined; maxItems?: number | undefined } = {}): DebitNote[] {
    return this.#list('debit-note', filter).map(r => debitNoteOf(r as StoredDebitNote))
  }

  invoices(filter: { afterTimestamp?: number | undefined; maxItems?: number | undefined } = {}): Invoice[] {
    return this.#list('invoice', filter).map(r => invoiceOf(r as StoredInvoice))
  }

  ofAgreement(agreementId: string, role: PaymentRole): StoredDocument[] {
    return [...this.#records.values()].filter(r => r.role === role && r.document.agreementId === agreementId)
  }

  all(): StoredDocument[] {
    return [...this.#records.values()]
  }

  invoiceOfAgreement(agreementId: string, role: PaymentRole): StoredInvoice | undefined {
    return this.ofAgreement(agreementId, role).find(r => r.kind === 'invoice') as StoredInvoice | undefined
  }

  /** The agreement's cumulative accepted total (see the file's head); with `instead`, as if that record replaced its stored copy. */
  acceptedTotal(agreementId: string, role: PaymentRole, instead?: StoredDocument): bigint {
    const replaced = instead === undefined ? undefined : documentIdOf(instead)
    const documents = this.ofAgreement(agreementId, role).filter(r => documentIdOf(r) !== replaced)
    if (instead !== undefined) documents.push(instead)
    let invoice = 0n
    const perActivity = new Map<string, bigint>()
    for (const record of documents) {
      if (!ACCEPTED.has(record.status) || record.accepted === undefined) continue
      const amount = BigInt(record.accepted.amount)
      if (record.kind === 'invoice') invoice = amount > invoice ? amount : invoice
      else {
        const previous = perActivity.get(record.document.activityId) ?? 0n
        if (amount > previous) perActivity.set(record.document.activityId, amount)
      }
    }
    let debitNotes = 0n
    for (const amount of perActivity.values()) debitNotes += amount
    return invoice > debitNotes ? invoice : debitNotes
  }

  /** The highest amount issued for `activityId` so far (the provider's cumulative per activity). */
  lastDebitNote(agreementId: string, activityId: string, role: PaymentRole): StoredDebitNote | undefined {
    let last: StoredDebitNote | undefined
    for (const record of this.ofAgreement(agreementId, role)) {
      if (record.kind !== 'debit-note' || record.document.activityId !== activityId) continue
      if (last === undefined || record.document.timestamp >= last.document.timestamp) last = record
    }
    return last
  }

  /** Every document of this role whose amount, once accepted, left the agreement at or below `settled`. */
  settledBy(agreementId: string, role: PaymentRole, settled: bigint): StoredDocument[] {
    return this.ofAgreement(agreementId, role).filter(r => r.status === 'ACCEPTED' && r.accepted !== undefined && BigInt(r.accepted.cumulative) <= settled)
  }

  #list(kind: StoredDocument['kind'], filter: { afterTimestamp?: number | undefined; maxItems?: number | undefined }): StoredDocument[] {
    const after = filter.afterTimestamp ?? Number.NEGATIVE_INFINITY
    return [...this.#records.values()]
      .filter(r => r.kind === kind && r.document.timestamp > after)
      .sort((a, b) => a.document.timestamp - b.document.timestamp)
      .slice(0, filter.maxItems ?? Number.POSITIVE_INFINITY)
  }
}
