// The provider agent as a daemon module: the settings and presets store, the
// offers kept live from them, and the deal keeper acting on those offers'
// proposals and agreements. With `modules.provider.offer` false (the default;
// `agora service run --provider` sets it) only the settings and the status are
// served: the node publishes nothing.
import Type from 'typebox'
import { systemClock, validator } from '../../net/index.ts'
import type { Clock } from '../../net/index.ts'
import { providerRoutes, PROVIDER_API_PREFIX } from '../api/provider-routes.ts'
import type { ProviderDesk } from '../api/provider-routes.ts'
import type { ApiRoute } from '../api/server.ts'
import { DealKeeper } from '../provider/deals/deal-keeper.ts'
import type { DealCustody } from '../provider/deals/deal-keeper.ts'
import { dataOfferSource, OfferKeeper } from '../provider/offers/index.ts'
import type { RuntimeAnswer } from '../provider/offers/index.ts'
import { readMachine, SettingsStore } from '../provider/settings/index.ts'
import type { Machine } from '../provider/settings/index.ts'
import { earningsOf, providerStatus } from '../provider/status/index.ts'
import type { DaemonModule, ModuleContext } from '../service/module.ts'
import type { Sublevel } from '../store/store.ts'
import type { ActivityModule } from './activity-module.ts'
import type { CustodyModule } from './custody-module.ts'
import type { MarketModule } from './market-module.ts'
import type { PaymentModule } from './payment-module.ts'

/** `modules.provider` in the config file. */
const ProviderSection = Type.Object(
  {
    /** Publish the presets' offers and serve agreements on them. */
    offer: Type.Optional(Type.Boolean()),
    /** golem.node.id.name (default agora-<the node id's first hex digits>). */
    nodeName: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    /** golem.node.debug.subnet (default "public", as golem-js asks). */
    subnet: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    /** How long before an offer expires its successor is published. */
    republishMarginMs: Type.Optional(Type.Integer({ minimum: 100 })),
    /** How often the agent looks at its Approved agreements (ms). */
    dealWatchIntervalMs: Type.Optional(Type.Integer({ minimum: 10 })),
    /** How long deliveries to a requester may fail before its agreements end with RequestorUnreachable (ms). */
    requesterUnreachableMs: Type.Optional(Type.Integer({ minimum: 100 })),
    /** How long after its due date a payable debit note may still be paid before DebitNoteNotPaid (ms). */
    paymentGraceMs: Type.Optional(Type.Integer({ minimum: 0 }))
  },
  { additionalProperties: false }
)
const providerSection = validator(ProviderSection, 'config modules.provider')
const HOUR = 3_600_000

export interface ProviderModuleComponents {
  clock?: Clock
  /** The machine the offers describe (default: read from the OS and the data dir's file system). */
  machine?: (dataDir: string) => Promise<Machine>
  /** The runtimes that answer (default: the exe-unit's, e.g. vm only when the Docker engine answered). */
  runtimes?: () => Promise<readonly RuntimeAnswer[]>
  /** The owner's datasets (offered beside the presets) and policies (asked in negotiation). */
  custody?: CustodyModule
}

export class ProviderModule implements DaemonModule {
  readonly name = 'provider'
  readonly config = providerSection
  readonly #market: MarketModule
  readonly #activity: ActivityModule
  readonly #payment: PaymentModule
  readonly #components: ProviderModuleComponents
  #store: SettingsStore | null = null
  #offers: OfferKeeper | null = null
  #deals: DealKeeper | null = null
  routes: ApiRoute[] = []

  constructor(market: MarketModule, activity: ActivityModule, payment: PaymentModule, components: ProviderModuleComponents = {}) {
    this.#market = market
    this.#activity = activity
    this.#payment = payment
    this.#components = components
  }

