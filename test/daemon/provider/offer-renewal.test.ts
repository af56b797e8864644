import assert from 'node:assert/strict'
import type { MarketModule } from '../../../daemon/modules/market-module.ts'
import type { ProviderModule } from '../../../daemon/modules/provider-module.ts'
import type { OfferKeeper, PublishedOffer, RuntimeAnswer } from '../../../daemon/provider/offers/index.ts'
import { Cluster } from '../../helpers/cluster.ts'
import type { TestNode } from '../../helpers/cluster.ts'
import { ManualClock } from '../../helpers/manual-clock.ts'
import { eventually } from '../../helpers/wait.ts'

const P = '/agora-api/v1/provider'
const TTL_MS = 60_000
const MARGIN_MS = 5_000
const MACHINE = { threads: 2, cpuModel: 'Test CPU', architecture: 'x86_64', memoryGib: 8, diskGib: 50 }
const WASMTIME: RuntimeAnswer = { name: 'wasmtime', available: true, offerProperties: { 'golem.runtime.name': 'wasmtime' } }
const VM: RuntimeAnswer = { name: 'vm', available: true, offerProperties: { 'golem.runtime.name': 'vm' } }

const marketOf = (node: TestNode) => (node.modules.find(module => module.name === 'market') as MarketModule).market
const keeperOf = (node: TestNode): OfferKeeper => (node.modules.find(module => module.name === 'provider') as ProviderModule).offers!

/** The next publication's offers; listen before acting. */
function nextPublication(keeper: OfferKeeper): Promise<readonly PublishedOffer[]> {
  return new Promise(resolve => {
    keeper.addEventListener('offers:published', event => resolve(event.detail.offers), { once: true })
  })
}

describe('provider agent: offers re-published before they expire, replaced when settings change', function () {
  this.timeout(120_000)
  const cluster = new Cluster()
  // Both nodes on one clock that moves only when the test says: expiry is exact.
  const clock = new ManualClock(Date.now())
  let provider: TestNode
  let requester: TestNode

  before(async () => {
    provider = await cluster.start({
      clock,
      configure: config => {
        config.modules.market = { subscriptionTtlMs: TTL_MS }
        config.modules.provider = { offer: true, republishMarginMs: MARGIN_MS }
      },
      provider: { machine: async () => MACHINE, runtimes: async () => [WASMTIME, VM] }
    })
    requester = await cluster.start({ clock })
  })
  after(async () => {
    await cluster.stop()
  })

  const seenBy = async (node: TestNode, offerIds: readonly string[]): Promise<void> => {
    await eventually(`offers ${offerIds.join(', ')} reach the requester`, async () => {
      const known = new Set(
        marketOf(node)
          .knownOffers()
          .map(offer => offer.offerId)
      )
      return offerIds.every(id => known.has(id))
    })
  }

  it('publishes each offer again before the old one expires: the new one is live while the old one still is (no gap)', async () => {
    const keeper = keeperOf(provider)
    const first = keeper.liveOffers()
    assert.equal(first.length, 2)
    await seenBy(
      requester,
      first.map(o => o.offerId)
    )
    const oldEnd = Math.min(...first.map(o => o.expiresAt))
    assert.equal(oldEnd - clock.now(), TTL_MS)

    for (let round = 0; round < 3; round++) {
      const previous = keeper.liveOffers()
      const end = Math.min(...previous.map(o => o.expiresAt))
      const published = nextPublication(keeper)
      // Up to just before the renewal: nothing new yet.
      clock.advance(end - MARGIN_MS - clock.now() - 1)
      assert.deepEqual(
        keeper.offerIds(),
        previous.map(o => o.offerId)
      )
      clock.advance(1)
      const renewed = await published
      assert.equal(renewed.length, 2)
      // The successors are live in the market before their predecessors' end.
      assert.ok(clock.now() < end)
      for (const offer of renewed) assert.ok(!previous.some(old => old.offerId === offer.offerId))
      const live = new Set(
        marketOf(provider)
          .subscriptions('offer')
          .map(offer => offer.offerId)
      )
      assert.ok(renewed.every(offer => live.has(offer.offerId)))
      assert.ok(previous.every(offer => !live.has(offer.offerId)))
      await seenBy(
        requester,
        renewed.map(o => o.offerId)
      )
      assert.ok(clock.now() < end, 'the requester saw the new offers while the old ones were still valid')
      // An agreement made on an earlier offer still finds its preset.
      for (const old of previous) assert.equal(keeper.presetOf(old.offerId)?.name, old.preset.name)
    }
  })

  it('replaces every offer at once when the settings change, and withdraws a removed preset', async () => {
    const keeper = keeperOf(provider)
    const previous = keeper.liveOffers()
    let changes = 0
    const stopListening = keeper.onChange(() => {
      changes++
    })
    let published = nextPublication(keeper)
    await provider.client.expect(200, 'PATCH', `${P}/settings`, { cores: 1 })
    const replaced = await published
    stopListening()
    assert.equal(changes, 1)
    assert.equal(replaced.length, 2)
    await seenBy(
      requester,
      replaced.map(o => o.offerId)
    )
    const known = marketOf(requester).knownOffers()
    for (const offer of replaced) assert.equal(known.find(o => o.offerId === offer.offerId)?.properties['golem.inf.cpu.threads'], 1)
    const live = new Set(
      marketOf(provider)
        .subscriptions('offer')
        .map(offer => offer.offerId)
    )
    assert.ok(previous.every(offer => !live.has(offer.offerId)))

    published = nextPublication(keeper)
    await provider.client.expect(204, 'DELETE', `${P}/presets/vm`)
    const remaining = await published
    assert.deepEqual(
      remaining.map(o => o.preset.name),
      ['wasmtime']
    )
    assert.deepEqual(
      marketOf(provider)
        .subscriptions('offer')
        .map(offer => offer.offerId),
      remaining.map(o => o.offerId)
    )
  })

  it('publishes nothing while offering is off, and says why', async () => {
    const keeper = keeperOf(provider)
    let published = nextPublication(keeper)
    await provider.client.expect(200, 'PATCH', `${P}/settings`, { offering: false })
    assert.deepEqual(await published, [])
    assert.deepEqual(marketOf(provider).subscriptions('offer'), [])
    const status = await provider.client.expect(200, 'GET', `${P}/status`)
    assert.equal(status.offering, false)
    assert.match(status.unpublished[0].reason, /offering is off/)
    published = nextPublication(keeper)
    await provider.client.expect(200, 'PATCH', `${P}/settings`, { offering: true })
    assert.equal((await published).length, 1)
  })
})

