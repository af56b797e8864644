// Secure aggregation in the custody module: every daemon is an aggregator
// for the sessions its requesters open (REST + `/agora/secagg/1`), and an
// owner whose activities contribute partials to other requesters' sessions.
import { SecaggAggregator, SecaggOwner, noise as privacyNoise } from '../../custody/index.ts'
import type { NoiseSource, PrivacyLedger } from '../../custody/index.ts'
import type { Clock } from '../../net/index.ts'
import type { ApiRoute } from '../api/server.ts'
import type { ModuleContext } from '../service/module.ts'
import { secaggRoutes } from './secagg-routes.ts'

export interface SecaggParts {
  clock?: Clock
  /** The owner's privacy noise (default: custody/privacy's exact samplers). */
  noise?: NoiseSource
  ledger?: PrivacyLedger
}

export interface SecaggWiring {
  readonly aggregator: SecaggAggregator
  readonly contributor: SecaggOwner
  stop(): Promise<void>
}

/** The routes are mounted before start; they reach the aggregator once it exists. */
export function secaggApiRoute(prefix: string, wiring: () => SecaggWiring | undefined): ApiRoute {
  return {
    prefix,
    plugin: secaggRoutes(() => {
      const started = wiring()
      if (started === undefined) throw new Error('secure aggregation is not started')
      return started.aggregator
    })
  }
}

export async function startSecagg(context: ModuleContext, parts: SecaggParts): Promise<SecaggWiring> {
  const logger = context.logger.child({ component: 'secagg' })
  const aggregator = new SecaggAggregator(context.net, { ...(parts.clock === undefined ? {} : { clock: parts.clock }), logger })
  const contributor = new SecaggOwner(context.net, {
    noise: parts.noise ?? ((policy, length, fractionalBits, threshold) => privacyNoise(policy, length, fractionalBits, threshold)),
    ...(parts.ledger === undefined ? {} : { ledger: parts.ledger }),
    logger
  })
  await aggregator.start()
  return {
    aggregator,
    contributor,
    stop: async () => {
      await contributor.stop()
      await aggregator.stop()
    }
  }
}
