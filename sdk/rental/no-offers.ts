// Why a demand found no provider, from what the negotiation saw: how many
// offers matched the demand, and how many the SDK's own checks left out. (The
// daemon's view of the market, with the constraints that excluded offers, is
// the explanation endpoint's to give.)
import type { ApiClient } from '../client/api-client.ts'
import type { MatchExplanation } from '../types.ts'
import type { DemandBody } from './demand.ts'

export interface SdkChecks {
  maxPrices: number
  filter: number
  avoid: number
  /** Offers whose provider did not draft or approve in time, or refused. */
  negotiation: number
}

export async function explainNoOffers(
  _api: ApiClient,
  _demand: DemandBody,
  seen: { readonly offersSeen: number; readonly checks: SdkChecks }
): Promise<MatchExplanation> {
  return {
    offersKnown: seen.offersSeen,
    matching: seen.offersSeen,
    demandConstraints: [],
    offerConstraints: [],
    sdkChecks: Object.entries(seen.checks)
      .filter(([, excluded]) => excluded > 0)
      .map(([check, excluded]) => ({ check, excluded }))
  }
}
