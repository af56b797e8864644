// Secure aggregation between owners (Bonawitz et al., CCS 2017): pairwise
// masks from X25519, self masks, Shamir-shared seeds for dropout tolerance.
export { SecaggAggregator, DEFAULT_ROUND_TIMEOUT_MS } from './aggregator.ts'
export type { AggregatorOptions, SessionRequest } from './aggregator.ts'
export type { SessionView, SessionState, UnmaskRecord } from './aggregator-session.ts'
export { SecaggOwner } from './contributor.ts'
export type { ContributorOptions, NoiseSource } from './contributor.ts'
export { SecaggClient } from './protocol.ts'
export { OwnerSession } from './participant.ts'
export { SECAGG_PROTOCOL, SECAGG_URL_SCHEME, MAX_PARTICIPANTS, MAX_VECTOR_LENGTH, parseSessionUrl, sessionUrl } from './messages.ts'
export type { SessionTerms, RoundName } from './messages.ts'
export { DEFAULT_FRACTIONAL_BITS, encodeFixed, decodeSigned, fixedToNumber } from './fixed-point.ts'
export { MIN_ROUND_TIMEOUT_MS, MAX_ROUND_TIMEOUT_MS } from './messages.ts'
