// The market module's facade: offers and demands, matching, negotiation and
// agreements over the network, as the daemon uses them.
export { Market } from './market.ts'
export type { MarketComponents, MarketInit } from './market.ts'
export { MarketError } from './errors.ts'
export type { MarketErrorCode } from './errors.ts'
export * as MarketApi from './model/api.ts'
export { SCAN_LIMITS } from './scan/scan-iterators.ts'
export { MAX_SIGNED_TERMS_BYTES, MAX_SUBSCRIPTION_TTL_MS, TERMS_LIMITS } from './model/limits.ts'
export type { Reason } from './model/api.ts'
export { marketNetOver, MARKET_PROTOCOL } from './network/libp2p-market-net.ts'
export { marketOutbox, AGREEMENT_MESSAGES, PROPOSAL_MESSAGES, MARKET_OUTBOX_PROTOCOL } from './network/agreement-messages.ts'
export type { MarketOutbox, MarketOutboxOptions } from './network/agreement-messages.ts'
export { REASON_LIMITS } from './model/reason.ts'
