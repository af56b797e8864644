// What both sides of the payment flow are built from (js-libp2p style components).
import type { Clock, Logger } from '../../net/index.ts'
import type { Ledger } from '../ledger/index.ts'
import type { PaymentOutbox } from '../protocol/index.ts'
import type { SettlementService } from '../settlement/settlement.ts'
import type { PaymentAgreement, PaymentDefaults, PaymentTerms } from './payment-terms.ts'
import { paymentTermsOf } from './payment-terms.ts'

export interface FlowComponents {
  readonly nodeId: string
  readonly ledger: Ledger
  readonly outbox: PaymentOutbox
  readonly settlement: SettlementService
  readonly clock: Clock
  readonly logger: Logger
  /** The market's agreement, as the flow reads it; undefined when unknown. */
  readonly agreement: (agreementId: string) => PaymentAgreement | undefined
  readonly defaults: PaymentDefaults
}

/** The agreement's payment terms, or undefined when it has none here (unknown platform, or terms not valid: logged). */
export function termsOf(components: FlowComponents, agreement: PaymentAgreement): PaymentTerms | undefined {
  try {
    return paymentTermsOf(agreement, platform => canonicalPlatform(components.settlement, platform), components.defaults)
  } catch (err) {
    components.logger.warn(
      { agreementId: agreement.agreementId, err: (err as Error).message },
      'payment: the agreement’s payment terms are not valid; no payments under it'
    )
    return undefined
  }
}

/** The platform's canonical name, or undefined for one this node does not know. */
export function canonicalPlatform(settlement: SettlementService, platform: string): string | undefined {
  if (!settlement.platforms.has(platform)) return undefined
  return settlement.platforms.resolve(platform).platform
}
