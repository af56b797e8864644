// The provider agent's settings and presets, as they are stored in the data
// dir, shown by `agora provider settings show` and served under
// /agora-api/v1/provider. Prices are in golemsp's terms (token units as decimal
// strings: a start price, per hour of CPU, per hour of the environment); the
// offer carries them as the per-second linear coefficients of
// `golem.com.pricing.model.linear.coeffs`.
import type { NodeId } from '../../net/index.ts'

export type ProviderRuntime = 'wasmtime' | 'vm'

export interface PresetPricing {
  /** Charged once per activity (golemsp --starting-fee). */
  readonly startingFee: string
  /** Per hour the activity runs (golemsp --env-per-hour). */
  readonly envPerHour: string
  /** Per hour of CPU time used (golemsp --cpu-per-hour). */
  readonly cpuPerHour: string
}

/** One offer a provider publishes: a runtime at a price. */
export interface ProviderPreset {
  /** Lowercase letters, digits and '-'. */
  readonly name: string
  readonly runtime: ProviderRuntime
  readonly pricing: PresetPricing
}

/** A term negotiated within a range: the requester's value is taken when in range, otherwise `preferred` is countered. */
export interface NegotiatedRange {
  readonly minSec: number
  readonly maxSec: number
  readonly preferredSec: number
}

export interface ProviderSettings {
  /** Whether the node publishes its presets' offers and serves agreements. */
  readonly offering: boolean
  /** Caps of what the offers advertise and the exe-unit grants (golemsp --cores --memory --disk). */
  readonly cores: number
  readonly memoryGib: number
  readonly diskGib: number
  readonly maxAgreements: number
  readonly debitNoteInterval: NegotiatedRange
  readonly acceptTimeout: NegotiatedRange
  readonly paymentTimeout: NegotiatedRange
  /** Agreement expiration the provider accepts, from now (ms bounds in seconds). */
  readonly minAgreementSec: number
  readonly maxAgreementSec: number
  /** An Approved agreement with no activity this long is terminated. */
  readonly idleAgreementSec: number
  /** Empty: every requester not denied. */
  readonly allowRequesters: readonly NodeId[]
  readonly denyRequesters: readonly NodeId[]
}

/** Read by the agent's parts; changes are announced so offers and policies follow them at once. */
export interface ProviderSettingsSource {
  settings(): ProviderSettings
  presets(): readonly ProviderPreset[]
  /** Called after every stored change; returns the unsubscribe. */
  onChange(listener: () => void): () => void
}

/** The offers the agent published (and only those: offers made through the Market API are left alone). */
export interface AgentOffers {
  /** The preset an offer subscription id was published for, if the agent published it. */
  presetOf(offerId: string): ProviderPreset | undefined
  /** The live offer ids, newest per preset. */
  offerIds(): readonly string[]
  /** Called after the offers were published, replaced or withdrawn; returns the unsubscribe. */
  onChange?(listener: () => void): () => void
}
