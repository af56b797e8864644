// How long the requester has to pay a payable debit note
// (golem.com.scheme.payu.payment-timeout-sec?). Only a requester that asks for
// payments as it goes gets them: without the term, notes are paid by the invoice.
import { PAYMENT_PROPERTIES } from '../../../payment/index.ts'
import type { NegotiationCheck } from './check.ts'
import { negotiateRange } from './negotiated-range.ts'

export const paymentTimeoutCheck: NegotiationCheck = {
  name: 'payment-timeout',
  check: input =>
    negotiateRange({ property: PAYMENT_PROPERTIES.paymentTimeout, code: 'PaymentTimeout', whenAbsent: 'omit' }, input.settings.paymentTimeout, input)
}
