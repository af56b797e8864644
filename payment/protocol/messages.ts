// The messages between the two daemons of an agreement, as signed payloads:
// the provider's debit notes and invoices, the requester's acceptances (with
// the proof that pays them), rejections and direct payout confirmations.
import Type from 'typebox'
import type { Static } from 'typebox'
import { validator } from '../../net/index.ts'
import type { PayoutConfirmation, SettlementProof } from '../settlement/settlement.ts'
import { BaseUnits, DebitNoteWire, InvoiceWire, RejectionWire } from '../ledger/index.ts'

export const PAYMENT_MESSAGES = {
  debitNote: 'payment.debit-note',
  invoice: 'payment.invoice',
  acceptance: 'payment.acceptance',
  rejection: 'payment.rejection',
  payout: 'payment.payout'
} as const
export type PaymentMessageKind = (typeof PAYMENT_MESSAGES)[keyof typeof PAYMENT_MESSAGES]

const Id = Type.String({ pattern: '^[A-Za-z0-9_-]{1,128}$' })
const Address = Type.String({ pattern: '^0x[0-9a-fA-F]{40}$' })
const Hex32 = Type.String({ pattern: '^0x[0-9a-fA-F]{64}$' })
const DocumentKind = Type.Union([Type.Literal('debit-note'), Type.Literal('invoice')])

const VoucherWire = Type.Object(
  {
    depositId: Hex32,
    salt: Hex32,
    requester: Address,
    provider: Address,
    token: Address,
    chainId: Type.Integer({ minimum: 1 }),
    escrow: Address,
    cumulative: BaseUnits,
    signature: Type.String({ pattern: '^0x[0-9a-fA-F]{128}$' })
  },
  { additionalProperties: false }
)

const ProofWire = Type.Union([
  Type.Object({ kind: Type.Literal('voucher'), voucher: VoucherWire }, { additionalProperties: false }),
  Type.Object({ kind: Type.Literal('direct'), batchDue: Type.Integer({ minimum: 0 }) }, { additionalProperties: false })
])
type ProofWire = Static<typeof ProofWire>

export const AcceptancePayload = Type.Object(
  // No proof when the agreement owes nothing yet (an invoice of 0): nothing is opened or signed for it.
  { documentKind: DocumentKind, documentId: Id, agreementId: Id, totalAmountAccepted: BaseUnits, proof: Type.Optional(ProofWire) },
  { additionalProperties: false }
)
export type AcceptancePayload = Static<typeof AcceptancePayload>

export const RejectionPayload = Type.Object(
  { documentKind: DocumentKind, documentId: Id, agreementId: Id, rejection: RejectionWire },
  { additionalProperties: false }
)
export type RejectionPayload = Static<typeof RejectionPayload>

export const PayoutPayload = Type.Object(
  {
    platform: Type.String({ minLength: 1, maxLength: 128 }),
    txHash: Hex32,
    batchId: Hex32,
    payer: Address,
    payee: Address,
    documents: Type.Array(Type.Object({ documentId: Id, agreementId: Id, amount: BaseUnits }, { additionalProperties: false }), {
      minItems: 1,
      maxItems: 500
    }),
    /** Every document id the batch id commits to, when the batch paid other payees too. */
    batchDocumentIds: Type.Optional(Type.Array(Id, { maxItems: 1000 }))
  },
  { additionalProperties: false }
)
export type PayoutPayload = Static<typeof PayoutPayload>

export const PAYLOADS = {
  [PAYMENT_MESSAGES.debitNote]: validator(DebitNoteWire, 'debit note message'),
  [PAYMENT_MESSAGES.invoice]: validator(InvoiceWire, 'invoice message'),
  [PAYMENT_MESSAGES.acceptance]: validator(AcceptancePayload, 'acceptance message'),
  [PAYMENT_MESSAGES.rejection]: validator(RejectionPayload, 'rejection message'),
  [PAYMENT_MESSAGES.payout]: validator(PayoutPayload, 'payout confirmation message')
}

export function proofWire(proof: SettlementProof): ProofWire {
  if (proof.kind === 'direct') return { kind: 'direct', batchDue: proof.batchDue }
  return { kind: 'voucher', voucher: { ...proof.voucher, cumulative: proof.voucher.cumulative.toString() } }
}

export function proofOf(wire: ProofWire): SettlementProof {
  if (wire.kind === 'direct') return { kind: 'direct', batchDue: wire.batchDue }
  return { kind: 'voucher', voucher: { ...wire.voucher, cumulative: BigInt(wire.voucher.cumulative) } }
}

export function payoutWire(confirmation: PayoutConfirmation): PayoutPayload {
  const { batchDocumentIds, ...rest } = confirmation
  return {
    ...rest,
    documents: confirmation.documents.map(d => ({ ...d, amount: d.amount.toString() })),
    ...(batchDocumentIds === undefined ? {} : { batchDocumentIds: [...batchDocumentIds] })
  }
}

export function payoutOf(wire: PayoutPayload): PayoutConfirmation {
  return { ...wire, documents: wire.documents.map(d => ({ ...d, amount: BigInt(d.amount) })) }
}
