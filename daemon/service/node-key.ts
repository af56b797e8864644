import { loadOrCreateNodeKey } from '../../net/identity/index.ts'
import type { NodeKey } from '../../net/identity/index.ts'
import type { DaemonConfig, DaemonSecrets } from '../config/schema.ts'
import type { DataDirPaths } from './data-dir.ts'

/** The node's key from `<dataDir>/node-key.json`, created on first use (the data dir must exist). */
export async function loadNodeKey(paths: DataDirPaths, config: DaemonConfig, secrets: DaemonSecrets): Promise<{ key: NodeKey; created: boolean }> {
  return await loadOrCreateNodeKey({ path: paths.nodeKey, passphrase: secrets.keyPassphrase, cost: config.keystore.cost })
}
