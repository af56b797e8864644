// One preset's offer: the machine capped by the settings, the runtime's own
// properties, the payment platforms, the price model and the payment terms a
// requester negotiates (as yagna's provider agent states them).
import { descriptorProperties } from '../../../custody/index.ts'
import type { DatasetDescriptor } from '../../../custody/index.ts'
import { DATA_PROPERTY } from '../../../custody/index.ts'
import { linearPriceProperties, withDatasetPrice } from '../pricing/index.ts'
import type { ProviderPreset, ProviderSettings } from '../model.ts'
import type { Machine } from '../settings/index.ts'

/** Agora's own property: the preset an offer was published for. */
export const PRESET_PROPERTY = 'agora.provider.preset'
export const SUBSCRIPTION_EXPIRATION_PROPERTY = 'agora.subscription.expiration'

export interface OfferContext {
  readonly machine: Machine
  readonly settings: ProviderSettings
  /** The runtime's properties as the exe-unit states them (golem.runtime.name …). */
  readonly runtimeProperties: Readonly<Record<string, unknown>>
  /** Platform names (and aliases) this node is paid on, with its address. */
  readonly platforms: readonly string[]
  readonly address: string
  readonly nodeName: string
  readonly subnet: string
  readonly now: number
  readonly expiresAt: number
}

export interface OfferBody {
  properties: Record<string, unknown>
  constraints: string
}

const GIB_STEP = 100

export function offerOf(preset: ProviderPreset, context: OfferContext): OfferBody {
  const { machine, settings } = context
  const threads = Math.min(settings.cores, machine.threads)
  const platforms = Object.fromEntries(context.platforms.map(platform => [`golem.com.payment.platform.${platform}.address`, context.address]))
  const properties: Record<string, unknown> = {
    'golem.node.id.name': context.nodeName,
    'golem.node.debug.subnet': context.subnet,
    'golem.inf.cpu.architecture': machine.architecture,
    'golem.inf.cpu.model': machine.cpuModel,
    'golem.inf.cpu.cores': threads,
    'golem.inf.cpu.threads': threads,
    'golem.inf.mem.gib': floorTo(Math.min(settings.memoryGib, machine.memoryGib)),
    'golem.inf.storage.gib': floorTo(Math.min(settings.diskGib, machine.diskGib)),
    ...context.runtimeProperties,
    'golem.srv.caps.multi-activity': true,
    'golem.srv.caps.payload-manifest': false,
    'golem.com.scheme': 'payu',
    'golem.com.scheme.payu.debit-note.interval-sec?': settings.debitNoteInterval.preferredSec,
    'golem.com.scheme.payu.payment-timeout-sec?': settings.paymentTimeout.preferredSec,
    'golem.com.payment.debit-notes.accept-timeout?': settings.acceptTimeout.preferredSec,
    ...platforms,
    ...linearPriceProperties(preset.pricing),
    [PRESET_PROPERTY]: preset.name,
    [SUBSCRIPTION_EXPIRATION_PROPERTY]: context.expiresAt
  }
  // The shortest agreement the provider takes; the negotiation checks it again against the time it is proposed.
  const constraints = `(golem.srv.comp.expiration>${context.now + settings.minAgreementSec * 1000})`
  return { properties, constraints }
}

/**
 * One preset's offer of one dataset: the preset's offer, the dataset's
 * descriptor (agora.data.*), the dataset's price added to the preset's, and
 * a constraint that only a demand naming the dataset matches.
 */
export function dataOfferOf(preset: ProviderPreset, dataset: DatasetDescriptor, context: OfferContext): OfferBody {
  const plain = offerOf({ ...preset, pricing: withDatasetPrice(preset.pricing, dataset.price) }, context)
  return {
    properties: { ...plain.properties, ...descriptorProperties(dataset) },
    constraints: `(&${plain.constraints}(${DATA_PROPERTY.name}=${dataset.name}))`
  }
}

/** Two decimals, rounded down. */
function floorTo(gib: number): number {
  return Math.max(0, Math.floor(gib * GIB_STEP) / GIB_STEP)
}
