// Payments as the ledger keeps them: one per transaction and agreement, the
// amount it added to what the chain showed settled before.
import Type from 'typebox'
import type { Static } from 'typebox'
import { validator } from '../../net/index.ts'
import type { Payment } from '../model/documents.ts'
import { BaseUnits } from './records.ts'

const Address = Type.String({ pattern: '^0x[0-9a-f]{40}$' })

export const StoredPayment = Type.Object(
  {
    paymentId: Type.String({ minLength: 1, maxLength: 128 }),
    role: Type.Union([Type.Literal('Requestor'), Type.Literal('Provider')]),
    payerId: Address,
    payeeId: Address,
    payerAddr: Address,
    payeeAddr: Address,
    paymentPlatform: Type.String({ minLength: 1, maxLength: 128 }),
    amount: BaseUnits,
    timestamp: Type.Integer({ minimum: 0 }),
    agreementId: Type.String({ minLength: 1, maxLength: 128 }),
    details: Type.String({ pattern: '^0x[0-9a-fA-F]{64}$' })
  },
  { additionalProperties: false }
)
export type StoredPayment = Static<typeof StoredPayment>
export const storedPayment = validator(StoredPayment, 'stored payment')
export const storedSettled = validator(Type.Object({ settled: BaseUnits }, { additionalProperties: false }), 'stored settled total')

/** Who paid whom, on which platform, by which transaction. */
export interface PaymentSource {
  readonly txHash: string
  readonly payerId: string
  readonly payeeId: string
  readonly payerAddr: string
  readonly payeeAddr: string
  readonly paymentPlatform: string
}

export function paymentOf(record: StoredPayment): Payment {
  const amount = BigInt(record.amount)
  return {
    paymentId: record.paymentId,
    payerId: record.payerId,
    payeeId: record.payeeId,
    payerAddr: record.payerAddr,
    payeeAddr: record.payeeAddr,
    paymentPlatform: record.paymentPlatform,
    amount,
    timestamp: record.timestamp,
    agreementPayments: [{ agreementId: record.agreementId, amount }],
    activityPayments: [],
    details: record.details
  }
}
