// A requester and a provider daemon paying on one dev chain, the provider
// selling one runtime through the minimal agent over its Market API, and an
// SDK client of the requester: started in a before hook and stopped in an
// after hook of the calling describe.
import { devNetworkConfig } from '../../payment/index.ts'
import { connect } from '../../sdk/index.ts'
import type { AgoraClient } from '../../sdk/index.ts'
import { reapChildren } from '../helpers/agora-process.ts'
import { deployAll, party } from '../helpers/contracts.ts'
import { devChainFixture } from '../helpers/dev-chain.ts'
import { GOLEM_APP_KEY, startDaemonPair } from '../helpers/golem-daemons.ts'
import type { DaemonPair } from '../helpers/golem-daemons.ts'
import { golemOffer } from '../helpers/golem-js.ts'
import { startProviderAgent } from '../helpers/provider-agent.ts'
import type { ProviderAgent } from '../helpers/provider-agent.ts'

export const DEV_PLATFORM = 'erc20-dev-tglm'

export interface RentalWorld {
  readonly daemons: DaemonPair
  readonly agent: ProviderAgent
  readonly client: AgoraClient
}

export function rentalWorld(runtime: 'wasmtime' | 'vm', offerExtra: Record<string, unknown> = {}): RentalWorld {
  const fixture = devChainFixture()
  let daemons: DaemonPair | undefined
  let agent: ProviderAgent | undefined
  let client: AgoraClient | undefined

  before(async function () {
    this.timeout(180_000)
    const contracts = await deployAll(party(0, fixture.provider).signer)
    const network = devNetworkConfig(fixture.chain.rpcUrl, String(contracts.token.target), {
      escrow: String(contracts.escrow.target),
      batchPayout: String(contracts.payouts.target)
    })
    daemons = await startDaemonPair({ payment: { networks: [network], debitNoteIntervalMs: 2_000, finalUsageWaitMs: 2_000 } })
    for (const daemon of [daemons.requester, daemons.provider]) await daemon.client.expect(200, 'POST', '/agora-api/v1/payment/fund', {})
    const offer = golemOffer(daemons.provider.nodeId, runtime)
    offer.properties[`golem.com.payment.platform.${DEV_PLATFORM}.address`] = daemons.provider.nodeId.toLowerCase()
    offer.properties['golem.com.pricing.model.linear.coeffs'] = [0.0001, 0.00005, 0.001]
    Object.assign(offer.properties, offerExtra)
    agent = await startProviderAgent(daemons.provider.client, offer)
    client = await connect({ url: daemons.requester.url, appKey: GOLEM_APP_KEY })
  })

  after(async function () {
    this.timeout(60_000)
    await client?.close({ now: true }).catch(() => {})
    await agent?.stop().catch(() => {})
    await daemons?.stop()
    await reapChildren()
  })

  const started = <T>(part: T | undefined): T => {
    if (part === undefined) throw new Error('the rental world is used outside its describe')
    return part
  }
  return {
    get daemons() {
      return started(daemons)
    },
    get agent() {
      return started(agent)
    },
    get client() {
      return started(client)
    }
  }
}
