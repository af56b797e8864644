// The demo's marketplace on one machine: the embedded dev chain, three
// provider daemons and one requester daemon on loopback, each with its own
// data dir, ephemeral ports and app-key. stop() ends every part that started,
// in reverse order, whatever failed; the chain's process dies with this one
// even if it is killed (the dev chain's parent watch).
import { join } from 'node:path'
import { DevNetwork } from '../../payment/dev.ts'
import type { DevNetworkStarted } from '../../payment/dev.ts'
import { loadConfig } from '../config/load.ts'
import { AgoraService } from '../service/agora-service.ts'
import { createLogger } from '../service/logger.ts'
import type { LogLevel } from '../config/schema.ts'
import { defaultModules } from '../service/modules.ts'
import { DemoApi } from './api.ts'

export const DEMO_APP_KEY = 'demo-app-key-0000000001'

export type Role = 'provider' | 'requester'

export interface Party {
  readonly name: string
  readonly role: Role
  readonly nodeId: string
  readonly url: string
  readonly addresses: readonly string[]
  readonly api: DemoApi
}

export interface Marketplace {
  readonly chain: DevNetworkStarted
  readonly providers: readonly Party[]
  readonly requester: Party
  readonly parties: readonly Party[]
  /** The dev chain's process id while it runs. */
  readonly chainPid: number | undefined
  /** Idempotent; never throws (what failed to stop is reported through `onStopError`). */
  stop(): Promise<void>
}

export interface MarketplaceOptions {
  /** A directory of its own, removed by the caller afterwards. */
  readonly dir: string
  readonly providers?: number
  readonly say?: (line: string) => void
  readonly onStopError?: (part: string, error: unknown) => void
  /** Agreements each provider serves at once (default 1). */
  readonly agreementsPerProvider?: number
  /** The daemons' log level (their logs go to stdout); default error. */
  readonly logLevel?: LogLevel
  /** Ends the start early; what started is stopped. */
  readonly signal?: AbortSignal
}

/**
 * What each demo provider sells: a small slice of the one machine the three of
 * them share (set before the requester starts, so it only ever sees these offers).
 * One agreement at a time each, so that a requester renting three has one on each.
 */
const providerSlice = (maxAgreements: number) => ({
  cores: 1,
  memoryGib: 1,
  diskGib: 2,
  maxAgreements,
  // Debit notes every few seconds, so that a run of half a minute shows some.
  debitNoteInterval: { minSec: 2, preferredSec: 3, maxSec: 3600 }
})

/** The payment settings of every daemon: direct payouts every half second, so balances settle while one watches. */
function paymentSection(networkFile: string): Record<string, unknown> {
  return {
    networkFiles: [networkFile],
    settlement: 'direct',
    directBatchIntervalMs: 500,
    chainPollingIntervalMs: 50,
    finalUsageWaitMs: 5_000,
    outboxMinRetryMs: 50,
    outboxMaxRetryMs: 1_000
  }
}

export async function startMarketplace(options: MarketplaceOptions): Promise<Marketplace> {
  const say = options.say ?? (() => {})
  const stops: { part: string; stop: () => Promise<void> }[] = []
  let stopping: Promise<void> | undefined
  const stop = async (): Promise<void> => {
    stopping ??= (async () => {
      for (const { part, stop: stopPart } of stops.reverse()) {
        try {
          await stopPart()
        } catch (error) {
          options.onStopError?.(part, error)
        }
      }
    })()
    await stopping
  }
  const checkAborted = (): void => {
    if (options.signal?.aborted === true) throw options.signal.reason ?? new Error('the demo was stopped')
  }

  try {
    const network = new DevNetwork({}, { dir: join(options.dir, 'dev-chain') })
    stops.push({ part: 'dev chain', stop: async () => await network.stop() })
    const chain = await network.start()
    say(`dev chain: ${chain.rpcUrl} (chain id ${chain.chainId}), token ${chain.contracts.token}`)
    checkAborted()

    const startParty = async (name: string, role: Role, bootstrap: string[]): Promise<Party> => {
      const { config } = await loadConfig({
        flags: { dataDir: join(options.dir, name), apiAddr: '127.0.0.1:0', listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap },
        env: { AGORA_KEYSTORE_COST: 'light' }
      })
      config.modules.payment = paymentSection(chain.networkFile)
      // The requester serves its workload on loopback, which providers refuse by default.
      config.modules.activity = { allowPrivateNetworks: true }
      const logger = createLogger(options.logLevel ?? 'error')
      const startService = async (): Promise<AgoraService> => {
        const service = new AgoraService({ modules: defaultModules(), logger })
        stops.push({ part: name, stop: async () => await service.stop() })
        await service.start(config, { keyPassphrase: '', autoAppKey: DEMO_APP_KEY })
        return service
      }
      if (role === 'provider') {
        // A provider's settings are stored first, with its agent not yet offering, so that it
        // publishes only the demo's offers and its deals follow them from the start.
        config.modules.provider = { offer: false, nodeName: name }
        const setup = await startService()
        await new DemoApi(setup.status().apiUrl!, DEMO_APP_KEY, name).call(
          'PATCH',
          '/agora-api/v1/provider/settings',
          providerSlice(options.agreementsPerProvider ?? 1)
        )
        await setup.stop()
        stops.pop()
        checkAborted()
        config.modules.provider = { offer: true, nodeName: name }
      }
      const status = (await startService()).status()
      const party = {
        name,
        role,
        nodeId: status.nodeId,
        url: status.apiUrl!,
        addresses: status.addresses,
        api: new DemoApi(status.apiUrl!, DEMO_APP_KEY, name)
      }
      say(`${name}: node ${party.nodeId}, REST API ${party.url}`)
      checkAborted()
      return party
    }

    const providers: Party[] = []
    for (let i = 1; i <= (options.providers ?? 3); i++) {
      const bootstrap = providers.length === 0 ? [] : [providers[0]!.addresses[0]!]
      providers.push(await startParty(`provider-${i}`, 'provider', bootstrap))
    }
    const requester = await startParty('requester', 'requester', [providers[0]!.addresses[0]!])
    return { chain, providers, requester, parties: [...providers, requester], chainPid: network.pid, stop }
  } catch (error) {
    await stop()
    throw error
  }
}
