// Agora daemons in this process, each with its own temp data dir, ephemeral
// API and libp2p ports, joined to the network through the first one.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AgoraService, createLogger, defaultModules, loadConfig } from '../../daemon/index.ts'
import type { DaemonConfig, ModuleComponents } from '../../daemon/index.ts'
import type { DaemonModule } from '../../daemon/service/module.ts'
import type { Clock } from '../../net/index.ts'
import { MarketClient } from './market-client.ts'

export interface TestNode {
  service: AgoraService
  dataDir: string
  nodeId: string
  client: MarketClient
  addresses: string[]
  /** The daemon's module instances (for tests that look inside one). */
  modules: DaemonModule[]
  stop: () => Promise<void>
}

export interface NodeOptions {
  bootstrap?: string[]
  dataDir?: string
  /** Changes to the loaded config (e.g. module sections) before start. */
  configure?: (config: DaemonConfig) => void
  /** The time the node's market runs on (a ManualClock makes expiries exact); the system clock by default. */
  clock?: Clock
  /** The provider agent's machine and runtimes, in place of the real ones. */
  provider?: ModuleComponents['provider']
  /** Parts the daemon's modules take instead of their defaults (e.g. usageReadings for a dishonest provider). */
  components?: ModuleComponents
  /** Where the dashboard's built files are (default: dist/dashboard). */
  dashboardDir?: string
}

export const TEST_APP_KEY = 'test-app-key-0000000001'

export class Cluster {
  readonly nodes: TestNode[] = []
  #dir = ''

  async #root(): Promise<string> {
    if (this.#dir === '') this.#dir = await mkdtemp(join(tmpdir(), 'agora-cluster-'))
    return this.#dir
  }

  /** Starts a daemon; by default it bootstraps from the first node of the cluster. */
  async start(options: NodeOptions = {}): Promise<TestNode> {
    const dataDir = options.dataDir ?? join(await this.#root(), `node-${this.nodes.length}`)
    const bootstrap = options.bootstrap ?? (this.nodes[0] === undefined ? [] : [this.nodes[0].addresses[0]!])
    const { config } = await loadConfig({
      flags: { dataDir, apiAddr: '127.0.0.1:0', listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap },
      env: { AGORA_KEYSTORE_COST: 'light' }
    })
    options.configure?.(config)
    const modules = defaultModules({
      ...options.components,
      ...(options.clock === undefined ? {} : { clock: options.clock }),
      ...(options.provider === undefined ? {} : { provider: options.provider })
    })
    const service = new AgoraService({
      modules,
      logger: createLogger('silent'),
      ...(options.dashboardDir === undefined ? {} : { dashboardDir: options.dashboardDir })
    })
    await service.start(config, { keyPassphrase: '', autoAppKey: TEST_APP_KEY })
    const status = service.status()
    let stopped = false
    const node: TestNode = {
      service,
      dataDir,
      nodeId: status.nodeId,
      client: new MarketClient(status.apiUrl!, TEST_APP_KEY),
      addresses: status.addresses,
      modules,
      stop: async () => {
        if (stopped) return
        stopped = true
        await service.stop()
      }
    }
    this.nodes.push(node)
    return node
  }

  async startMany(count: number, options: NodeOptions = {}): Promise<TestNode[]> {
    const started: TestNode[] = []
    for (let i = 0; i < count; i++) started.push(await this.start(options))
    return started
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.nodes.map(async node => await node.stop()))
    if (this.#dir !== '') await rm(this.#dir, { recursive: true, force: true })
  }
}
