// The CLI reaches a node through its daemon when one runs (the database is
// then locked), and through the data dir when none does.
import { LocalOps } from '../admin/local-ops.ts'
import type { NodeOps } from '../admin/node-ops.ts'
import { NoDaemonError, RemoteOps } from '../admin/remote-ops.ts'
import type { LoadedConfig } from '../config/load.ts'
import { dataDirPaths } from '../service/data-dir.ts'

export async function openNode ({ config, secrets }: LoadedConfig): Promise<NodeOps> {
  const remote = new RemoteOps(dataDirPaths(config.dataDir).adminSocket)
  try {
    await remote.status()
    return remote
  } catch (err) {
    if (err instanceof NoDaemonError) return new LocalOps(config, secrets)
    throw err
  }
}

/** Runs `use` on the node and always lets go of it. */
export async function withNode<T> (loaded: LoadedConfig, use: (node: NodeOps) => Promise<T>): Promise<T> {
  const node = await openNode(loaded)
  try {
    return await use(node)
  } finally {
    await node.close()
  }
}
