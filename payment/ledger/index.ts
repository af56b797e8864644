// The payment ledger: allocations, debit notes and invoices of both roles, their events.
export { Ledger } from './ledger.ts'
export type { LedgerComponents, NewAllocationRecord, NewMandateRecord, AcceptOutcome, Commit } from './ledger.ts'
export {
  debitNoteOf,
  invoiceOf,
  allocationOf,
  amountOf,
  documentIdOf,
  debitNoteWire,
  invoiceWire,
  rejectionOf,
  rejectionWire,
  DebitNoteWire,
  InvoiceWire,
  RejectionWire,
  BaseUnits
} from './records.ts'
export type { StoredDocument, StoredDebitNote, StoredInvoice, StoredAllocation } from './records.ts'
export type { PaymentSource } from './payment-records.ts'
