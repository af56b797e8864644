// The market as a daemon module: the libp2p market channels, the Market over
// its sublevel, and the Market API v1 routes.
import Type from 'typebox'
import { MAX_SUBSCRIPTION_TTL_MS, Market, marketNetOver, marketOutbox } from '../../market/index.ts'
import { validator } from '../../net/index.ts'
import type { Clock, Outbox } from '../../net/index.ts'
import { MARKET_EXTRAS_PREFIX, marketExplainRoutes } from '../api/market-explain-routes.ts'
import { marketRoutes } from '../api/market-routes.ts'
import type { ApiRoute } from '../api/server.ts'
import type { DaemonModule, ModuleContext } from '../service/module.ts'

/** `modules.market` in the config file. */
const MarketSection = Type.Object(
  {
    subscriptionTtlMs: Type.Optional(Type.Integer({ minimum: 1000, maximum: MAX_SUBSCRIPTION_TTL_MS })),
    proposalTtlMs: Type.Optional(Type.Integer({ minimum: 1000 })),
    maxSubscriptions: Type.Optional(Type.Integer({ minimum: 1 })),
    /** Delay before the first retry of an undelivered approval or closing; it doubles up to outboxMaxRetryMs. */
    outboxMinRetryMs: Type.Optional(Type.Integer({ minimum: 10 })),
    outboxMaxRetryMs: Type.Optional(Type.Integer({ minimum: 10 })),
    /** Approvals and closings allowed to wait for one peer (default 1,000) and for all (default 10,000). */
    outboxMaxPendingPerPeer: Type.Optional(Type.Integer({ minimum: 1 })),
    outboxMaxPending: Type.Optional(Type.Integer({ minimum: 1 }))
  },
  { additionalProperties: false }
)
const marketSection = validator(MarketSection, 'config modules.market')

export const MARKET_API_PREFIX = '/market-api/v1'

/** What the market module takes from the daemon beyond its context: the time (a test's manual clock). */
export interface MarketModuleInit {
  clock?: Clock
}

export class MarketModule implements DaemonModule {
  readonly name = 'market'
  readonly config = marketSection
  readonly #clock: Clock | undefined
  #market: Market | null = null
  #outbox: Outbox | null = null
  routes: ApiRoute[] = []

  constructor(init: MarketModuleInit = {}) {
    this.#clock = init.clock
  }

  /** The offers this node's market knows, for the node's status. */
  facts = (): Record<string, number> => ({ offersKnown: this.#market === null ? 0 : this.#market.offerCount() })

  /** The running market, for the modules that act under its agreements. */
  get market(): Market {
    if (this.#market === null) throw new Error('the market module has not started')
    return this.#market
  }

  /** The market's outbox: approvals and closings waiting for delivery, and its events. */
  get outbox(): Outbox {
    if (this.#outbox === null) throw new Error('the market module has not started')
    return this.#outbox
  }

  async start(context: ModuleContext): Promise<void> {
    const { outboxMinRetryMs, outboxMaxRetryMs, outboxMaxPendingPerPeer, outboxMaxPending, ...section } = marketSection.parse(
      context.config.modules.market ?? {}
    )
    const outbox = marketOutbox({
      host: context.net,
      db: context.db,
      logger: context.logger.child({ component: 'outbox' }),
      ...(this.#clock === undefined ? {} : { clock: this.#clock }),
      ...(outboxMinRetryMs === undefined ? {} : { minRetryMs: outboxMinRetryMs }),
      ...(outboxMaxRetryMs === undefined ? {} : { maxRetryMs: outboxMaxRetryMs }),
      ...(outboxMaxPendingPerPeer === undefined ? {} : { maxPendingPerPeer: outboxMaxPendingPerPeer }),
      ...(outboxMaxPending === undefined ? {} : { maxPending: outboxMaxPending })
    })
    const market = new Market(
      {
        net: marketNetOver(context.net),
        db: context.db,
        outbox,
        logger: context.logger.child({ component: 'market' }),
        ...(this.#clock === undefined ? {} : { clock: this.#clock }),
        onBadRecord: bad => {
          context.logger.warn(bad, 'a stored record could not be loaded: set aside')
        }
      },
      section
    )
    await market.start()
    market.addEventListener('agreement:changed', ({ detail }) => {
      context.logger.info(detail, 'agreement changed')
    })
    this.#market = market
    this.#outbox = outbox
    this.routes = [
      { prefix: MARKET_API_PREFIX, plugin: marketRoutes(market) },
      { prefix: MARKET_EXTRAS_PREFIX, plugin: marketExplainRoutes(market) }
    ]
  }

  async stop(): Promise<void> {
    await this.#market?.stop()
  }
}
