// "No matching offers, and why": the daemon's count of the offers it knows and
// of what excluded them (POST /agora-api/v1/market/explain), with the SDK's own
// checks (max prices, the filter, avoided providers) added, and the sentence a
// NoMatchingOffersError carries.
import type { ApiClient } from '../client/api-client.ts'
import { NoMatchingOffersError } from '../errors.ts'
import type { MatchExplanation } from '../types.ts'

export const EXPLAIN_PATH = '/agora-api/v1/market/explain'

export interface DemandTerms {
  readonly properties: Readonly<Record<string, unknown>>
  readonly constraints: string
}

export type SdkCheckCounts = NonNullable<MatchExplanation['sdkChecks']>

/** The daemon's explanation of `demand` over the offers it knows now, with the SDK's checks. */
export async function explainDemand(
  api: ApiClient,
  demand: DemandTerms,
  sdkChecks: SdkCheckCounts = [],
  options: { readonly signal?: AbortSignal } = {}
): Promise<MatchExplanation> {
  const counted = await api.call<MatchExplanation>('POST', EXPLAIN_PATH, {
    body: { properties: demand.properties, constraints: demand.constraints },
    ...(options.signal === undefined ? {} : { signal: options.signal })
  })
  return sdkChecks.length === 0 ? counted : { ...counted, sdkChecks: [...sdkChecks] }
}

/**
 * "12 offers known, none matched: golem.runtime.name=vm excluded 9, golem.inf.mem.gib>=8 excluded 3; …", or with
 * offers that matched: "5 offers known, 2 matched the demand; the SDK's checks left out 2 by maxPrices".
 */
export function explanationText(explanation: MatchExplanation): string {
  const known = `${explanation.offersKnown} ${explanation.offersKnown === 1 ? 'offer' : 'offers'} known`
  if (explanation.offersKnown === 0) return `${known}: the daemon has heard of no offer yet (is it connected to the network, and is any provider online?)`
  const checks = (explanation.sdkChecks ?? []).filter(check => check.excluded > 0)
  const parts = [
    termsText(explanation.demandConstraints),
    prefixed("offers' own constraints refused the demand", termsText(explanation.offerConstraints)),
    checks.length === 0 ? '' : `the SDK's checks left out ${checks.map(check => `${check.excluded} by ${check.check}`).join(', ')}`
  ].filter(part => part !== '')
  const why = parts.join('; ')
  if (explanation.matching === 0) return `${known}, none matched${why === '' ? '' : `: ${why}`}`
  return `${known}, ${explanation.matching} matched the demand${why === '' ? '' : `; ${why}`}`
}

/** The error for a demand that found no provider in time, with the daemon's explanation (or why there is none). */
export async function noMatchingOffers(
  api: ApiClient,
  demand: DemandTerms,
  sdkChecks: SdkCheckCounts = [],
  options: { readonly signal?: AbortSignal; readonly waited?: string } = {}
): Promise<NoMatchingOffersError> {
  const lead = `no provider found${options.waited === undefined ? '' : ` within ${options.waited}`}`
  try {
    const explanation = await explainDemand(api, demand, sdkChecks, options)
    return new NoMatchingOffersError(`${lead}: ${explanationText(explanation)}`, explanation)
  } catch (err) {
    const unexplained: MatchExplanation = { offersKnown: 0, matching: 0, demandConstraints: [], offerConstraints: [], sdkChecks: [...sdkChecks] }
    return new NoMatchingOffersError(`${lead}; the daemon could not say why (${(err as Error).message})`, unexplained)
  }
}

function termsText(terms: readonly { readonly constraint: string; readonly excluded: number; readonly undefinedCount?: number }[]): string {
  return [...terms]
    .filter(term => term.excluded > 0)
    .sort((a, b) => b.excluded - a.excluded)
    .map(term => {
      const missing = term.undefinedCount !== undefined && term.undefinedCount > 0 ? ` (${term.undefinedCount} lacking the property)` : ''
      return `${bare(term.constraint)} excluded ${term.excluded}${missing}`
    })
    .join(', ')
}

function prefixed(prefix: string, text: string): string {
  return text === '' ? '' : `${prefix}: ${text}`
}

/** `(a=b)` → `a=b`: one term reads better without its parentheses. */
function bare(constraint: string): string {
  return /^\([^()]*\)$/.test(constraint) ? constraint.slice(1, -1) : constraint
}
