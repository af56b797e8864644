// The CLI reaches a node through its daemon when one runs (the database is
// then locked), and through the data dir when none does. The data-dir path is
// imported only when it is taken.
import type { NodeOps } from '../admin/node-ops.ts'
import { NoDaemonError, RemoteOps } from '../admin/remote-ops.ts'
import type { LoadedConfig } from '../config/load.ts'
import { dataDirPaths } from '../service/data-dir.ts'
import { configFrom } from './common-options.ts'
import type { OptionValues } from './usage.ts'

async function openNode({ config, secrets }: LoadedConfig): Promise<NodeOps> {
  const remote = new RemoteOps(dataDirPaths(config.dataDir).adminSocket)
  try {
    await remote.status()
    return remote
  } catch (err) {
    if (!(err instanceof NoDaemonError)) throw err
  }
  const { LocalOps } = await import('../admin/local-ops.ts')
  return new LocalOps(config, secrets)
}

/** Runs `use` on the node the command's options name, and always lets go of it. */
export async function withNode<T>(values: OptionValues, use: (node: NodeOps) => Promise<T>): Promise<T> {
  const node = await openNode(await configFrom(values))
  try {
    return await use(node)
  } finally {
    await node.close()
  }
}
