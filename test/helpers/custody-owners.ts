// Data owners for federated tests: N owner daemons (`agora service run` child
// processes on loopback) whose provider agents offer their datasets, a
// requester daemon with an SDK client, all paying on the dev chain. Each
// owner's datasets are registered over its REST API (as `agora data add`
// does) from CSV text written to the owner's own temp dir, each with the
// policy file the test gives. stop() ends every daemon and removes the dirs.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { DatasetPolicy } from '../../custody/index.ts'
import { devNetworkConfig } from '../../payment/index.ts'
import { connect } from '../../sdk/index.ts'
import type { AgoraClient } from '../../sdk/index.ts'
import { reapChildren } from './agora-process.ts'
import { deployAll, party } from './contracts.ts'
import type { DevChainFixture } from './dev-chain.ts'
import { GOLEM_APP_KEY, startDaemonIn } from './golem-daemons.ts'
import type { RunningDaemon } from './golem-daemons.ts'
import { eventually } from './wait.ts'

export const DEV_PLATFORM = 'erc20-dev-tglm'
const DATASETS = '/agora-api/v1/custody/datasets'

export interface OwnedDataset {
  readonly name: string
  /** The CSV's text (first line: the column names). */
  readonly csv: string
  /** The owner's policy for it (the dataset's name is filled in). */
  readonly policy: Omit<DatasetPolicy, 'dataset'>
}

export interface OwnerSpec {
  readonly datasets: readonly OwnedDataset[]
}

export interface Owner {
  readonly daemon: RunningDaemon
  readonly nodeId: string
  readonly dataDir: string
  readonly datasets: readonly OwnedDataset[]
  /** Writes (or rewrites) a dataset's policy file; the daemon reloads it. */
  setPolicy(dataset: string, policy: Omit<DatasetPolicy, 'dataset'>): Promise<void>
}

export interface CustodyWorld {
  readonly owners: readonly Owner[]
  readonly requester: RunningDaemon
  readonly client: AgoraClient
  /** A directory of the world's own for the test's files (algorithms, pooled data). */
  readonly dir: string
  stop(): Promise<void>
}

export interface CustodyWorldOptions {
  /** `modules.custody` of every daemon. */
  readonly custody?: Record<string, unknown>
}

export function policyPath(dataDir: string, dataset: string): string {
  return join(dataDir, 'custody', 'policies', `${dataset}.json`)
}

export async function startCustodyWorld(
  fixture: Pick<DevChainFixture, 'chain' | 'provider'>,
  specs: readonly OwnerSpec[],
  options: CustodyWorldOptions = {}
): Promise<CustodyWorld> {
  const contracts = await deployAll(party(0, fixture.provider).signer)
  const network = devNetworkConfig(fixture.chain.rpcUrl, String(contracts.token.target), {
    escrow: String(contracts.escrow.target),
    batchPayout: String(contracts.payouts.target)
  })
  const root = await mkdtemp(join(tmpdir(), 'agora-custody-owners-'))
  let client: AgoraClient | undefined
  const stop = async (): Promise<void> => {
    await client?.close({ now: true }).catch(() => {})
    await reapChildren()
    await rm(root, { recursive: true, force: true })
  }
  try {
    const payment = { networks: [network], debitNoteIntervalMs: 2_000, finalUsageWaitMs: 2_000 }
    const custody = options.custody ?? {}
    const owners: Owner[] = []
    for (const [i, spec] of specs.entries()) {
      const dataDir = join(root, `owner-${i + 1}`)
      const setPolicy = async (dataset: string, policy: Omit<DatasetPolicy, 'dataset'>): Promise<void> => {
        await mkdir(join(dataDir, 'custody', 'policies'), { recursive: true })
        await writeFile(policyPath(dataDir, dataset), JSON.stringify({ dataset, ...policy }, null, 2))
      }
      // The policies are in place before the daemon starts: its first data offers already carry them.
      for (const dataset of spec.datasets) await setPolicy(dataset.name, dataset.policy)
      const bootstrap = owners.length === 0 ? {} : { AGORA_BOOTSTRAP: owners[0]!.daemon.addresses[0]! }
      const daemon = await startDaemonIn(dataDir, bootstrap, { payment, custody, provider: { offer: true, nodeName: `owner-${i + 1}` } })
      await daemon.client.expect(200, 'POST', '/agora-api/v1/payment/fund', {})
      owners.push({ daemon, nodeId: daemon.nodeId.toLowerCase(), dataDir, datasets: spec.datasets, setPolicy })
    }
    const requesterDir = join(root, 'requester')
    const requester = await startDaemonIn(requesterDir, { AGORA_BOOTSTRAP: owners.map(owner => owner.daemon.addresses[0]!).join(',') }, { payment, custody })
    await requester.client.expect(200, 'POST', '/agora-api/v1/payment/fund', {})
    // The datasets are added once the requester is on the network: their offers reach it by gossip at once.
    for (const [i, owner] of owners.entries()) {
      for (const dataset of owner.datasets) {
        const file = join(root, `owner-${i + 1}-${dataset.name}.csv`)
        await writeFile(file, dataset.csv)
        await owner.daemon.client.expect(201, 'POST', DATASETS, { name: dataset.name, csv: file, description: `test data of owner ${i + 1}` })
      }
    }
    // Every dataset's offer is known to the requester before a test rents.
    for (const owner of owners) {
      for (const dataset of owner.datasets) {
        await eventually(
          `the requester to know ${dataset.name}'s offer`,
          async () =>
            (await requester.client.known('offer', `(agora.data.name=${dataset.name})`)).some(
              event => offerOf(event)?.providerId?.toLowerCase() === owner.nodeId
            ),
          180_000
        )
      }
    }
    client = await connect({ url: requester.url, appKey: GOLEM_APP_KEY })
    return { owners, requester, client, dir: root, stop }
  } catch (error) {
    await stop()
    throw error
  }
}

function offerOf(event: any): { providerId?: string } | undefined {
  return event?.proposal ?? event?.offer ?? event
}

/** CSV text from a header and rows. */
export function csvOf(columns: readonly string[], rows: readonly (readonly (number | string)[])[]): string {
  return `${[columns.join(','), ...rows.map(row => row.join(','))].join('\n')}\n`
}
