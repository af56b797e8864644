// The composition root: brings a node up from its config, in dependency order,
// and takes it down in the reverse order.
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { rm } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { CodedError, NetHost, writeFileAtomic } from '../../net/index.ts'
import type { NodeKey } from '../../net/index.ts'
import { startAdminServer } from '../admin/admin-server.ts'
import type { NodeStatus } from '../admin/node-ops.ts'
import { APP_KEYS_SUBLEVEL, AppKeys } from '../app-keys/app-keys.ts'
import type { AppKeyInfo, AppKeyVerifier } from '../app-keys/app-keys.ts'
import { NODE_API_PREFIX, nodeRoutes } from '../api/node-routes.ts'
import { createApiServer } from '../api/server.ts'
import { DAEMON_VERSION } from '../api/version-routes.ts'
import { DASHBOARD_PATH, DashboardSessions, dashboardCookieAuth, dashboardRoutes, defaultDashboardDir, loadDashboardAssets } from '../dashboard/index.ts'
import type { ApiRoute } from '../api/server.ts'
import type { DaemonConfig, DaemonSecrets } from '../config/schema.ts'
import { Store } from '../store/store.ts'
import { prepareDataDir } from './data-dir.ts'
import { createLogger } from './logger.ts'
import type { Logger } from './logger.ts'
import type { DaemonModule } from './module.ts'
import { checkModuleSections } from './module-config.ts'
import { loadNodeKey } from './node-key.ts'

/** The name AGORA_APPKEY's key is kept under. */
export const AUTO_APP_KEY_NAME = 'autoconf'

export interface AgoraServiceOptions {
  modules?: DaemonModule[]
  /** Defaults to JSON lines on stdout at the config's log level. */
  logger?: Logger
  /** Where the dashboard's built files are (default: dist/dashboard). */
  dashboardDir?: string
}

interface Stopper {
  what: string
  stop: () => Promise<void>
}

/** A start that was stopped before it was done (stop() or a signal during start-up). */
export class StartAbortedError extends CodedError<'Unavailable'> {
  override name = 'StartAbortedError'

  constructor(message: string, options?: ErrorOptions) {
    super('Unavailable', message, options)
  }
}

export class AgoraService {
  readonly #modules: DaemonModule[]
  readonly #givenLogger: Logger | undefined
  readonly #dashboardDir: string | undefined
  #dashboard: DashboardSessions | null = null
  // What has been started, to be stopped in reverse.
  #stoppers: Stopper[] = []
  #state: 'new' | 'starting' | 'running' | 'stopping' | 'stopped' = 'new'
  #key: NodeKey | null = null
  #net: NetHost | null = null
  #apiUrl: string | null = null
  #appKeys: AppKeys | null = null
  #api: FastifyInstance | null = null
  // The key the admin socket passes REST calls on with: in memory only, new at each start.
  readonly #adminApiKey = randomBytes(32).toString('hex')
  #logger: Logger | null = null
  #starting: Promise<void> | null = null
  // Aborted by a stop asked for while starting: the start gives up at its next step.
  readonly #startAbort = new AbortController()

  constructor(options: AgoraServiceOptions = {}) {
    this.#modules = options.modules ?? []
    this.#givenLogger = options.logger
    this.#dashboardDir = options.dashboardDir
    const names = new Set<string>([APP_KEYS_SUBLEVEL])
    for (const module of this.#modules) {
      if (names.has(module.name)) throw new Error(`module name ${module.name} is taken`)
      names.add(module.name)
    }
  }

  get nodeId(): string | null {
    return this.#key?.nodeId ?? null
  }
  get apiUrl(): string | null {
    return this.#apiUrl
  }
  get appKeys(): AppKeys | null {
    return this.#appKeys
  }

