// What the payment flow reads from an agreement: its platform (the demand's
// chosen platform), the payer's and payee's addresses, the debit-note
// interval, the payment and accept timeouts, the price model and the
// settlement mode. An agreement on a platform this node does not know has no
// payments at all.
import { PaymentError } from '../model/payment-error.ts'
import type { PaymentRole, SettlementMode } from '../model/documents.ts'
import type { AgreementTerms } from '../settlement/settlement.ts'
import { linearPricingOf } from '../pricing/index.ts'
import type { LinearPricing } from '../pricing/index.ts'

export const PAYMENT_PROPERTIES = Object.freeze({
  chosenPlatform: 'golem.com.payment.chosen-platform',
  debitNoteInterval: 'golem.com.scheme.payu.debit-note.interval-sec?',
  paymentTimeout: 'golem.com.scheme.payu.payment-timeout-sec?',
  acceptTimeout: 'golem.com.payment.debit-notes.accept-timeout?',
  settlement: 'agora.com.payment.settlement'
})

/** An agreement as the payment flow sees it (the market's record, flattened by the module). */
export interface PaymentAgreement {
  readonly agreementId: string
  readonly role: PaymentRole
  readonly state: string
  readonly requestorId: string
  readonly providerId: string
  readonly demandProperties: Readonly<Record<string, unknown>>
  readonly offerProperties: Readonly<Record<string, unknown>>
  /** epoch ms */
  readonly validTo: number
  readonly appSessionId?: string | undefined
}

export interface PaymentDefaults {
  readonly debitNoteIntervalMs: number
  readonly acceptTimeoutMs: number
  readonly paymentTimeoutMs: number
  readonly settlement: SettlementMode
}

export interface PaymentTerms {
  readonly settlement: AgreementTerms
  readonly payer: string
  readonly debitNoteIntervalMs: number
  readonly acceptTimeoutMs: number
  /** Present when the agreement makes debit notes payable. */
  readonly debitNotePaymentTimeoutMs?: number
  readonly pricing: LinearPricing
}

/**
 * The terms of `agreement`, or undefined when it has no payments here (no
 * chosen platform, or one `canonical` does not know). Throws BadRequest when
 * the agreement names a known platform but its payment terms are not valid.
 */
export function paymentTermsOf(
  agreement: PaymentAgreement,
  canonical: (platform: string) => string | undefined,
  defaults: PaymentDefaults
): PaymentTerms | undefined {
  const chosen = agreement.demandProperties[PAYMENT_PROPERTIES.chosenPlatform]
  if (typeof chosen !== 'string') return undefined
  const platform = canonical(chosen)
  if (platform === undefined) return undefined
  const properties = { ...agreement.demandProperties, ...agreement.offerProperties }
  const addressKey = `golem.com.payment.platform.${chosen}.address`
  const payer = addressOf(agreement.demandProperties[addressKey], agreement.requestorId, addressKey)
  const payee = addressOf(agreement.offerProperties[addressKey], agreement.providerId, addressKey)
  const modeValue = agreement.demandProperties[PAYMENT_PROPERTIES.settlement] ?? defaults.settlement
  if (modeValue !== 'escrow' && modeValue !== 'direct') throw new PaymentError('BadRequest', `${PAYMENT_PROPERTIES.settlement} must be "escrow" or "direct"`)
  const paymentTimeout = secondsOf(properties, PAYMENT_PROPERTIES.paymentTimeout)
  return {
    settlement: {
      agreementId: agreement.agreementId,
      platform,
      requester: agreement.requestorId.toLowerCase(),
      provider: agreement.providerId.toLowerCase(),
      payee,
      mode: modeValue,
      expiresAt: agreement.validTo,
      paymentTimeoutMs: paymentTimeout ?? defaults.paymentTimeoutMs
    },
    payer,
    debitNoteIntervalMs: secondsOf(properties, PAYMENT_PROPERTIES.debitNoteInterval) ?? defaults.debitNoteIntervalMs,
    acceptTimeoutMs: secondsOf(properties, PAYMENT_PROPERTIES.acceptTimeout) ?? defaults.acceptTimeoutMs,
    ...(paymentTimeout === undefined ? {} : { debitNotePaymentTimeoutMs: paymentTimeout }),
    pricing: linearPricingOf(properties)
  }
}

function addressOf(value: unknown, nodeId: string, key: string): string {
  if (value === undefined) return nodeId.toLowerCase()
  if (typeof value !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(value)) throw new PaymentError('BadRequest', `${key} must be a 0x address`)
  return value.toLowerCase()
}

/** A property in seconds (with or without Golem's trailing '?'), in ms. */
function secondsOf(properties: Readonly<Record<string, unknown>>, key: string): number | undefined {
  const value = properties[key] ?? properties[key.replace(/\?$/, '')]
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > 366 * 86_400) {
    throw new PaymentError('BadRequest', `${key} must be a number of seconds above 0`)
  }
  return Math.ceil(value * 1000)
}
