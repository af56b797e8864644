// A small marketplace for SDK tests: providers and one requester as `agora
// service run` child processes on loopback, paying on the dev chain, each
// provider answering through the minimal agent over its Market API with the
// probe workload's offer. stop() ends the agents and every daemon.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { devNetworkConfig } from '../../payment/index.ts'
import { reapChildren } from './agora-process.ts'
import { deployAll, party } from './contracts.ts'
import type { DevChainFixture } from './dev-chain.ts'
import { startDaemonIn } from './golem-daemons.ts'
import type { RunningDaemon } from './golem-daemons.ts'
import { golemOffer } from './golem-js.ts'
import { serveProbeWorkload } from './golem-workload.ts'
import { startProviderAgent } from './provider-agent.ts'
import type { ProviderAgent } from './provider-agent.ts'

export const DEV_PLATFORM = 'erc20-dev-tglm'

export interface Marketplace {
  readonly providers: RunningDaemon[]
  readonly requester: RunningDaemon
  readonly agents: ProviderAgent[]
  /** The probe workload as a Golem task package (`probe <code> <words…>`). */
  readonly image: string
  /** The dev network's config, for another daemon or a script. */
  readonly network: unknown
  stop(): Promise<void>
}

export async function startMarketplace(fixture: DevChainFixture, providerCount: number): Promise<Marketplace> {
  const contracts = await deployAll(party(0, fixture.provider).signer)
  const network = devNetworkConfig(fixture.chain.rpcUrl, String(contracts.token.target), {
    escrow: String(contracts.escrow.target),
    batchPayout: String(contracts.payouts.target)
  })
  const workload = await serveProbeWorkload()
  const root = await mkdtemp(join(tmpdir(), 'agora-sdk-market-'))
  const agents: ProviderAgent[] = []
  const stop = async (): Promise<void> => {
    for (const agent of agents) await agent.stop().catch(() => {})
    await workload.close()
    await reapChildren()
    await rm(root, { recursive: true, force: true })
  }
  try {
    const modules = { payment: { networks: [network], debitNoteIntervalMs: 2_000, finalUsageWaitMs: 2_000 } }
    const first = await startDaemonIn(join(root, 'provider-1'), {}, modules)
    const others = await Promise.all(
      Array.from({ length: providerCount - 1 }, (_, i) => startDaemonIn(join(root, `provider-${i + 2}`), { AGORA_BOOTSTRAP: first.addresses[0]! }, modules))
    )
    const providers = [first, ...others]
    const requester = await startDaemonIn(join(root, 'requester'), { AGORA_BOOTSTRAP: providers.map(p => p.addresses[0]!).join(',') }, modules)
    for (const daemon of [requester, ...providers]) await daemon.client.expect(200, 'POST', '/agora-api/v1/payment/fund', {})
    for (const provider of providers) {
      const offer = golemOffer(provider.nodeId, 'wasmtime')
      offer.properties[`golem.com.payment.platform.${DEV_PLATFORM}.address`] = provider.nodeId.toLowerCase()
      offer.properties['golem.com.pricing.model.linear.coeffs'] = [0.0001, 0.00005, 0.001]
      agents.push(await startProviderAgent(provider.client, offer))
    }
    return { providers, requester, agents, image: `hash:sha3:${workload.imageHash}:${workload.imageUrl}`, network, stop }
  } catch (error) {
    await stop()
    throw error
  }
}
