// Starts the node's libp2p host on the configured addresses.
import { NetHost } from '../../net/index.ts'
import type { NodeKey } from '../../net/index.ts'
import type { DaemonConfig } from '../config/schema.ts'

export async function startNetHost (key: NodeKey, config: DaemonConfig): Promise<NetHost> {
  const host = new NetHost({ key, listen: config.net.listen, bootstrap: config.net.bootstrap })
  await host.start()
  return host
}
