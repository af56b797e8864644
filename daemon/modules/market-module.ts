// The market as a daemon module: the libp2p market channels, the Market over
// its sublevel, and the Market API v1 routes.
import Type from 'typebox'
import { Market, marketNetOver } from '../../market/index.ts'
import { validator } from '../../net/index.ts'
import { marketRoutes } from '../api/market-routes.ts'
import type { ApiRoute } from '../api/server.ts'
import type { DaemonModule, ModuleContext } from '../service/module.ts'

/** `modules.market` in the config file. */
const MarketSection = Type.Object({
  subscriptionTtlMs: Type.Optional(Type.Integer({ minimum: 1000 })),
  proposalTtlMs: Type.Optional(Type.Integer({ minimum: 1000 })),
  maxSubscriptions: Type.Optional(Type.Integer({ minimum: 1 }))
}, { additionalProperties: false })
const marketSection = validator(MarketSection, 'config modules.market')

export const MARKET_API_PREFIX = '/market-api/v1'

export class MarketModule implements DaemonModule {
  readonly name = 'market'
  readonly config = marketSection
  #market: Market | null = null
  routes: ApiRoute[] = []

  /** The running market, for the modules that act under its agreements. */
  get market (): Market {
    if (this.#market === null) throw new Error('the market module has not started')
    return this.#market
  }

  async start (context: ModuleContext): Promise<void> {
    const section = marketSection.parse(context.config.modules.market ?? {})
    const market = new Market({ net: marketNetOver(context.net), db: context.db, logger: context.logger, ...section })
    await market.start()
    market.addEventListener('agreement:changed', ({ detail }) => {
      context.logger.info(detail, 'agreement changed')
    })
    this.#market = market
    this.routes = [{ prefix: MARKET_API_PREFIX, plugin: marketRoutes(market) }]
  }

  async stop (): Promise<void> {
    await this.#market?.stop()
  }
}
