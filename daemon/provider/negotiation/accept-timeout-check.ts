// How long the requester has to accept a debit note (golem.com.payment.debit-notes.accept-timeout?).
import { PAYMENT_PROPERTIES } from '../../../payment/index.ts'
import type { NegotiationCheck } from './check.ts'
import { negotiateRange } from './negotiated-range.ts'

export const acceptTimeoutCheck: NegotiationCheck = {
  name: 'accept-timeout',
  check: input =>
    negotiateRange({ property: PAYMENT_PROPERTIES.acceptTimeout, code: 'AcceptTimeout', whenAbsent: 'preferred' }, input.settings.acceptTimeout, input)
}
