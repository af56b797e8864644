// The deal keeper as the provider module runs it (`agora service run
// --provider`): the agent's own offers, negotiated by the chain, approved,
// billed; its settings changed over REST take effect on the next proposal.
import assert from 'node:assert/strict'
import { parseEther } from 'ethers'
import type { ProviderModule } from '../../../daemon/modules/provider-module.ts'
import type { MarketModule } from '../../../daemon/modules/market-module.ts'
import type { PaymentModule } from '../../../daemon/modules/payment-module.ts'
import type { RuntimeAnswer } from '../../../daemon/provider/offers/index.ts'
import { devNetworkConfig } from '../../../payment/index.ts'
import { Cluster } from '../../helpers/cluster.ts'
import type { NodeOptions, TestNode } from '../../helpers/cluster.ts'
import { mined, party } from '../../helpers/contracts.ts'
import { devChainFixture } from '../../helpers/dev-chain.ts'
import { requesterDemand } from '../../helpers/golem-terms.ts'
import { settlementWorld } from '../../helpers/settlement.ts'
import { agreeOn, proposeTo } from '../../helpers/agent-deals.ts'
import { eventually } from '../../helpers/wait.ts'

const PLATFORM = 'erc20-holesky-tglm'
const INTERVAL = 'golem.com.scheme.payu.debit-note.interval-sec?'
const ACCEPT = 'golem.com.payment.debit-notes.accept-timeout?'
const MACHINE = { threads: 2, cpuModel: 'Test CPU', architecture: 'x86_64', memoryGib: 8, diskGib: 50 }
const WASMTIME: RuntimeAnswer = { name: 'wasmtime', available: true, offerProperties: { 'golem.runtime.name': 'wasmtime' } }

describe('provider deals: through the provider module of a real daemon', function () {
  this.timeout(240_000)
  const fixture = devChainFixture()
  const cluster = new Cluster()
  let provider: TestNode
  let requester: TestNode

  const moduleOf = <M>(node: TestNode, name: string): M => node.modules.find(module => module.name === name) as M

  before(async function () {
    this.timeout(120_000)
    const world = await settlementWorld(fixture)
    const network = devNetworkConfig(fixture.chain.rpcUrl, String(world.contracts.token.target), {
      escrow: String(world.contracts.escrow.target),
      batchPayout: String(world.contracts.payouts.target)
    })
    const payment = {
      networks: [network],
      outboxMinRetryMs: 50,
      outboxMaxRetryMs: 500,
      chainPollingIntervalMs: 20,
      finalUsageWaitMs: 10_000,
      claimWorthGasFactor: 1e15
    }
    const providerOptions: NodeOptions = {
      configure: config => {
        config.modules.payment = payment
        config.modules.provider = { offer: true, subnet: 'agora-test', dealWatchIntervalMs: 100 }
      },
      provider: { machine: async () => MACHINE, runtimes: async () => [WASMTIME] }
    }
    provider = await cluster.start(providerOptions)
    requester = await cluster.start({
      configure: config => {
        config.modules.payment = payment
      }
    })
    const deployer = party(0, fixture.provider).signer
    for (const node of [requester, provider]) await mined(deployer.sendTransaction({ to: node.nodeId, value: parseEther('10') }))
    await mined(world.contracts.token.mint(requester.nodeId, parseEther('100')))
  })
  after(async function () {
    this.timeout(60_000)
    await cluster.stop()
  })

  const demand = (extra: Record<string, unknown> = {}) =>
    requesterDemand({
      'golem.com.payment.chosen-platform': PLATFORM,
      [`golem.com.payment.platform.${PLATFORM}.address`]: requester.nodeId.toLowerCase(),
      'golem.srv.comp.task_package': 'http://127.0.0.1:9/never-fetched.wasm',
      ...extra
    })

  /** The golem.node.id.name of the agent's live offer, once the requester knows it. */
  const agentOffer = async (): Promise<{ offerId: string; name: string }> => {
    const offers = moduleOf<ProviderModule>(provider, 'provider').offers!
    const market = moduleOf<MarketModule>(requester, 'market').market
    return await eventually('the agent offer at the requester', async () => {
      const offerId = offers.offerIds()[0]
      const seen = market.knownOffers().find(offer => offer.offerId === offerId)
      return seen === undefined ? undefined : { offerId: seen.offerId, name: String(seen.properties['golem.node.id.name']) }
    })
  }

  it('negotiates by the chain, approves, and bills the agreement at the negotiated interval', async () => {
    const { name, offerId } = await agentOffer()
    const { answer } = await proposeTo(requester, provider, name, demand({ [INTERVAL]: 20, [ACCEPT]: 5000 }), offerId)
    assert.equal(answer.eventType, 'ProposalEvent', JSON.stringify(answer))
    assert.equal(answer.proposal.properties[INTERVAL], 20, 'adopted: within the default range')
    assert.notEqual(answer.proposal.properties[ACCEPT], 5000, 'countered: beyond the default range')
    assert.equal(answer.proposal.properties['agora.provider.preset'], 'wasmtime')
    const { agreementId, status } = await agreeOn(requester, answer.proposal.proposalId)
    assert.equal(status, 204)
    const providerMarket = moduleOf<MarketModule>(provider, 'market').market
    await eventually('Approved at the provider', async () => providerMarket.getAgreement(agreementId).state === 'Approved')
    assert.equal(providerMarket.getAgreement(agreementId).offer.offerId, offerId)
    const { activityId } = await requester.client.expect<{ activityId: string }>(201, 'POST', '/activity-api/v1/activity?timeout=60', { agreementId })
    const requesterPayments = moduleOf<PaymentModule>(requester, 'payment').api
    const note = await eventually('a debit note', async () => requesterPayments.debitNotes().find(n => n.activityId === activityId), 60_000)
    assert.equal(note.agreementId, agreementId)
    await requester.client.expect(204, 'POST', `/market-api/v1/agreements/${agreementId}/terminate`, { message: 'done' })
    await eventually('the invoice', async () => requesterPayments.invoices().find(invoice => invoice.agreementId === agreementId), 60_000)
  })

  it('a setting changed over REST takes effect on the next proposal: a denied requester is rejected, naming the check', async () => {
    const offers = moduleOf<ProviderModule>(provider, 'provider').offers!
    const before = offers.offerIds()[0]
    await provider.client.expect(200, 'PATCH', '/agora-api/v1/provider/settings', { denyRequesters: [requester.nodeId] })
    // A settings change replaces the offers.
    await eventually('the offer replaced', async () => offers.offerIds()[0] !== before)
    const { name, offerId } = await agentOffer()
    const { answer } = await proposeTo(requester, provider, name, demand(), offerId)
    assert.equal(answer.eventType, 'ProposalRejectedEvent', JSON.stringify(answer))
    assert.equal(answer.reason['golem.provider.code'], 'RequestorNotAllowed')
    assert.equal(answer.reason['agora.provider.check'], 'requester-list')
    await provider.client.expect(200, 'PATCH', '/agora-api/v1/provider/settings', { denyRequesters: [] })
  })
})
