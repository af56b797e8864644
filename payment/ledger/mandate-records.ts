// Invoice mandates as the ledger keeps them (one per agreement, kept after
// use as the record of how its invoice was answered), and their public shape.
import Type from 'typebox'
import type { Static } from 'typebox'
import { validator } from '../../net/index.ts'
import type { InvoiceMandate } from '../model/documents.ts'
import { BaseUnits, Id, Time } from './records.ts'

export const StoredMandate = Type.Object(
  {
    agreementId: Id,
    maxAmount: BaseUnits,
    allocationId: Id,
    sourceAllocationId: Id,
    createdAt: Time,
    expiresAt: Time,
    outcome: Type.Optional(
      Type.Object({ invoiceId: Id, answer: Type.Union([Type.Literal('accepted'), Type.Literal('rejected')]), at: Time }, { additionalProperties: false })
    )
  },
  { additionalProperties: false }
)
export type StoredMandate = Static<typeof StoredMandate>
export const storedMandate = validator(StoredMandate, 'stored invoice mandate')

export function mandateOf(stored: StoredMandate): InvoiceMandate {
  return { ...stored, maxAmount: BigInt(stored.maxAmount) }
}
