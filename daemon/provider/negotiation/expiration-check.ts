// The agreement's expiration (golem.srv.comp.expiration, ms since the epoch)
// is at least settings.minAgreementSec and at most settings.maxAgreementSec
// away; beyond 10 hours the requester must pay as it goes (a payment timeout),
// so that a long agreement is never owed all at its end.
import { PAYMENT_PROPERTIES } from '../../../payment/index.ts'
import { accept, reject } from './check.ts'
import type { NegotiationCheck } from './check.ts'

export const EXPIRATION_PROPERTY = 'golem.srv.comp.expiration'
/** Longer agreements need golem.com.scheme.payu.payment-timeout-sec (as yagna's provider requires). */
export const PAYMENT_TIMEOUT_REQUIRED_AFTER_SEC = 10 * 3600

export const expirationCheck: NegotiationCheck = {
  name: 'expiration',
  check({ demand, offer, settings, now, stage }) {
    const expiration = demand[EXPIRATION_PROPERTY]
    if (typeof expiration !== 'number' || !Number.isFinite(expiration))
      return reject('Expiration', `the demand has no ${EXPIRATION_PROPERTY} (ms since the epoch)`)
    const leftSec = (expiration - now) / 1000
    // At approval the negotiation took some time already: the lower bound is the one it passed then.
    if (stage === 'proposal' && leftSec < settings.minAgreementSec) {
      return reject('Expiration', `${EXPIRATION_PROPERTY} is ${Math.floor(leftSec)} s away; this provider needs at least ${settings.minAgreementSec} s`)
    }
    if (leftSec <= 0) return reject('Expiration', `${EXPIRATION_PROPERTY} has passed`)
    if (leftSec > settings.maxAgreementSec) {
      return reject('Expiration', `${EXPIRATION_PROPERTY} is ${Math.ceil(leftSec)} s away; this provider accepts at most ${settings.maxAgreementSec} s`)
    }
    const paymentTimeout = termValue(stage === 'agreement' ? { ...demand, ...offer } : demand, PAYMENT_PROPERTIES.paymentTimeout)
    if (leftSec > PAYMENT_TIMEOUT_REQUIRED_AFTER_SEC && paymentTimeout === undefined) {
      return reject(
        'Expiration',
        `an agreement longer than ${PAYMENT_TIMEOUT_REQUIRED_AFTER_SEC} s needs ${PAYMENT_PROPERTIES.paymentTimeout} (payments as it runs)`
      )
    }
    return accept()
  }
}

/** A property with or without Golem's trailing '?'. */
export function termValue(properties: Readonly<Record<string, unknown>>, key: string): unknown {
  return properties[key] ?? properties[key.replace(/\?$/, '')]
}
