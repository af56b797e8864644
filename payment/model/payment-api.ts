// What the REST layer (Payment API v1, Agora's extras) and the CLI ask of the
// payment module. Every method validates its input before anything changes
// and throws a CodedError (BadRequest, NotFound, Conflict, Forbidden, Gone,
// Unavailable…) naming what was wrong.
import type {
  Account,
  Allocation,
  AllocationUpdate,
  DebitNote,
  DebitNoteEvent,
  DepositView,
  Invoice,
  InvoiceEvent,
  InvoiceMandate,
  IssuedEvent,
  NewAllocation,
  NewInvoiceMandate,
  Payment,
  PaymentRole,
  PaymentStatus,
  Rejection
} from './documents.ts'

export interface ListFilter {
  /** Only records strictly after this time (epoch ms). */
  readonly afterTimestamp?: number
  readonly maxItems?: number
}

export interface EventQuery {
  /** Only events strictly after this time (epoch ms). */
  readonly afterTimestamp?: number
  /** How long to wait for a first event when there is none yet (ms); 0 answers at once. */
  readonly timeoutMs: number
  readonly maxEvents: number
  /** Only events of agreements confirmed with this app session id. */
  readonly appSessionId?: string
  /** Ends the wait early (client gone, daemon stopping): answers what there is, possibly nothing. */
  readonly signal?: AbortSignal
}

export interface Acceptance {
  readonly totalAmountAccepted: bigint
  readonly allocationId: string
}

export interface DemandDecoration {
  readonly properties: Readonly<Record<string, string>>
  /** Single `(key<op>value)` terms, as golem-js re-parses them. */
  readonly constraints: readonly string[]
}

export interface ClaimOutcome {
  /** The deposits claimed in this call, and the transaction that claimed them (absent: nothing was worth claiming). */
  readonly depositIds: readonly string[]
  readonly txHash?: string
  readonly amount: bigint
}

export interface PaymentApi {
  // Allocations (requester)
  createAllocation(input: NewAllocation): Promise<Allocation>
  allocation(allocationId: string): Allocation
  allocations(filter?: ListFilter): Allocation[]
  amendAllocation(allocationId: string, update: AllocationUpdate): Promise<Allocation>
  releaseAllocation(allocationId: string): Promise<void>
  demandDecoration(allocationIds: readonly string[]): DemandDecoration

  // Documents (both sides see theirs; accept and reject are the requester's)
  debitNote(debitNoteId: string): DebitNote
  debitNotes(filter?: ListFilter): DebitNote[]
  debitNoteEvents(query: EventQuery): Promise<DebitNoteEvent[]>
  acceptDebitNote(debitNoteId: string, acceptance: Acceptance): Promise<void>
  rejectDebitNote(debitNoteId: string, rejection: Rejection): Promise<void>
  invoice(invoiceId: string): Invoice
  invoices(filter?: ListFilter): Invoice[]
  invoiceEvents(query: EventQuery): Promise<InvoiceEvent[]>
  acceptInvoice(invoiceId: string, acceptance: Acceptance): Promise<void>
  rejectInvoice(invoiceId: string, rejection: Rejection): Promise<void>
  /**
   * Hands the invoice of a terminated agreement to the daemon, for when no client is left to answer it: the
   * daemon accepts it if it asks at most `maxAmount`, and rejects it otherwise (Agora's).
   */
  createInvoiceMandate(input: NewInvoiceMandate): Promise<InvoiceMandate>
  invoiceMandate(agreementId: string): InvoiceMandate
  invoiceMandates(): InvoiceMandate[]
  /** The debit notes and invoices this node issues, as they are issued (Agora's: the Golem events tell the issuer only of answers). */
  issuedEvents(query: EventQuery): Promise<IssuedEvent[]>

  // Payments and accounts
  payments(filter?: ListFilter & { readonly role?: PaymentRole }): Payment[]
  payment(paymentId: string): Payment
  paymentsOfDebitNote(debitNoteId: string): Payment[]
  paymentsOfInvoice(invoiceId: string): Payment[]
  accounts(role: PaymentRole): Account[]
  status(query: { readonly platform?: string; readonly address?: string }): Promise<PaymentStatus>

  // Agora's extras (CLI: agora payment deposits|claim|fund)
  deposits(): Promise<DepositView[]>
  /** Claims every verified voucher worth claiming now (`all`: every unclaimed one, whatever the gas). */
  claim(options: { readonly depositIds?: readonly string[]; readonly all?: boolean }): Promise<ClaimOutcome>
  /** Mints test tokens and sends gas to this node's address on a network whose config allows a faucet. */
  fund(options: { readonly platform?: string }): Promise<{ readonly token: bigint; readonly gas: bigint; readonly txHashes: readonly string[] }>
}
