// The payment module's records as the code uses them: amounts are bigint base
// units of the platform's token, times are epoch milliseconds, node ids and
// addresses are lower-case 0x hex. The REST layer turns them into the Payment
// API's shapes (decimal strings, RFC 3339 dates) and back.

/** The Payment API's document states (its InvoiceStatus). */
export type DocumentStatus = 'ISSUED' | 'RECEIVED' | 'ACCEPTED' | 'REJECTED' | 'FAILED' | 'SETTLED' | 'CANCELLED'

/** Why a requester refuses a document (the Payment API's RejectionReason). */
export type RejectionReason = 'UNSOLICITED_SERVICE' | 'BAD_SERVICE' | 'INCORRECT_AMOUNT'

/** Which side of the agreement this node is for a document. */
export type PaymentRole = 'Requestor' | 'Provider'

/** How an agreement's accepted amounts reach the provider. */
export type SettlementMode = 'escrow' | 'direct'

export interface Rejection {
  readonly rejectionReason: RejectionReason
  /** What the requester would accept instead (0 when nothing). */
  readonly totalAmountAccepted: bigint
  readonly message?: string
}

interface DocumentCommon {
  readonly role: PaymentRole
  /** The provider's node id. */
  readonly issuerId: string
  /** The requester's node id. */
  readonly recipientId: string
  readonly payeeAddr: string
  readonly payerAddr: string
  /** The canonical platform name, `erc20-<network>-<token>`. */
  readonly paymentPlatform: string
  readonly agreementId: string
  /** When the issuer issued it. */
  readonly timestamp: number
  readonly status: DocumentStatus
  /** The requester's reason, while REJECTED. */
  readonly rejection?: Rejection
}

export interface DebitNote extends DocumentCommon {
  readonly debitNoteId: string
  readonly previousDebitNoteId?: string
  readonly activityId: string
  /** Cumulative: everything the activity cost from its start up to this note. */
  readonly totalAmountDue: bigint
  /** The usage counters priced, in `golem.com.usage.vector` order. */
  readonly usageCounterVector: readonly number[]
  /** Present on a payable debit note: paid mid-agreement by then. */
  readonly paymentDueDate?: number
}

export interface Invoice extends DocumentCommon {
  readonly invoiceId: string
  readonly activityIds: readonly string[]
  /** The agreement's total: never below what was accepted before it. */
  readonly amount: bigint
  readonly paymentDueDate: number
}

export type DebitNoteEventType =
  | 'DebitNoteReceivedEvent'
  | 'DebitNoteAcceptedEvent'
  | 'DebitNoteRejectedEvent'
  | 'DebitNoteCancelledEvent'
  | 'DebitNoteSettledEvent'
  | 'DebitNoteFailedEvent'

export type InvoiceEventType =
  | 'InvoiceReceivedEvent'
  | 'InvoiceAcceptedEvent'
  | 'InvoiceRejectedEvent'
  | 'InvoiceCancelledEvent'
  | 'InvoiceSettledEvent'
  | 'InvoiceFailedEvent'

export interface DebitNoteEvent {
  readonly eventType: DebitNoteEventType
  /** Strictly increasing per node: a long poll's `afterTimestamp` resumes after it. */
  readonly eventDate: number
  readonly debitNoteId: string
  /** The agreement's app session (given at confirmation), for filtering. */
  readonly appSessionId?: string
  readonly rejection?: Rejection
}

export interface InvoiceEvent {
  readonly eventType: InvoiceEventType
  readonly eventDate: number
  readonly invoiceId: string
  readonly appSessionId?: string
  readonly rejection?: Rejection
}

/** A debit note or invoice this node issued (Agora's own event: the Golem payment events tell an issuer only of the answers). */
export type IssuedEvent = {
  /** Strictly increasing per node: a long poll's `afterTimestamp` resumes after it. */
  readonly eventDate: number
  readonly agreementId: string
  readonly appSessionId?: string
} & ({ readonly eventType: 'DebitNoteIssuedEvent'; readonly debitNoteId: string } | { readonly eventType: 'InvoiceIssuedEvent'; readonly invoiceId: string })