  get settings(): SettingsStore {
    if (this.#store === null) throw new Error('the provider module has not started')
    return this.#store
  }

  /** The offer keeper; null when the node does not offer. */
  get offers(): OfferKeeper | null {
    return this.#offers
  }

  get deals(): DealKeeper | null {
    return this.#deals
  }

  async start(context: ModuleContext): Promise<void> {
    const section = providerSection.parse(context.config.modules.provider ?? {})
    const clock = this.#components.clock ?? systemClock
    const logger = context.logger.child({ component: 'provider' })
    const dataDir = context.config.dataDir
    // The exe-unit grants no more threads and memory than its limits, so the offers never promise more.
    const limits = this.#activity.exeUnit.limits
    const machine = async (): Promise<Machine> => {
      const seen = await (this.#components.machine ?? readMachine)(dataDir)
      return { ...seen, threads: Math.min(seen.threads, limits.maxThreads), memoryGib: Math.min(seen.memoryGib, limits.maxMemoryGib) }
    }
    const sublevel = (name: string): Sublevel => context.db.sublevel<string, unknown>(name, { valueEncoding: 'json' }) as unknown as Sublevel
    const store = new SettingsStore({ db: sublevel('settings'), machine, logger })
    await store.open()
    this.#store = store
    const market = this.#market.market
    const exeUnit = this.#activity.exeUnit
    const payment = this.#payment
    const offering = section.offer === true

    if (offering) {
      const platforms = (): string[] => payment.settlement.platforms.networks.flatMap(network => [network.platform, ...network.aliases])
      const marketTtl = (context.config.modules.market as { subscriptionTtlMs?: number } | undefined)?.subscriptionTtlMs ?? HOUR
      const offers = new OfferKeeper(
        {
          market,
          settings: store,
          machine,
          // Asked again each time: a Docker engine started after the node is offered once it answers.
          runtimes: this.#components.runtimes ?? (async () => await exeUnit.checkRuntimes()),
          platforms,
          address: context.key.nodeId.toLowerCase(),
          db: sublevel('offers'),
          clock,
          logger: logger.child({ component: 'provider:offers' }),
          ...(this.#components.custody === undefined ? {} : { datasets: dataOfferSource(this.#components.custody.datasets, this.#components.custody.policies) })
        },
        {
          offerTtlMs: marketTtl,
          ...(section.republishMarginMs === undefined ? {} : { republishMarginMs: section.republishMarginMs }),
          ...(section.nodeName === undefined ? {} : { nodeName: section.nodeName }),
          ...(section.subnet === undefined ? {} : { subnet: section.subnet })
        }
      )
      const deals = new DealKeeper(
        {
          market,
          exeUnit,
          payments: payment.api,
          ledger: payment.ledger,
          supportsPlatform: name => payment.settlement.platforms.has(name),
          settings: store,
          offers,
          db: sublevel('deals'),
          clock,
          logger: logger.child({ component: 'provider:deals' }),
          // Debit notes, approvals and closings that do not get through tell an unreachable requester.
          outboxes: [this.#market.outbox, payment.outbox.outbox],
          ...settlementOf(context.config.modules.payment),
          ...custodyOf(this.#components.custody)
        },
        {
          ...(section.dealWatchIntervalMs === undefined ? {} : { watchIntervalMs: section.dealWatchIntervalMs }),
          ...(section.requesterUnreachableMs === undefined ? {} : { unreachableAfterMs: section.requesterUnreachableMs }),
          ...(section.paymentGraceMs === undefined ? {} : { paymentGraceMs: section.paymentGraceMs })
        }
      )
      await offers.start()
      this.#offers = offers
      await deals.start()
      this.#deals = deals
    }

    const desk: ProviderDesk = {
      settings: () => store.settings(),
      updateSettings: async body => await store.updateSettings(body),
      presets: () => store.presets(),
      createPreset: async body => await store.createPreset(body),
      updatePreset: async (name, body) => await store.updatePreset(name, body),
      removePreset: async name => {
        await store.removePreset(name)
      },
      status: () => {
        const offers = this.#offers
        return providerStatus({
          offering: offers !== null && store.settings().offering,
          ...(offers === null
            ? { notOffering: 'this node does not offer (modules.provider.offer is false: start it with agora service run --provider)' }
            : store.settings().offering
              ? {}
              : { notOffering: 'offering is off (agora provider settings set --offering on)' }),
          offers: offers?.liveOffers() ?? [],
          unpublished: offers?.unpublished() ?? [],
          agreements: market.listAgreements().flatMap(entry => {
            const record = market.agreementRecord(entry.id)
            return record === undefined ? [] : [{ state: record.state, role: record.role }]
          }),
          activities: exeUnit.listActivities().map(activity => ({ state: activity.state.state[0] })),
          earnings: earningsOf(payment.ledger)
        })
      }
    }
    this.routes = [{ prefix: PROVIDER_API_PREFIX, plugin: providerRoutes(desk) }]
  }

  /** The deal keeper first (no new agreements), then the offers are withdrawn. */
  async stop(): Promise<void> {
    await this.#deals?.stop()
    await this.#offers?.stop()
  }
}

/** The owner's policies, asked in negotiation on demands naming a dataset. */
function custodyOf(custody: CustodyModule | undefined): { custody?: DealCustody } {
  const deals = custody?.dealCustody
  return deals === undefined ? {} : { custody: deals }
}

/** The payment module's configured default settlement, read from its section as the deal keeper needs it. */
function settlementOf(section: unknown): { defaultSettlement?: 'escrow' | 'direct' } {
  const settlement = (section as { settlement?: unknown } | undefined)?.settlement
  return settlement === 'escrow' || settlement === 'direct' ? { defaultSettlement: settlement } : {}
}
