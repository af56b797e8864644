// The agent's offers: one per preset whose runtime answers (and one per
// preset and dataset the owner registered), published through
// the market, re-published before they expire (a new offer is live before the
// old one ends, so the provider never goes dark), and replaced all at once
// when the settings or presets change (the old ones are withdrawn after the
// new are live). The offers it published — and only those — are its own; it
// remembers them across restarts, so an agreement on an earlier offer still
// finds its preset. Between publications the runtimes are asked again every
// minute: a runtime that comes up (a Docker engine started after the node) or
// goes away has its offers published or withdrawn then, not at the next renewal.
import { TypedEventEmitter } from '@libp2p/interface'
import type { Clock, TimerHandle } from '../../../net/index.ts'
import { CodedError } from '../../../net/kernel.ts'
import type { Sublevel } from '../../store/store.ts'
import { DURABLE } from '../../store/store.ts'
import type { Logger } from '../../service/logger.ts'
import type { AgentOffers, ProviderPreset, ProviderSettingsSource } from '../model.ts'
import type { Machine } from '../settings/index.ts'
import type { DatasetDescriptor } from '../../../custody/index.ts'
import { withDatasetPrice } from '../pricing/index.ts'
import { dataOfferOf, offerOf } from './offer-properties.ts'
import type { OfferBody } from './offer-properties.ts'

/** A runtime as the exe-unit reports it: whether it answers, and what its offers state. */
export interface RuntimeAnswer {
  readonly name: string
  readonly available: boolean
  readonly error?: string
  readonly offerProperties: Readonly<Record<string, unknown>>
}

/** The datasets offered beside the presets: their descriptors now, and a call when they change. */
export interface DataOfferSource {
  descriptors(): readonly DatasetDescriptor[]
  /** Called after a dataset is added or removed, or its policy changes; returns the unsubscribe. */
  onChange(listener: () => void): () => void
}

/** What the keeper needs of the market. */
export interface OfferMarket {
  subscribe(kind: 'offer', body: unknown): Promise<string>
  unsubscribe(kind: 'offer', id: string): Promise<void>
}

export interface OfferKeeperComponents {
  readonly market: OfferMarket
  readonly settings: ProviderSettingsSource
  readonly machine: () => Promise<Machine>
  /** Asked at every publication: a preset whose runtime does not answer is not published. */
  readonly runtimes: () => Promise<readonly RuntimeAnswer[]>
  /** The payment platforms (names and aliases) this node is paid on. */
  readonly platforms: () => readonly string[]
  /** The node's payee address (lowercase). */
  readonly address: string
  /** The keeper's own slice of the store. */
  readonly db: Sublevel
  readonly clock: Clock
  readonly logger: Logger
  /** The owner's datasets: each is offered once per published preset. */
  readonly datasets?: DataOfferSource
}

export interface OfferKeeperInit {
  /** How long each offer lives (the market's subscription TTL by default: one hour). */
  readonly offerTtlMs?: number
  /** How long before an offer expires its successor is published (default: a tenth of the TTL, at most 5 minutes). */
  readonly republishMarginMs?: number
  readonly nodeName?: string
  /** golem.node.debug.subnet; golem-js asks for "public" unless told otherwise. */
  readonly subnet?: string
  /** Withdrawn offers remembered, for agreements made on them (default 1,000). */
  readonly keptRetired?: number
  /** How often the runtimes are asked again between publications (default one minute). */
  readonly runtimeCheckMs?: number
}

export interface PublishedOffer {
  readonly offerId: string
  /** The preset as published: for a data offer, its prices with the dataset's added. */
  readonly preset: ProviderPreset
  /** The dataset a data offer offers. */
  readonly dataset?: string
  readonly publishedAt: number
  readonly expiresAt: number
}

export interface UnpublishedPreset {
  readonly preset: string
  readonly reason: string
}

export interface OfferKeeperEvents {
  /** A publication ended: these offers are live (the previous ones withdrawn). */
  'offers:published': CustomEvent<{ offers: readonly PublishedOffer[]; unpublished: readonly UnpublishedPreset[] }>
  /** The keeper stopped: these offers were withdrawn. */
  'offers:withdrawn': CustomEvent<{ offers: readonly PublishedOffer[] }>
}

const HOUR = 3_600_000
const RECORD_KEY = 'offers'

interface OffersRecord {
  live: PublishedOffer[]
  /** Replaced offers not yet known to be withdrawn (a crash may come between). */
  withdrawing?: PublishedOffer[]
  retired: PublishedOffer[]
}

export class OfferKeeper extends TypedEventEmitter<OfferKeeperEvents> implements AgentOffers {
  readonly #components: OfferKeeperComponents
  readonly #ttlMs: number
  readonly #marginMs: number
  readonly #nodeName: string
  readonly #subnet: string
  readonly #keptRetired: number
  readonly #runtimeCheckMs: number
  /** Which runtimes answered at the last publication. */
  #answered = ''
  #runtimeTimer: TimerHandle | undefined
  #checkingRuntimes = false
  #live: PublishedOffer[] = []
  #retired: PublishedOffer[] = []
  #unpublished: UnpublishedPreset[] = []
  #timer: TimerHandle | undefined
  #running = false
  #stopChanges: (() => void) | undefined
  /** The publication under way, and whether another must follow it (a change came meanwhile). */
  #publishing: Promise<void> | undefined
  #again = false

