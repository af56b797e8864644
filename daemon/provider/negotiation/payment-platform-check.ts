// The requester must choose a payment platform this node can be paid on: an
// agreement without one (or on an unknown one) would have no payments at all.
import { PAYMENT_PROPERTIES } from '../../../payment/index.ts'
import { accept, reject } from './check.ts'
import type { NegotiationCheck } from './check.ts'

export const paymentPlatformCheck: NegotiationCheck = {
  name: 'payment-platform',
  check({ demand, supportsPlatform }) {
    const chosen = demand[PAYMENT_PROPERTIES.chosenPlatform]
    if (typeof chosen !== 'string' || chosen === '') {
      return reject('PaymentPlatform', `the demand names no payment platform (${PAYMENT_PROPERTIES.chosenPlatform})`)
    }
    if (!supportsPlatform(chosen)) return reject('PaymentPlatform', `payment platform ${chosen} is not supported by this provider`)
    return accept()
  }
}
