import { loadOrCreateNodeKey } from '../../net/index.ts'
import type { NodeKey } from '../../net/index.ts'
import type { DaemonConfig, DaemonSecrets } from '../config/schema.ts'
import { prepareDataDir } from './data-dir.ts'

/** The node's key from `<dataDir>/node-key.json`, created on first use. */
export async function loadNodeKey (config: DaemonConfig, secrets: DaemonSecrets): Promise<{ key: NodeKey, created: boolean }> {
  const paths = await prepareDataDir(config.dataDir)
  return await loadOrCreateNodeKey({ path: paths.nodeKey, passphrase: secrets.keyPassphrase, cost: config.keystore.cost })
}