describe('provider agent: offers follow the runtimes that answer', function () {
  this.timeout(120_000)
  const cluster = new Cluster()
  const clock = new ManualClock(Date.now())
  let provider: TestNode
  // The Docker engine, as the exe-unit would report it: down at the start.
  let engineUp = false
  // Every question to the runtimes: the minute's check, and each publication's own.
  let asked = 0
  const runtimes = async (): Promise<RuntimeAnswer[]> => {
    asked++
    return [WASMTIME, engineUp ? VM : { ...VM, available: false, error: 'connect ENOENT /var/run/docker.sock' }]
  }

  before(async () => {
    provider = await cluster.start({
      clock,
      configure: config => (config.modules.provider = { offer: true }),
      provider: { machine: async () => MACHINE, runtimes }
    })
  })
  after(async () => {
    await cluster.stop()
  })

  const presets = (offers: readonly PublishedOffer[]): string[] => offers.map(offer => offer.preset.name).sort()

  it('publishes the vm preset within a minute of the engine answering, and withdraws it within a minute of it going away', async () => {
    const keeper = keeperOf(provider)
    assert.deepEqual(presets(keeper.liveOffers()), ['wasmtime'])
    assert.match(keeper.unpublished().find(u => u.preset === 'vm')?.reason ?? '', /runtime vm does not answer: connect ENOENT/)
    // A minute with nothing changed asks the runtimes once and publishes nothing: a publication would ask
    // them again at once, in the turn that read the answer.
    const before = keeper.offerIds()
    const askedBefore = asked
    clock.advance(60_000)
    assert.equal(asked, askedBefore + 1, 'the check asked')
    await new Promise(resolve => setImmediate(resolve))
    assert.equal(asked, askedBefore + 1, 'no publication followed')
    assert.deepEqual(keeper.offerIds(), before)

    engineUp = true
    let published = nextPublication(keeper)
    clock.advance(60_000)
    assert.deepEqual(presets(await published), ['vm', 'wasmtime'])
    assert.deepEqual(keeper.unpublished(), [])

    engineUp = false
    published = nextPublication(keeper)
    clock.advance(60_000)
    assert.deepEqual(presets(await published), ['wasmtime'])
    assert.deepEqual(
      marketOf(provider)
        .subscriptions('offer')
        .map(offer => offer.offerId),
      keeper.offerIds()
    )
  })
})
