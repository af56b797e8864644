// How a module (market, exe-unit, payment…) plugs into the daemon.
import type { TSchema } from 'typebox'
import type { NetHost, NodeKey, Validator } from '../../net/index.ts'
import type { ApiRoute } from '../api/server.ts'
import type { DaemonConfig } from '../config/schema.ts'
import type { Sublevel } from '../store/store.ts'
import type { Logger } from './logger.ts'

export interface ModuleContext {
  config: DaemonConfig
  key: NodeKey
  /** The module's own slice of the store: the sublevel named after it. */
  db: Sublevel
  /** The node's libp2p host, started: protocols, broadcast, peers. */
  net: NetHost
  logger: Logger
}

export interface DaemonModule {
  /** Lowercase letters, digits and '-': also the name of its sublevel. */
  readonly name: string
  start: (context: ModuleContext) => Promise<void>
  /** Called in reverse start order at shutdown; must end every wait it holds. */
  stop: () => Promise<void>
  /** REST routes, read once after start(). */
  readonly routes?: ApiRoute[]
  /** Small counts the node's status shows (GET /agora-api/v1/node), e.g. the offers the market knows. */
  readonly facts?: () => Record<string, number>
  /**
   * Checks its section `modules.<name>` of the config. The service runs it
   * before anything starts, so a bad value stops the node as a config error.
   */
  readonly config?: Validator<TSchema>
}
