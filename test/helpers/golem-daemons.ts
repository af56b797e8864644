// A provider and a requester as `agora service run` child processes on
// loopback, each with its own temp data dir, ephemeral ports and app-key, the
// requester bootstrapped from the provider: what a Golem client is pointed at.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { reapChildren, spawnDaemon } from './agora-process.ts'
import type { DaemonProcess } from './agora-process.ts'
import { MarketClient } from './market-client.ts'

export const GOLEM_APP_KEY = 'golem-compat-app-key-01'

export interface RunningDaemon {
  process: DaemonProcess
  url: string
  nodeId: string
  addresses: string[]
  client: MarketClient
}

export interface DaemonPair {
  provider: RunningDaemon
  requester: RunningDaemon
  stop: () => Promise<void>
}

/** Module sections both daemons' config files carry beside the activity's. */
export type ModuleSections = Record<string, unknown>

async function start(dataDir: string, env: NodeJS.ProcessEnv, modules: ModuleSections): Promise<RunningDaemon> {
  await mkdir(dataDir, { recursive: true })
  // The workload is served on loopback, which a provider refuses by default.
  await writeFile(join(dataDir, 'config.json'), JSON.stringify({ modules: { activity: { allowPrivateNetworks: true }, ...modules } }))
  const daemon = spawnDaemon(dataDir, { AGORA_APPKEY: GOLEM_APP_KEY, ...env })
  const started = await daemon.logged(record => record.msg === 'agora daemon started')
  const url = String(started.api)
  return {
    process: daemon,
    url,
    nodeId: String(started.nodeId),
    addresses: started.listen as string[],
    client: new MarketClient(url, GOLEM_APP_KEY)
  }
}

/** Starts both daemons (with `modules` in their config); stop() ends them (SIGTERM, then SIGKILL) and removes their data. */
export async function startDaemonPair(modules: ModuleSections = {}): Promise<DaemonPair> {
  const root = await mkdtemp(join(tmpdir(), 'agora-golem-'))
  const stop = async (): Promise<void> => {
    await reapChildren()
    await rm(root, { recursive: true, force: true })
  }
  try {
    const provider = await start(join(root, 'provider'), {}, modules)
    const requester = await start(join(root, 'requester'), { AGORA_BOOTSTRAP: provider.addresses[0]! }, modules)
    return { provider, requester, stop }
  } catch (error) {
    await stop()
    throw error
  }
}

/** One daemon in `dataDir` (for a marketplace of more than a pair). */
export { start as startDaemonIn }
