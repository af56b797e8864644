import assert from 'node:assert/strict'
import { once } from 'node:events'
import type { MarketModule } from '../../../daemon/modules/market-module.ts'
import type { ProviderModule } from '../../../daemon/modules/provider-module.ts'
import type { RuntimeAnswer } from '../../../daemon/provider/offers/index.ts'
import { Cluster } from '../../helpers/cluster.ts'
import type { TestNode } from '../../helpers/cluster.ts'
import { eventually } from '../../helpers/wait.ts'

const MACHINE = { threads: 2, cpuModel: 'Test CPU', architecture: 'x86_64', memoryGib: 8, diskGib: 50 }
const WASMTIME: RuntimeAnswer = { name: 'wasmtime', available: true, offerProperties: { 'golem.runtime.name': 'wasmtime' } }
const VM_DOWN: RuntimeAnswer = { name: 'vm', available: false, error: 'connect ENOENT /var/run/docker.sock', offerProperties: { 'golem.runtime.name': 'vm' } }

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
    const market = (requester.modules.find(module => module.name === 'market') as MarketModule).market
    const seen = await eventually('the offer reaches the requester', async () => market.knownOffers().find(offer => offer.offerId === offerId))
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
    void once
  })
})
