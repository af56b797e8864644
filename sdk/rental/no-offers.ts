// Why a demand found no provider: the daemon's count of the offers it knows
// and of the demand's and the offers' constraint terms that excluded them
// (POST /agora-api/v1/market/explain), with what the SDK's own checks left out
// of the offers that matched. When the daemon cannot answer, what the
// negotiation saw stands in.
import type { ApiClient } from '../client/api-client.ts'
import { explainDemand } from '../market/index.ts'
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
  api: ApiClient,
  demand: DemandBody,
  seen: { readonly offersSeen: number; readonly checks: SdkChecks }
): Promise<MatchExplanation> {
  const sdkChecks = Object.entries(seen.checks)
    .filter(([, excluded]) => excluded > 0)
    .map(([check, excluded]) => ({ check, excluded }))
  try {
    return await explainDemand(api, demand, sdkChecks)
  } catch {
    return { offersKnown: seen.offersSeen, matching: seen.offersSeen, demandConstraints: [], offerConstraints: [], sdkChecks }
  }
}
