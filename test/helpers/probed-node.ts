// An in-process daemon (the default modules) with a probe that reads the whole
// LevelDB while it runs, so tests can tell exactly what a call stored.
import { request } from 'node:http'
import { AgoraService, createLogger, dataDirPaths, defaultModules, loadConfig } from '../../daemon/index.ts'
import type { DaemonConfig, DaemonModule, ModuleContext } from '../../daemon/index.ts'
import type { Logger } from 'pino'
import { MarketClient } from './market-client.ts'
import type { Reply } from './market-client.ts'

export const PROBE_APP_KEY = 'probe-test-app-key-000001'

/** A module that stores nothing and keeps a handle on the node's database. */
class StoreProbe implements DaemonModule {
  readonly name = 'probe'
  #context: ModuleContext | null = null

  async start(context: ModuleContext): Promise<void> {
    this.#context = context
  }
  async stop(): Promise<void> {}

  /** Every key and stored text of the node's database, but the probe's own. */
  async dump(): Promise<Map<string, string>> {
    const sublevel = this.#context?.db as unknown as { db: { iterator: (o: object) => AsyncIterable<[string, string]> } }
    const all = new Map<string, string>()
    for await (const [key, value] of sublevel.db.iterator({ keyEncoding: 'utf8', valueEncoding: 'utf8' })) {
      if (!key.startsWith('!probe!')) all.set(key, value)
    }
    return all
  }
}

export interface ProbedNode {
  service: AgoraService
  dataDir: string
  nodeId: string
  addresses: string[]
  client: MarketClient
  dump: () => Promise<Map<string, string>>
  /** A call on the admin socket (app-keys), as the CLI makes it. */
  admin: (method: string, path: string, body?: unknown) => Promise<Reply>
  stop: () => Promise<void>
}

export interface ProbedNodeOptions {
  /** Changes to the loaded config (module sections) before start. */
  configure?: (config: DaemonConfig) => void
  logger?: Logger
}

export async function startProbedNode(dataDir: string, bootstrap: string[] = [], options: ProbedNodeOptions = {}): Promise<ProbedNode> {
  const { config } = await loadConfig({
    flags: { dataDir, apiAddr: '127.0.0.1:0', listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap },
    env: { AGORA_KEYSTORE_COST: 'light' }
  })
  options.configure?.(config)
  const probe = new StoreProbe()
  const service = new AgoraService({ modules: [...defaultModules(), probe], logger: options.logger ?? createLogger('silent') })
  await service.start(config, { keyPassphrase: '', autoAppKey: PROBE_APP_KEY })
  const status = service.status()
  const socketPath = dataDirPaths(dataDir).adminSocket
  return {
    service,
    dataDir,
    nodeId: status.nodeId,
    addresses: status.addresses,
    client: new MarketClient(status.apiUrl ?? '', PROBE_APP_KEY),
    dump: async () => await probe.dump(),
    admin: async (method, path, body) => await adminCall(socketPath, method, path, body),
    stop: async () => {
      await service.stop()
    }
  }
}

/** A call on a daemon's admin socket (where the CLI manages app-keys). */
export async function adminCall(socketPath: string, method: string, path: string, body?: unknown): Promise<Reply> {
  return await new Promise((resolve, reject) => {
    const text = body === undefined ? undefined : JSON.stringify(body)
    const req = request({ socketPath, method, path, headers: text === undefined ? {} : { 'content-type': 'application/json' } }, res => {
      let data = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        data += chunk
      })
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body: data === '' ? undefined : JSON.parse(data) })
      })
    })
    req.on('error', reject)
    req.end(text)
  })
}
