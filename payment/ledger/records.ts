// The ledger's records as they are stored and as they travel: JSON with token
// amounts as decimal strings of base units (bigint inside), checked by schema
// when loaded and when received.
import Type from 'typebox'
import type { Static } from 'typebox'
import { validator } from '../../net/index.ts'
import type { Allocation, DebitNote, DocumentStatus, Invoice, PaymentRole, Rejection } from '../model/documents.ts'

export const BaseUnits = Type.String({ pattern: '^(0|[1-9][0-9]{0,77})$' })
export const Id = Type.String({ pattern: '^[A-Za-z0-9_-]{1,128}$' })
const Address = Type.String({ pattern: '^0x[0-9a-f]{40}$' })
export const Time = Type.Integer({ minimum: 0 })
const Platform = Type.String({ minLength: 1, maxLength: 128 })
const Status = Type.Union([
  Type.Literal('ISSUED'),
  Type.Literal('RECEIVED'),
  Type.Literal('ACCEPTED'),
  Type.Literal('REJECTED'),
  Type.Literal('FAILED'),
  Type.Literal('SETTLED'),
  Type.Literal('CANCELLED')
])
const Role = Type.Union([Type.Literal('Requestor'), Type.Literal('Provider')])

export const RejectionWire = Type.Object(
  {
    rejectionReason: Type.Union([Type.Literal('UNSOLICITED_SERVICE'), Type.Literal('BAD_SERVICE'), Type.Literal('INCORRECT_AMOUNT')]),
    totalAmountAccepted: BaseUnits,
    message: Type.Optional(Type.String({ maxLength: 1024 }))
  },
  { additionalProperties: false }
)

const Parties = {
  issuerId: Address,
  recipientId: Address,
  payeeAddr: Address,
  payerAddr: Address,
  paymentPlatform: Platform,
  agreementId: Id,
  timestamp: Time
}

/** A debit note as its issuer signs it. */
export const DebitNoteWire = Type.Object(
  {
    ...Parties,
    debitNoteId: Id,
    previousDebitNoteId: Type.Optional(Id),
    activityId: Id,
    totalAmountDue: BaseUnits,
    usageCounterVector: Type.Array(Type.Number({ minimum: 0 }), { maxItems: 64 }),
    paymentDueDate: Type.Optional(Time)
  },
  { additionalProperties: false }
)
export type DebitNoteWire = Static<typeof DebitNoteWire>

/** An invoice as its issuer signs it; 256 activity ids of 128 characters still fit one outbox message (64 KiB). */
export const InvoiceWire = Type.Object(
  { ...Parties, invoiceId: Id, activityIds: Type.Array(Id, { maxItems: 256 }), amount: BaseUnits, paymentDueDate: Time },
  { additionalProperties: false }
)
export type InvoiceWire = Static<typeof InvoiceWire>

/** What this node accepted of a document: the amount, the agreement's cumulative after it, and whether the peer was told. */
const AcceptedWire = Type.Object(
  {
    amount: BaseUnits,
    cumulative: BaseUnits,
    allocationId: Type.Optional(Id),
    /** Requester: the acceptance with its proof is in the outbox. */
    sent: Type.Optional(Type.Boolean())
  },
  { additionalProperties: false }
)

const Local = { role: Role, status: Status, rejection: Type.Optional(RejectionWire), accepted: Type.Optional(AcceptedWire) }

export const StoredDebitNote = Type.Object({ kind: Type.Literal('debit-note'), document: DebitNoteWire, ...Local }, { additionalProperties: false })
export const StoredInvoice = Type.Object({ kind: Type.Literal('invoice'), document: InvoiceWire, ...Local }, { additionalProperties: false })
export type StoredDebitNote = Static<typeof StoredDebitNote>
export type StoredInvoice = Static<typeof StoredInvoice>
export type StoredDocument = StoredDebitNote | StoredInvoice

export const StoredAllocation = Type.Object(
  {
    allocationId: Id,
    address: Address,
    paymentPlatform: Platform,
    totalAmount: BaseUnits,
    spentAmount: BaseUnits,
    timestamp: Time,
    timeout: Type.Optional(Time),
    makeDeposit: Type.Boolean(),
    releasedAt: Type.Optional(Time)
  },
  { additionalProperties: false }
)
export type StoredAllocation = Static<typeof StoredAllocation>

export const storedDebitNote = validator(StoredDebitNote, 'stored debit note')
export const storedInvoice = validator(StoredInvoice, 'stored invoice')
export const storedAllocation = validator(StoredAllocation, 'stored allocation')
export const debitNoteWire = validator(DebitNoteWire, 'debit note')
export const invoiceWire = validator(InvoiceWire, 'invoice')

export function rejectionOf(wire: Static<typeof RejectionWire>): Rejection {
  return {
    rejectionReason: wire.rejectionReason,
    totalAmountAccepted: BigInt(wire.totalAmountAccepted),
    ...(wire.message === undefined ? {} : { message: wire.message })
  }
}

export function rejectionWire(rejection: Rejection): Static<typeof RejectionWire> {
  return {
    rejectionReason: rejection.rejectionReason,
    totalAmountAccepted: rejection.totalAmountAccepted.toString(),
    ...(rejection.message === undefined ? {} : { message: rejection.message })
  }
}

function local(stored: { role: PaymentRole; status: string; rejection?: Static<typeof RejectionWire> | undefined }) {
  return {
    role: stored.role,
    status: stored.status as DocumentStatus,
    ...(stored.rejection === undefined ? {} : { rejection: rejectionOf(stored.rejection) })
  }
}

export function debitNoteOf(stored: StoredDebitNote): DebitNote {
  const { totalAmountDue, ...rest } = stored.document
  return { ...rest, totalAmountDue: BigInt(totalAmountDue), ...local(stored) }
}

export function invoiceOf(stored: StoredInvoice): Invoice {
  const { amount, ...rest } = stored.document
  return { ...rest, amount: BigInt(amount), ...local(stored) }
}

export function allocationOf(stored: StoredAllocation): Allocation {
  const total = BigInt(stored.totalAmount)
  const spent = BigInt(stored.spentAmount)
  return {
    allocationId: stored.allocationId,
    address: stored.address,
    paymentPlatform: stored.paymentPlatform,
    totalAmount: total,
    spentAmount: spent,
    remainingAmount: total > spent ? total - spent : 0n,
    timestamp: stored.timestamp,
    ...(stored.timeout === undefined ? {} : { timeout: stored.timeout }),
    makeDeposit: stored.makeDeposit
  }
}

/** A document's id, whichever kind it is. */
export function documentIdOf(stored: StoredDocument): string {
  return stored.kind === 'debit-note' ? stored.document.debitNoteId : stored.document.invoiceId
}

/** A document's own amount (cumulative per activity for a debit note, per agreement for an invoice). */
export function amountOf(stored: StoredDocument): bigint {
  return BigInt(stored.kind === 'debit-note' ? stored.document.totalAmountDue : stored.document.amount)
}
