// The negotiator chain: every check runs on the requester's proposal (or the
// agreement); the first refusal rejects it with a reason naming its check;
// otherwise our counter-proposal is the offer with every check's values.
import type { Reason } from '../../../market/index.ts'
import type { CheckOutcome, NegotiationCheck, NegotiationInput } from './check.ts'
import { paymentPlatformCheck } from './payment-platform-check.ts'
import { requesterListCheck } from './requester-list-check.ts'
import { dataPolicyCheck } from './data-policy-check.ts'
import { agreementLimitCheck } from './agreement-limit-check.ts'
import { expirationCheck } from './expiration-check.ts'
import { debitNoteIntervalCheck } from './debit-note-interval-check.ts'
import { acceptTimeoutCheck } from './accept-timeout-check.ts'
import { paymentTimeoutCheck } from './payment-timeout-check.ts'
import { priceCheck } from './price-check.ts'

/** In order: who may deal first, then what the deal says. */
export const DEFAULT_CHECKS: readonly NegotiationCheck[] = [
  requesterListCheck,
  dataPolicyCheck,
  paymentPlatformCheck,
  agreementLimitCheck,
  expirationCheck,
  debitNoteIntervalCheck,
  acceptTimeoutCheck,
  paymentTimeoutCheck,
  priceCheck
]

export const PROVIDER_CODE = 'golem.provider.code'
export const PROVIDER_CHECK = 'agora.provider.check'

export type ChainOutcome =
  | { readonly verdict: 'reject'; readonly reason: Reason }
  /** `changed`: why the requester's proposal did not pass unchanged (empty when it did). */
  | { readonly verdict: 'counter'; readonly properties: Record<string, unknown>; readonly changed: readonly string[] }

export function runChain(input: NegotiationInput, checks: readonly NegotiationCheck[] = DEFAULT_CHECKS): ChainOutcome {
  const properties: Record<string, unknown> = { ...input.offer }
  const changed: string[] = []
  for (const check of checks) {
    const outcome: CheckOutcome = check.check(input)
    if (outcome.verdict === 'reject') {
      const reason = { message: outcome.message, [PROVIDER_CODE]: outcome.code, [PROVIDER_CHECK]: check.name } as Reason
      return { verdict: 'reject', reason }
    }
    if (outcome.verdict === 'counter') changed.push(`${check.name}: ${outcome.why}`)
    for (const [key, value] of Object.entries(outcome.properties ?? {})) {
      if (value === undefined) delete properties[key]
      else properties[key] = value
    }
  }
  return { verdict: 'counter', properties, changed }
}
