// The provider's negotiator chain: small policy checks over a requester's
// proposal and over the agreement made from it.
export { runChain, DEFAULT_CHECKS, PROVIDER_CODE, PROVIDER_CHECK } from './chain.ts'
export type { ChainOutcome } from './chain.ts'
export type { CheckOutcome, DataPolicyDesk, NegotiationCheck, NegotiationInput, NegotiationStage, ProviderRefusalCode } from './check.ts'
export { EXPIRATION_PROPERTY, PAYMENT_TIMEOUT_REQUIRED_AFTER_SEC } from './expiration-check.ts'
