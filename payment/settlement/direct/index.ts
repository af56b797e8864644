// Direct batch payouts: the requester's payer and the provider's verifier, composed by the settlement factory.
export { DirectPayer } from './direct-payer.ts'
export type { DirectPayerComponents, DirectPayerInit, DirectPayout } from './direct-payer.ts'
export { DirectPayoutVerifier } from './payout-verifier.ts'
export type { DirectPayoutVerifierComponents } from './payout-verifier.ts'
export type { PayoutPath } from './payout-path.ts'
export type { PayoutRecord } from './payout-store.ts'
