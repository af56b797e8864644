import assert from 'node:assert/strict'
import type { MarketModule } from '../../../daemon/modules/market-module.ts'
import type { ProviderModule } from '../../../daemon/modules/provider-module.ts'
import type { RuntimeAnswer } from '../../../daemon/provider/offers/index.ts'
import { dataDirPaths, Store } from '../../../daemon/index.ts'
import { Cluster } from '../../helpers/cluster.ts'
import type { TestNode } from '../../helpers/cluster.ts'
import { eventually } from '../../helpers/wait.ts'

const MACHINE = { threads: 2, cpuModel: 'Test CPU', architecture: 'x86_64', memoryGib: 8, diskGib: 50 }
const WASMTIME: RuntimeAnswer = { name: 'wasmtime', available: true, offerProperties: { 'golem.runtime.name': 'wasmtime' } }
const VM_DOWN: RuntimeAnswer = { name: 'vm', available: false, error: 'connect ENOENT /var/run/docker.sock', offerProperties: { 'golem.runtime.name': 'vm' } }

const marketOf = (node: TestNode) => (node.modules.find(module => module.name === 'market') as MarketModule).market

function providerOf(node: TestNode): ProviderModule {
  return node.modules.find(module => module.name === 'provider') as ProviderModule
}

describe('provider agent: offers from the presets', function () {
  this.timeout(120_000)
  const cluster = new Cluster()
  let provider: TestNode
  let requester: TestNode

  before(async () => {
    provider = await cluster.start({
      configure: config => {
        config.modules.provider = { offer: true }
      },
      provider: { machine: async () => MACHINE, runtimes: async () => [WASMTIME, VM_DOWN] }
    })
    requester = await cluster.start()
  })
  after(async () => {
    await cluster.stop()
  })

  it("publishes one offer per preset whose runtime answers, seen in another node's market with the machine, prices and payment terms", async () => {
    const agent = providerOf(provider)
    const offers = agent.offers!
    assert.equal(offers.offerIds().length, 1)
    const [offerId] = offers.offerIds()
    assert.equal(offers.presetOf(offerId!)?.name, 'wasmtime')
    const market = marketOf(requester)
    const seen = await eventually('the offer reaches the requester', async () => market.knownOffers().find(offer => offer.offerId === offerId))
    // Counted without building the offers, for the node's facts.
    assert.equal(market.offerCount(), market.knownOffers().length)
    const node = await requester.client.expect<{ offersKnown: number }>(200, 'GET', '/agora-api/v1/node')
    assert.equal(node.offersKnown, market.offerCount())
    const p = seen.properties
    assert.equal(p['golem.runtime.name'], 'wasmtime')
    assert.equal(p['golem.inf.cpu.threads'], 2)
    assert.equal(p['golem.inf.cpu.model'], 'Test CPU')
    assert.equal(p['golem.inf.cpu.architecture'], 'x86_64')
    assert.ok((p['golem.inf.mem.gib'] as number) <= 8 - 1)
    assert.ok((p['golem.inf.storage.gib'] as number) <= 50 - 2)
    assert.equal(p['golem.com.pricing.model'], 'linear')
    assert.deepEqual(p['golem.com.usage.vector'], ['golem.usage.cpu_sec', 'golem.usage.duration_sec'])
    assert.equal((p['golem.com.pricing.model.linear.coeffs'] as number[]).length, 3)
    assert.equal(p['golem.com.scheme'], 'payu')
    assert.equal(p['golem.com.scheme.payu.debit-note.interval-sec?'], 120)
    assert.equal(p['agora.provider.preset'], 'wasmtime')
    const status = await provider.client.expect<{ offers: Array<{ offerId: string }>; unpublished: Array<{ preset: string; reason: string }> }>(
      200,
      'GET',
      '/agora-api/v1/provider/status'
    )
    assert.deepEqual(
      status.offers.map(o => o.offerId),
      [offerId]
    )
    assert.equal(status.unpublished[0]?.preset, 'vm')
    assert.match(status.unpublished[0]?.reason ?? '', /runtime vm does not answer/)
  })

  it('withdraws its offers when it stops, and after a restart publishes anew while still knowing the earlier offers', async () => {
    const before = providerOf(provider).offers!.liveOffers()
    const dataDir = provider.dataDir
    await provider.stop()
    await eventually("the stopped provider's offer leaves the requester's market", async () =>
      marketOf(requester)
        .knownOffers()
        .every(offer => !before.some(old => old.offerId === offer.offerId))
    )
    provider = await cluster.start({
      dataDir,
      configure: config => {
        config.modules.provider = { offer: true }
      },
      provider: { machine: async () => MACHINE, runtimes: async () => [WASMTIME, VM_DOWN] }
    })
    const keeper = providerOf(provider).offers!
    const now = keeper.liveOffers()
    assert.equal(now.length, 1)
    assert.ok(!before.some(old => old.offerId === now[0]!.offerId))
    assert.deepEqual(
      marketOf(provider)
        .subscriptions('offer')
        .map(offer => offer.offerId),
      [now[0]!.offerId]
    )
    for (const old of before) assert.equal(keeper.presetOf(old.offerId)?.name, old.preset.name)
  })

  it('leaves offers made through the Market API alone, and withdraws after a restart the offers a crash left half replaced', async () => {
    const own = await provider.client.subscribe('offer', { 'golem.runtime.name': 'wasmtime', 'test.by': 'market-api' }, '')
    const orphan = await provider.client.subscribe('offer', { 'golem.runtime.name': 'wasmtime', 'test.by': 'crashed-agent' }, '')
    await providerOf(provider).offers!.refresh()
    const live = () =>
      new Set(
        marketOf(provider)
          .subscriptions('offer')
          .map(offer => offer.offerId)
      )
    assert.ok(live().has(own) && live().has(orphan))
    const dataDir = provider.dataDir
    await provider.stop()
    // As a crash between the publication of new offers and the withdrawal of the old ones leaves the record.
    const store = await Store.open(dataDirPaths(dataDir).db)
    try {
      const offers = store.sublevel<any>('provider').sublevel<string, any>('offers', { valueEncoding: 'json' })
      const record = await offers.get('offers')
      const preset = { name: 'wasmtime', runtime: 'wasmtime', pricing: { startingFee: '0', envPerHour: '0', cpuPerHour: '0' } }
      await offers.put('offers', { ...record, withdrawing: [{ offerId: orphan, preset, publishedAt: 0, expiresAt: 0 }] })
    } finally {
      await store.close()
    }
    provider = await cluster.start({
      dataDir,
      configure: config => {
        config.modules.provider = { offer: true }
      },
      provider: { machine: async () => MACHINE, runtimes: async () => [WASMTIME, VM_DOWN] }
    })
    const after = live()
    assert.ok(after.has(own), "an offer of the Market API is not the agent's")
    assert.ok(!after.has(orphan), 'the half-replaced offer is withdrawn')
    assert.ok(
      providerOf(provider)
        .offers!.offerIds()
        .every(id => after.has(id))
    )
  })
})
