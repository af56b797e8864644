// What `agora provider status` shows: the offers live (ids and presets), the
// presets not published and why, the provider's agreements by state, the
// activities running, and the earnings from the payment ledger (accepted by
// requesters, paid on chain, pending: accepted and not yet paid), in tokens.
import { formatAmount } from '../../../payment/model/amounts.ts'
import type { ProviderPreset } from '../model.ts'
import type { PublishedOffer, UnpublishedPreset } from '../offers/index.ts'
import { coeffsOf, pricingOfCoeffs, USAGE_VECTOR } from '../pricing/index.ts'

export interface StatusSources {
  readonly offering: boolean
  /** Why nothing is offered at all (the module is not set to offer), if so. */
  readonly notOffering?: string
  readonly offers: readonly PublishedOffer[]
  readonly unpublished: readonly UnpublishedPreset[]
  readonly agreements: ReadonlyArray<{ readonly state: string; readonly role: string }>
  readonly activities: ReadonlyArray<{ readonly state: string }>
  /** Per agreement of the provider's: amounts in base units. */
  readonly earnings: ReadonlyArray<{ readonly requested: bigint; readonly accepted: bigint; readonly paid: bigint }>
}

export interface ProviderStatusView {
  offering: boolean
  reason?: string
  offers: Array<{
    offerId: string
    preset: string
    dataset?: string
    runtime: string
    expiresAt: string
    coeffs: number[]
    pricing: ProviderPreset['pricing']
  }>
  unpublished: Array<{ preset: string; reason: string }>
  agreements: Record<string, number>
  activitiesRunning: number
  earnings: { requested: string; accepted: string; paid: string; pending: string }
}

export function providerStatus(sources: StatusSources): ProviderStatusView {
  const agreements: Record<string, number> = {}
  for (const agreement of sources.agreements) {
    if (agreement.role !== 'Provider') continue
    agreements[agreement.state] = (agreements[agreement.state] ?? 0) + 1
  }
  let requested = 0n
  let accepted = 0n
  let paid = 0n
  for (const each of sources.earnings) {
    requested += each.requested
    accepted += each.accepted
    paid += each.paid
  }
  return {
    offering: sources.offering,
    ...(sources.notOffering === undefined ? {} : { reason: sources.notOffering }),
    offers: sources.offers.map(offer => ({
      offerId: offer.offerId,
      preset: offer.preset.name,
      ...(offer.dataset === undefined ? {} : { dataset: offer.dataset }),
      runtime: offer.preset.runtime,
      expiresAt: new Date(offer.expiresAt).toISOString(),
      // What requesters see: the published coefficients, and the per-hour prices they stand for.
      ...publishedPrices(offer.preset)
    })),
    unpublished: sources.unpublished.map(each => ({ ...each })),
    agreements,
    activitiesRunning: sources.activities.filter(activity => activity.state !== 'Terminated').length,
    earnings: {
      requested: formatAmount(requested),
      accepted: formatAmount(accepted),
      paid: formatAmount(paid),
      pending: formatAmount(accepted > paid ? accepted - paid : 0n)
    }
  }
}

function publishedPrices(preset: ProviderPreset): { coeffs: number[]; pricing: ProviderPreset['pricing'] } {
  const coeffs = coeffsOf(preset.pricing)
  return { coeffs, pricing: pricingOfCoeffs(USAGE_VECTOR, coeffs) }
}
