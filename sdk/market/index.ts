// The SDK's view of the market: why a demand finds no offers.
export { explainDemand, explanationText, noMatchingOffers, EXPLAIN_PATH } from './explain.ts'
export type { DemandTerms, SdkCheckCounts } from './explain.ts'