  status(): NodeStatus {
    if (this.#key === null) throw new Error('not started')
    return {
      nodeId: this.#key.nodeId,
      peerId: this.#key.peerId.toString(),
      running: this.#state === 'running',
      apiUrl: this.#apiUrl,
      addresses: this.#net?.addresses() ?? [],
      reachability: this.#net === null ? null : this.#net.reachability()
    }
  }

  /**
   * A single-use dashboard login link (60 s): its session acts as the app-key
   * named, or, with none, as the admin socket's own identity, which whoever may
   * open the socket holds already.
   */
  dashboardLogin(appKeyName?: string): { url: string; expiresAt: string; appKey: string } {
    if (this.#dashboard === null || this.#apiUrl === null || this.#appKeys === null) {
      throw new CodedError('Unavailable', 'the REST API is not up yet')
    }
    let appKey: AppKeyInfo = { name: ADMIN_API_KEY_NAME, id: ADMIN_API_KEY_NAME, createdAt: new Date().toISOString() }
    if (appKeyName !== undefined) {
      const found = this.#appKeys.list().find(known => known.name === appKeyName || known.id === appKeyName)
      if (found === undefined) throw new CodedError('NotFound', `no app-key named ${appKeyName}`)
      appKey = found
    }
    const { token, expiresAt } = this.#dashboard.issueLoginToken(appKey)
    return { url: `${this.#apiUrl}${DASHBOARD_PATH}/login?token=${token}`, expiresAt: new Date(expiresAt).toISOString(), appKey: appKey.name }
  }

  /** Starts everything; on failure, stops what had started and rethrows. */
  async start(config: DaemonConfig, secrets: DaemonSecrets = { keyPassphrase: '', autoAppKey: null }): Promise<void> {
    if (this.#state !== 'new') throw new Error(`cannot start a service that is ${this.#state}`)
    // Before the data dir is touched: a bad config changes nothing.
    checkModuleSections(config, this.#modules)
    this.#state = 'starting'
    const logger = this.#givenLogger ?? createLogger(config.log.level)
    this.#logger = logger
    try {
      this.#starting = this.#startAll(config, secrets, logger)
      await this.#starting
    } catch (err) {
      await this.#stopAll(logger)
      this.#state = 'stopped'
      if (this.#startAbort.signal.aborted) {
        logger.info('agora daemon stopped during start-up')
        throw new StartAbortedError('stopped during start-up', { cause: err })
      }
      throw err
    }
    this.#state = 'running'
    logger.info({ nodeId: this.nodeId, api: this.#apiUrl, listen: this.#net?.addresses() ?? [] }, 'agora daemon started')
  }

  /**
   * Waits for one step of the start, unless a stop comes first. A step given
   * up on is undone in the background once it is done, so nothing it opened
   * stays open.
   */
  async #step<T>(work: Promise<T>, undo?: (value: T) => Promise<void>): Promise<T> {
    const signal = this.#startAbort.signal
    signal.throwIfAborted()
    let onAbort = (): void => {}
    const aborted = new Promise<never>((_resolve, reject) => {
      onAbort = () => {
        reject(signal.reason)
      }
      signal.addEventListener('abort', onAbort, { once: true })
    })
    try {
      return await Promise.race([work, aborted])
    } catch (err) {
      if (signal.aborted && undo !== undefined) work.then(undo).catch(() => undefined)
      throw err
    } finally {
      signal.removeEventListener('abort', onAbort)
    }
  }

  /**
   * Starts one part: a stop during its start undoes it, and once started it is
   * stopped with the others (last started first).
   */
  async #startPart<T>(what: string, work: Promise<T>, stop: (started: T) => Promise<void>): Promise<T> {
    const started = await this.#step(work, stop)
    this.#stoppers.push({ what, stop: async () => await stop(started) })
    return started
  }

  async #startAll(config: DaemonConfig, secrets: DaemonSecrets, logger: Logger): Promise<void> {
    const paths = await this.#step(prepareDataDir(config.dataDir))
    const { key, created } = await this.#step(loadNodeKey(paths, config, secrets))
    this.#key = key
    logger.info({ nodeId: key.nodeId, created }, created ? 'node key created' : 'node key loaded')
    if (secrets.keyPassphrase === '') logger.warn('the node key is stored without a passphrase (set AGORA_KEY_PASSPHRASE)')

    const store = await this.#startPart('store', Store.open(paths.db), async opened => await opened.close())

    const appKeys = await this.#step(
      AppKeys.open(store.sublevel(APP_KEYS_SUBLEVEL), bad => {
        logger.warn({ module: APP_KEYS_SUBLEVEL, ...bad }, 'a stored record could not be loaded: set aside')
      })
    )
    this.#appKeys = appKeys
    if (secrets.autoAppKey !== null) {
      const info = await this.#step(appKeys.ensure(AUTO_APP_KEY_NAME, secrets.autoAppKey))
      logger.info({ name: info.name, id: info.id }, 'AGORA_APPKEY is an app-key')
    }

    const net = new NetHost({
      key,
      listen: config.net.listen,
      bootstrap: config.net.bootstrap,
      announce: config.net.announce,
      // A relay is meant to be reachable itself: it holds no reservation elsewhere.
      nat: { relayServer: config.net.relay, upnp: config.net.upnp, webrtc: config.net.webrtc, ...(config.net.relay ? { reservations: 0 } : {}) },
      logger: logger.child({ module: 'net' })
    })
    await this.#startPart('net', net.start(), async () => await net.stop())
    this.#net = net
    logger.info({ listen: net.addresses() }, 'network started')

    const startedAt = Date.now()
    const routes: ApiRoute[] = [
      {
        prefix: NODE_API_PREFIX,
        plugin: nodeRoutes({
          nodeId: key.nodeId,
          peerId: key.peerId.toString(),
          version: DAEMON_VERSION,
          startedAt,
          now: () => Date.now(),
          addresses: () => net.addresses(),
          observedAddresses: () => net.observedAddresses(),
          reachability: () => net.reachability(),
          peers: () => net.connectedScores(),
          offersKnown: () => this.#modules.reduce((sum, module) => sum + (module.facts?.().offersKnown ?? 0), 0),
          rssBytes: () => process.memoryUsage.rss()
        })
      }
    ]
    for (const module of this.#modules) {
      const moduleLogger = logger.child({ module: module.name })
      await this.#startPart(
        `module ${module.name}`,
        module.start({ config, key, db: store.sublevel(module.name), net, logger: moduleLogger }),
        async () => await module.stop()
      )
      routes.push(...(module.routes ?? []))
    }

    // The admin socket comes up before the API, so that once "api listening"
    // is logged, the CLI can manage the daemon; the API is the first to stop.
    await this.#startPart(
      'admin socket',
      startAdminServer({
        socketPath: paths.adminSocket,
        appKeys,
        status: () => this.status(),
        dashboardLogin: appKeyName => this.dashboardLogin(appKeyName),
        api: () => (this.#api === null ? null : { server: this.#api, key: this.#adminApiKey }),
        logger: logger.child({ module: 'admin' })
      }),
      async started => await started.close()
    )

    // Sessions live in memory only: a restart logs every dashboard out.
    const dashboard = new DashboardSessions({
      appKeyExists: appKey => appKey.id === ADMIN_API_KEY_NAME || appKeys.list().some(known => known.id === appKey.id)
    })
    this.#dashboard = dashboard
    const assets = await this.#step(loadDashboardAssets(this.#dashboardDir ?? defaultDashboardDir()))
    const api = await this.#startPart(
      'api',
      createApiServer({
        appKeys: withAdminKey(appKeys, this.#adminApiKey),
        identity: { nodeId: key.nodeId },
        routes,
        dashboard: {
          prefix: DASHBOARD_PATH,
          routes: dashboardRoutes({ sessions: dashboard, assets, nodeId: key.nodeId }),
          cookies: dashboardCookieAuth(dashboard)
        },
        logger: logger.child({ module: 'api' })
      }),
      async created => await created.close()
    )
    await this.#step(api.listen({ host: config.api.host, port: config.api.port }))
    this.#api = api
    this.#stoppers.push({
      what: 'admin api passthrough',
      stop: async () => {
        this.#api = null
      }
    })
    this.#apiUrl = urlOf(api)
    // Written whole or not at all: a CLI reading it never sees it half written.
    this.#stoppers.push({
      what: 'api.url',
      stop: async () => {
        await rm(paths.apiUrl, { force: true })
      }
    })
    await this.#step(writeFileAtomic(paths.apiUrl, `${this.#apiUrl}\n`, 0o644))
    logger.info({ url: this.#apiUrl }, 'api listening')
  }

  /** Stops the API, the admin socket, the modules (last started first), the network and the store. */
  async stop(): Promise<void> {
    // A stop asked for during start ends the start at its next step (undoing
    // what had started), then finds nothing left to stop.
    if (this.#state === 'starting') {
      this.#startAbort.abort(new StartAbortedError('stopped during start-up'))
      await this.#starting?.catch(() => undefined)
    }
    if (this.#state !== 'running') return
    this.#state = 'stopping'
    const logger = this.#logger ?? createLogger('silent')
    await this.#stopAll(logger)
    this.#state = 'stopped'
    logger.info('agora daemon stopped')
  }

  // Keeps going past a failing part, so the store still gets closed.
  async #stopAll(logger: Logger): Promise<void> {
    for (const stopper of this.#stoppers.reverse()) {
      try {
        await stopper.stop()
      } catch (err) {
        logger.error({ err, part: stopper.what }, 'failed to stop cleanly')
      }
    }
    this.#stoppers = []
  }
}

/** The name the admin socket's REST calls carry (GET /me shows it). */
export const ADMIN_API_KEY_NAME = 'admin-socket'

/** The app-keys, and the admin socket's in-memory key. */
function withAdminKey(appKeys: AppKeyVerifier, adminKey: string): AppKeyVerifier {
  const expected = Buffer.from(adminKey)
  const info: AppKeyInfo = { name: ADMIN_API_KEY_NAME, id: ADMIN_API_KEY_NAME, createdAt: new Date().toISOString() }
  return {
    verify: key => {
      const given = Buffer.from(key)
      if (given.length === expected.length && timingSafeEqual(given, expected)) return info
      return appKeys.verify(key)
    }
  }
}

function urlOf(api: FastifyInstance): string {
  const address = api.server.address() as AddressInfo
  // A wildcard address is reached through loopback.
  let host = address.address
  if (host === '0.0.0.0') host = '127.0.0.1'
  if (host === '::') host = '::1'
  return `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`
}
