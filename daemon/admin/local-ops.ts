// NodeOps by opening the data dir directly, when no daemon runs on it. Each
// call imports what it needs: the node key (ethers) only for the status of a
// node whose keystore does not name it in clear yet, the store and app-keys
// for app-key changes.
import { readPublicIdentity } from '../../net/kernel.ts'
import type { AppKeyInfo, AppKeys, NewAppKey } from '../app-keys/app-keys.ts'
import type { DaemonConfig, DaemonSecrets } from '../config/schema.ts'
import { prepareDataDir } from '../service/data-dir.ts'
import type { Store } from '../store/store.ts'
import type { NodeOps, NodeStatus } from './node-ops.ts'

export class LocalOps implements NodeOps {
  readonly #config: DaemonConfig
  readonly #secrets: DaemonSecrets
  #store: Store | null = null

  constructor(config: DaemonConfig, secrets: DaemonSecrets) {
    this.#config = config
    this.#secrets = secrets
  }

  async status(): Promise<NodeStatus> {
    const paths = await prepareDataDir(this.#config.dataDir)
    // The keystore names the node in clear: no passphrase, no crypto to load.
    const known = await readPublicIdentity(paths.nodeKey)
    if (known !== null) return { ...known, running: false, apiUrl: null, addresses: [], reachability: null }
    // No key yet, or one written before the identity was kept beside it.
    const { loadNodeKey } = await import('../service/node-key.ts')
    const { key } = await loadNodeKey(paths, this.#config, this.#secrets)
    return { nodeId: key.nodeId, peerId: key.peerId.toString(), running: false, apiUrl: null, addresses: [], reachability: null }
  }

  async createAppKey(name: string): Promise<NewAppKey> {
    return await this.#appKeyCall(async keys => await keys.create(name))
  }

  async listAppKeys(): Promise<AppKeyInfo[]> {
    return await this.#appKeyCall(keys => keys.list())
  }

  async dropAppKey(nameOrId: string): Promise<AppKeyInfo> {
    return await this.#appKeyCall(async keys => await keys.drop(nameOrId))
  }

  async close(): Promise<void> {
    await this.#store?.close()
    this.#store = null
  }

  async #appKeyCall<T>(call: (keys: AppKeys) => Promise<T> | T): Promise<T> {
    const [{ Store }, { APP_KEYS_SUBLEVEL, AppKeys }] = await Promise.all([import('../store/store.ts'), import('../app-keys/app-keys.ts')])
    if (this.#store === null) {
      const paths = await prepareDataDir(this.#config.dataDir)
      this.#store = await Store.open(paths.db)
    }
    // A refused change throws AppKeyError, whose message the CLI prints.
    return await call(await AppKeys.open(this.#store.sublevel(APP_KEYS_SUBLEVEL)))
  }
}
