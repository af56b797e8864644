// A provider and a requester daemon with the real payment module on one dev
// chain, started in a before hook and stopped in an after hook of the calling
// describe: the requester funded, debit notes every 300 ms, and agreements
// with an activity made over REST (confirmed in an app session if given).
import { parseEther } from 'ethers'
import type { ModuleComponents } from '../../daemon/index.ts'
import { devNetworkConfig } from '../../payment/index.ts'
import { Cluster } from './cluster.ts'
import type { TestNode } from './cluster.ts'
import { mined, party } from './contracts.ts'
import { devChainFixture } from './dev-chain.ts'
import { approveAgreement, negotiateAgreement } from './negotiation.ts'
import { settlementWorld } from './settlement.ts'

export const PAIR_PLATFORM = 'erc20-dev-tglm'
/** The name golem-js derives from PAYMENT_NETWORK=holesky: an alias of the dev platform. */
export const PAIR_ALIAS = 'erc20-holesky-tglm'

export interface PaymentPair {
  readonly provider: TestNode
  readonly requester: TestNode
  /** An approved agreement with a created activity; confirmed in `appSessionId` when given; its package `taskPackage` (default: one never fetched). */
  agreementWithActivity(appSessionId?: string, taskPackage?: string): Promise<{ agreementId: string; activityId: string }>
  /** Stops the provider and starts it again on its data dir; `provider` is the new one from then on. */
  restartProvider(): Promise<TestNode>
  /** Starts the requester again on its data dir after it was stopped (or stops it first). */
  restartRequester(): Promise<TestNode>
}

export interface PaymentPairOptions {
  /** Parts the provider daemon's modules take instead of their defaults (e.g. usageReadings: a dishonest provider). */
  readonly providerComponents?: ModuleComponents
  /** More module sections for both daemons' configs (e.g. `activity: { allowPrivateNetworks: true }`). */
  readonly modules?: Record<string, unknown>
  /** Where the daemons find the dashboard's built files; read when the fixture's before hook runs. */
  dashboardDir?: string
}

export function paymentPairFixture(requesterTokens = '100', pairOptions: PaymentPairOptions = {}): PaymentPair {
  const fixture = devChainFixture()
  const cluster = new Cluster()
  let provider: TestNode | undefined
  let requester: TestNode | undefined
  let nodeOptions: Parameters<Cluster['start']>[0] = {}
  const providerOptions = pairOptions.providerComponents === undefined ? {} : { components: pairOptions.providerComponents }

  before(async function () {
    this.timeout(120_000)
    const world = await settlementWorld(fixture)
    const network = devNetworkConfig(fixture.chain.rpcUrl, String(world.contracts.token.target), {
      escrow: String(world.contracts.escrow.target),
      batchPayout: String(world.contracts.payouts.target)
    })
    const options = {
      ...(pairOptions.dashboardDir === undefined ? {} : { dashboardDir: pairOptions.dashboardDir }),
      configure: (config: { modules: Record<string, unknown> }) => {
        Object.assign(config.modules, pairOptions.modules)
        config.modules.payment = {
          networks: [network],
          debitNoteIntervalMs: 300,
          outboxMinRetryMs: 50,
          outboxMaxRetryMs: 500,
          chainPollingIntervalMs: 20,
          finalUsageWaitMs: 10_000,
          // Claimed at the agreement's end, not sooner because the gas is cheap.
          claimWorthGasFactor: 1e15
        }
      }
    }
    nodeOptions = options
    provider = await cluster.start({ ...options, ...providerOptions })
    requester = await cluster.start(options)
    const deployer = party(0, fixture.provider).signer
    for (const node of [requester, provider]) await mined(deployer.sendTransaction({ to: node.nodeId, value: parseEther('10') }))
    await mined(world.contracts.token.mint(requester.nodeId, parseEther(requesterTokens)))
  })

  after(async function () {
    this.timeout(60_000)
    await cluster.stop()
  })

  const started = (node: TestNode | undefined): TestNode => {
    if (node === undefined) throw new Error('the payment pair is used outside its describe')
    return node
  }

  return {
    get provider() {
      return started(provider)
    },
    get requester() {
      return started(requester)
    },
    async restartProvider() {
      const old = started(provider)
      await old.stop()
      provider = await cluster.start({ ...nodeOptions, ...providerOptions, dataDir: old.dataDir, bootstrap: [started(requester).addresses[0]!] })
      return provider
    },
    async restartRequester() {
      const old = started(requester)
      await old.stop()
      requester = await cluster.start({ ...nodeOptions, dataDir: old.dataDir, bootstrap: [started(provider).addresses[0]!] })
      return requester
    },
    async agreementWithActivity(appSessionId, taskPackage = 'http://127.0.0.1:9/never-fetched.wasm') {
      const p = started(provider)
      const r = started(requester)
      const parties = { provider: { nodeId: p.nodeId, client: p.client }, requester: { nodeId: r.nodeId, client: r.client } }
      const { agreementId } = await negotiateAgreement(parties.provider, parties.requester, {
        // Small activities: the ones of earlier tests may still be ending when the next one starts.
        offerExtra: { 'golem.inf.mem.gib': 0.5, 'golem.inf.storage.gib': 2 },
        demandExtra: {
          'golem.com.payment.chosen-platform': PAIR_ALIAS,
          // By default never deployed: the activity only has to exist and be measured.
          'golem.srv.comp.task_package': taskPackage,
          [`golem.com.payment.platform.${PAIR_ALIAS}.address`]: r.nodeId.toLowerCase()
        }
      })
      const session = appSessionId === undefined ? '' : `?appSessionId=${encodeURIComponent(appSessionId)}`
      await r.client.expect(204, 'POST', `/market-api/v1/agreements/${agreementId}/confirm${session}`)
      await approveAgreement(parties.provider, parties.requester, agreementId)
      const { activityId } = await r.client.expect<{ activityId: string }>(201, 'POST', '/activity-api/v1/activity?timeout=60', { agreementId })
      return { agreementId, activityId }
    }
  }
}