export interface Allocation {
  readonly allocationId: string
  /** The payer's address (this node's). */
  readonly address: string
  readonly paymentPlatform: string
  readonly totalAmount: bigint
  /** Everything accepted against it. */
  readonly spentAmount: bigint
  /** totalAmount − spentAmount. */
  readonly remainingAmount: bigint
  readonly timestamp: number
  /** When it is released by itself (absent: when the daemon's default says). */
  readonly timeout?: number
  readonly makeDeposit: boolean
}

export interface NewAllocation {
  readonly totalAmount: bigint
  /** A platform name or alias; the daemon's default platform when absent. */
  readonly paymentPlatform?: string
  /** Must be this node's address when given. */
  readonly address?: string
  readonly timeout?: number
  readonly makeDeposit?: boolean
}

export interface AllocationUpdate {
  readonly totalAmount?: bigint
  readonly timeout?: number
}

/**
 * A requester's standing answer to the invoice of one terminated agreement,
 * for when no client is left to answer it: the daemon accepts an invoice of
 * at most `maxAmount` (and rejects a larger one) from an allocation of its
 * own, carved out of the client's so that releasing that one keeps the money
 * the invoice may still need.
 */
export interface InvoiceMandate {
  readonly agreementId: string
  /** The most the invoice may ask (cumulative for the agreement, base units). */
  readonly maxAmount: bigint
  /** The allocation made for it, which the acceptance spends from; released once the invoice is answered. */
  readonly allocationId: string
  /** The client's allocation it was carved out of. */
  readonly sourceAllocationId: string
  readonly createdAt: number
  /** After this the invoice is left RECEIVED for a client again (epoch ms); the mandate's allocation times out with it. */
  readonly expiresAt: number
  /** How its invoice was answered, once it was. */
  readonly outcome?: { readonly invoiceId: string; readonly answer: 'accepted' | 'rejected'; readonly at: number }
}

export interface NewInvoiceMandate {
  readonly agreementId: string
  readonly maxAmount: bigint
  /** The live allocation the invoice would have been accepted from. */
  readonly allocationId: string
  /** Default: the daemon's allocation timeout from now. */
  readonly expiresAt?: number
}

/** One transfer of value that settled documents: a payout batch transaction or an escrow claim. */
export interface Payment {
  readonly paymentId: string
  readonly payerId: string
  readonly payeeId: string
  readonly payerAddr: string
  readonly payeeAddr: string
  readonly paymentPlatform: string
  readonly amount: bigint
  readonly timestamp: number
  readonly agreementPayments: readonly { readonly agreementId: string; readonly amount: bigint }[]
  readonly activityPayments: readonly { readonly activityId: string; readonly amount: bigint }[]
  /** The transaction hash on chain. */
  readonly details: string
}

/** One payment platform this node can pay with or be paid on (the Payment API's Account). */
export interface Account {
  readonly platform: string
  readonly address: string
  readonly driver: 'erc20'
  readonly network: string
  readonly token: string
  readonly send: boolean
  readonly receive: boolean
}

/** The Payment API's /payments/status for one platform and address. */
export interface PaymentStatus {
  readonly amount: bigint
  readonly reserved: bigint
  readonly outgoing: { readonly accepted: bigint; readonly confirmed: bigint; readonly requested: bigint }
  readonly incoming: { readonly accepted: bigint; readonly confirmed: bigint; readonly requested: bigint }
  readonly driver: 'erc20'
  readonly network: string
  readonly token: string
  /** The token balance on chain, and the gas balance (native coin). */
  readonly tokenBalance: bigint
  readonly gasBalance: bigint
}

/** An escrow deposit as either side sees it. */
export interface DepositView {
  readonly depositId: string
  readonly role: PaymentRole
  readonly requester: string
  readonly provider: string
  readonly token: string
  readonly paymentPlatform: string
  readonly agreementIds: readonly string[]
  /** On chain: locked amount, claimed so far, deadline (epoch ms). */
  readonly amount: bigint
  readonly claimed: bigint
  readonly deadline: number
  /** The highest cumulative voucher signed (requester) or received and verified (provider). */
  readonly voucherCumulative: bigint
  /**
   * The requester's: whether what the deposit still holds goes back to it —
   * not yet (the agreement is not done), at the deadline (done: reclaimed once
   * the provider can no longer claim), or done.
   */
  readonly reclaim?: DepositReclaim
}

export type DepositReclaim = 'not-yet' | 'at-deadline' | 'done'
