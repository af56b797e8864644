// Errors of the payment flow (allocations, documents, settlement), from the one vocabulary.
import { CodedError } from '../../net/kernel.ts'

export type PaymentErrorCode =
  | 'BadRequest' // an amount, platform, id or option that is not valid
  | 'NotFound' // no such allocation, document, payment, deposit or platform
  | 'Forbidden' // not this node's to do (a document of the other side, a voucher for another's deposit)
  | 'Conflict' // the record's state does not allow it (accepting a settled document, over the allocation)
  | 'Gone' // released, expired or cancelled
  | 'Timeout'
  | 'Unavailable' // the chain or the peer cannot serve now
  | 'Internal'

export class PaymentError extends CodedError<PaymentErrorCode> {
  override name = 'PaymentError'
}