  constructor(components: OfferKeeperComponents, init: OfferKeeperInit = {}) {
    super()
    this.#components = components
    this.#ttlMs = init.offerTtlMs ?? HOUR
    this.#marginMs = Math.min(init.republishMarginMs ?? Math.min(this.#ttlMs / 10, 5 * 60_000), this.#ttlMs / 2)
    this.#nodeName = init.nodeName ?? `agora-${components.address.slice(2, 10)}`
    this.#subnet = init.subnet ?? 'public'
    this.#keptRetired = init.keptRetired ?? 1000
    this.#runtimeCheckMs = init.runtimeCheckMs ?? 60_000
  }

  async start(): Promise<void> {
    if (this.#running) return
    const stored = (await this.#components.db.get(RECORD_KEY)) as OffersRecord | undefined
    // Offers a crash left live (or half withdrawn) are withdrawn once the new ones are: they count as live until then.
    this.#live = [...(stored?.live ?? []), ...(stored?.withdrawing ?? [])]
    this.#retired = stored?.retired ?? []
    this.#running = true
    const changed = (): void => {
      void this.refresh()
    }
    const stopSettings = this.#components.settings.onChange(changed)
    const stopDatasets = this.#components.datasets?.onChange(changed)
    this.#stopChanges = () => {
      stopSettings()
      stopDatasets?.()
    }
    await this.refresh()
    this.#scheduleRuntimeCheck()
  }

  /** Withdraws the live offers: a stopped provider does not advertise. */
  async stop(): Promise<void> {
    if (!this.#running) return
    this.#running = false
    this.#stopChanges?.()
    if (this.#timer !== undefined) this.#components.clock.clearTimeout(this.#timer)
    this.#timer = undefined
    if (this.#runtimeTimer !== undefined) this.#components.clock.clearTimeout(this.#runtimeTimer)
    this.#runtimeTimer = undefined
    await this.#publishing
    const live = this.#live
    this.#retire(live)
    this.#live = []
    await this.#save(live)
    await this.#withdraw(live)
    await this.#save()
    this.safeDispatchEvent('offers:withdrawn', { detail: { offers: live } })
  }

  presetOf(offerId: string): ProviderPreset | undefined {
    return (this.#live.find(offer => offer.offerId === offerId) ?? this.#retired.find(offer => offer.offerId === offerId))?.preset
  }

  offerIds(): readonly string[] {
    return this.#live.map(offer => offer.offerId)
  }

  /** The live offers, with their presets as they were published. */
  liveOffers(): readonly PublishedOffer[] {
    return this.#live
  }

  /** Called after the offers were published, replaced or withdrawn; returns the unsubscribe. */
  onChange(listener: () => void): () => void {
    const onPublished = (): void => {
      listener()
    }
    this.addEventListener('offers:published', onPublished)
    this.addEventListener('offers:withdrawn', onPublished)
    return () => {
      this.removeEventListener('offers:published', onPublished)
      this.removeEventListener('offers:withdrawn', onPublished)
    }
  }

  /** Presets not published now, and why. */
  unpublished(): readonly UnpublishedPreset[] {
    return this.#unpublished
  }

  /** Publishes every preset's offer anew and withdraws the previous ones; concurrent calls share one publication after the current. */
  async refresh(): Promise<void> {
    this.#again = true
    // Until a round began after this call: one that asked for it between the last round and the
    // publication's end would otherwise wait on a publication that no longer looks.
    while (this.#again && this.#running) {
      this.#publishing ??= this.#publishRounds().finally(() => {
        this.#publishing = undefined
      })
      await this.#publishing
    }
  }

  async #publishRounds(): Promise<void> {
    while (this.#again && this.#running) {
      this.#again = false
      try {
        await this.#publish()
      } catch (err) {
        this.#components.logger.warn({ err }, 'provider offers: a publication failed; the next is tried in a minute')
        this.#schedule(this.#components.clock.now() + 60_000)
      }
    }
  }

  async #publish(): Promise<void> {
    const { settings: source, clock, logger } = this.#components
    const settings = source.settings()
    const presets = source.presets()
    const [machine, runtimes] = await Promise.all([this.#components.machine(), this.#components.runtimes()])
    this.#answered = answeredOf(runtimes)
    const now = clock.now()
    const expiresAt = now + this.#ttlMs
    const unpublished: UnpublishedPreset[] = []
    const datasets = this.#components.datasets?.descriptors() ?? []
    const bodies: Array<{ preset: ProviderPreset; dataset?: string; body: OfferBody }> = []
    for (const preset of presets) {
      const runtime = runtimes.find(r => r.name === preset.runtime)
      if (!settings.offering) unpublished.push({ preset: preset.name, reason: 'offering is off (agora provider settings set --offering on)' })
      else if (runtime === undefined) unpublished.push({ preset: preset.name, reason: `runtime ${preset.runtime} is not served by this node` })
      else if (!runtime.available) {
        unpublished.push({ preset: preset.name, reason: `runtime ${preset.runtime} does not answer: ${runtime.error ?? 'unavailable'}` })
      } else {
        const context = {
          machine,
          settings,
          runtimeProperties: runtime.offerProperties,
          platforms: this.#components.platforms(),
          address: this.#components.address,
          nodeName: this.#nodeName,
          subnet: this.#subnet,
          now,
          expiresAt
        }
        bodies.push({ preset, body: offerOf(preset, context) })
        for (const dataset of datasets) {
          const priced = { ...preset, pricing: withDatasetPrice(preset.pricing, dataset.price) }
          bodies.push({ preset: priced, dataset: dataset.name, body: dataOfferOf(preset, dataset, context) })
        }
      }
    }
    const published: PublishedOffer[] = []
    for (const { preset, dataset, body } of bodies) {
      try {
        const offerId = await this.#components.market.subscribe('offer', body)
        published.push({ offerId, preset, ...(dataset === undefined ? {} : { dataset }), publishedAt: now, expiresAt })
      } catch (err) {
        logger.warn({ err, preset: preset.name, dataset }, 'provider offers: a preset could not be published')
        const what = dataset === undefined ? 'its offer' : `its offer of the dataset ${dataset}`
        unpublished.push({ preset: preset.name, reason: `the market refused ${what}: ${err instanceof CodedError ? err.message : 'internal error'}` })
      }
    }
    // The new offers are live: only now are the old ones withdrawn.
    const previous = this.#live
    this.#live = published
    this.#unpublished = unpublished
    this.#retire(previous)
    await this.#save(previous)
    await this.#withdraw(previous)
    await this.#save()
    if (published.length > 0) this.#schedule(Math.min(...published.map(offer => offer.expiresAt)) - this.#marginMs)
    else if (this.#timer !== undefined) {
      this.#components.clock.clearTimeout(this.#timer)
      this.#timer = undefined
    }
    logger.info({ offers: published.map(o => ({ offerId: o.offerId, preset: o.preset.name, dataset: o.dataset })), unpublished }, 'provider offers published')
    this.safeDispatchEvent('offers:published', { detail: { offers: published, unpublished } })
  }

  /** Asks the runtimes again every runtimeCheckMs (one question at a time); publishes anew when which of them answer changed. */
  #scheduleRuntimeCheck(): void {
    if (!this.#running) return
    const { clock, logger } = this.#components
    this.#runtimeTimer = clock.setTimeout(() => {
      this.#scheduleRuntimeCheck()
      if (this.#checkingRuntimes) return
      this.#checkingRuntimes = true
      void (async () => {
        let answered: string
        try {
          answered = answeredOf(await this.#components.runtimes())
        } catch (err) {
          logger.warn({ err }, 'provider offers: the runtimes could not be asked; asked again later')
          return
        } finally {
          this.#checkingRuntimes = false
        }
        // A publication under way is followed by one more (refresh shares them), which asks the runtimes itself.
        if (this.#running && answered !== this.#answered) {
          logger.info({ was: this.#answered, now: answered }, 'provider offers: the runtimes that answer changed; publishing anew')
          await this.refresh()
        }
      })()
    }, this.#runtimeCheckMs)
  }

  #schedule(at: number): void {
    if (!this.#running) return
    const { clock } = this.#components
    if (this.#timer !== undefined) clock.clearTimeout(this.#timer)
    this.#timer = clock.setTimeout(
      () => {
        this.#timer = undefined
        void this.refresh()
      },
      Math.max(0, at - clock.now())
    )
  }

  async #withdraw(offers: readonly PublishedOffer[]): Promise<void> {
    for (const offer of offers) {
      await this.#components.market.unsubscribe('offer', offer.offerId).catch((err: unknown) => {
        // An offer that already ended (expired, or removed through the Market API) needs nothing more.
        if (err instanceof CodedError && (err.code === 'NotFound' || err.code === 'Gone')) return
        this.#components.logger.warn({ err, offerId: offer.offerId }, 'provider offers: an old offer was not withdrawn')
      })
    }
  }

  #retire(offers: readonly PublishedOffer[]): void {
    this.#retired = [...offers, ...this.#retired].slice(0, this.#keptRetired)
  }

  async #save(withdrawing: readonly PublishedOffer[] = []): Promise<void> {
    const record: OffersRecord = { live: this.#live, withdrawing: [...withdrawing], retired: this.#retired }
    await this.#components.db.put(RECORD_KEY, record, DURABLE)
  }
}

/** The runtimes that answer, as one comparable string. */
function answeredOf(runtimes: readonly RuntimeAnswer[]): string {
  return runtimes
    .filter(runtime => runtime.available)
    .map(runtime => runtime.name)
    .sort()
    .join(',')
}
