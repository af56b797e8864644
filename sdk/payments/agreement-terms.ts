// What the guard reads of an agreement: the price model (the offer's linear
// coefficients in its usage-vector order), the provider's thread count (the
// most CPU seconds a second of activity can use) and the accept timeout.
import { linearPricingOf } from '../../payment/pricing/index.ts'
import type { LinearPricing } from '../../payment/pricing/index.ts'
import type { AgreementView } from '../client/api-client.ts'

export const USAGE_COUNTERS = Object.freeze({ duration: 'golem.usage.duration_sec', cpu: 'golem.usage.cpu_sec' })
const THREADS = 'golem.inf.cpu.threads'
const ACCEPT_TIMEOUT = 'golem.com.payment.debit-notes.accept-timeout?'

export interface GuardTerms {
  readonly pricing: LinearPricing
  /** golem.inf.cpu.threads of the offer; 1 when the offer does not say. */
  readonly threads: number
  /** The agreed debit-note accept timeout (ms), when the agreement names one. */
  readonly acceptTimeoutMs?: number
}

/** The terms of an agreement's payments; throws BadRequest (from the price model) when they cannot be read. */
export function guardTermsOf(agreement: AgreementView): GuardTerms {
  const properties = { ...agreement.demand.properties, ...agreement.offer.properties }
  const pricing = linearPricingOf(properties)
  const threadValue = properties[THREADS]
  const threads = typeof threadValue === 'number' && Number.isFinite(threadValue) && threadValue >= 1 ? threadValue : 1
  const timeout = properties[ACCEPT_TIMEOUT]
  return {
    pricing,
    threads,
    ...(typeof timeout === 'number' && Number.isFinite(timeout) && timeout > 0 ? { acceptTimeoutMs: timeout * 1000 } : {})
  }
}
