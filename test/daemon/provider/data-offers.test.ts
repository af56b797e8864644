import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { MarketModule } from '../../../daemon/modules/market-module.ts'
import type { ProviderModule } from '../../../daemon/modules/provider-module.ts'
import type { RuntimeAnswer } from '../../../daemon/provider/offers/index.ts'
import { agora, reapChildren } from '../../helpers/agora-process.ts'
import { Cluster } from '../../helpers/cluster.ts'
import type { TestNode } from '../../helpers/cluster.ts'
import { eventually } from '../../helpers/wait.ts'

const MACHINE = { threads: 2, cpuModel: 'Test CPU', architecture: 'x86_64', memoryGib: 8, diskGib: 50 }
const WASMTIME: RuntimeAnswer = { name: 'wasmtime', available: true, offerProperties: { 'golem.runtime.name': 'wasmtime' } }
const DATASETS = '/agora-api/v1/custody/datasets'
const COEFFS = 'golem.com.pricing.model.linear.coeffs'

const marketOf = (node: TestNode) => (node.modules.find(module => module.name === 'market') as MarketModule).market
const providerOf = (node: TestNode) => node.modules.find(module => module.name === 'provider') as ProviderModule

describe('provider agent: data offers', function () {
  this.timeout(180_000)
  const cluster = new Cluster()
  let dir: string
  let provider: TestNode
  let requester: TestNode

  /** The offers of the provider the requester knows now, by dataset ('' for the plain ones). */
  const seenOffers = () =>
    marketOf(requester)
      .knownOffers()
      .filter(offer => providerOf(provider).offers!.offerIds().includes(offer.offerId))

  /** How many known offers a demand naming `dataset` (or none) matches, as the requester's market counts them. */
  async function matching(dataset: string | undefined): Promise<number> {
    const named = dataset === undefined ? {} : { 'agora.data.name': dataset }
    const constraints = `(&(agora.provider.preset=wasmtime)(golem.node.id.name=data-owner)${dataset === undefined ? '' : `(agora.data.name=${dataset})`})`
    const body = { properties: { 'golem.srv.comp.expiration': Date.now() + 3_600_000, ...named }, constraints }
    return (await requester.client.expect<{ matching: number }>(200, 'POST', '/agora-api/v1/market/explain', body)).matching
  }

  /** The publication whose offers are of exactly these datasets ('' for the plain offers): an earlier round may still be finishing. */
  function publishedWith(datasets: string[]): Promise<void> {
    const keeper = providerOf(provider).offers!
    return new Promise(resolve => {
      const listener = (event: CustomEvent<{ offers: ReadonlyArray<{ dataset?: string }> }>): void => {
        const seen = event.detail.offers.map(offer => offer.dataset ?? '').sort()
        if (JSON.stringify(seen) !== JSON.stringify([...datasets].sort())) return
        keeper.removeEventListener('offers:published', listener)
        resolve()
      }
      keeper.addEventListener('offers:published', listener)
    })
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agora-data-offers-'))
    provider = await cluster.start({
      configure: config => {
        config.modules.provider = { offer: true, nodeName: 'data-owner' }
      },
      provider: { machine: async () => MACHINE, runtimes: async () => [WASMTIME] }
    })
    requester = await cluster.start()
    // Prices whose naive floating-point sums are off (0.1 + 0.2 ≠ 0.3).
    await provider.client.expect(200, 'PUT', '/agora-api/v1/provider/presets/wasmtime', {
      pricing: { startingFee: '0.1', envPerHour: '0.02', cpuPerHour: '0.1' }
    })
  })
  afterEach(async () => {
    await reapChildren()
  })
  after(async () => {
    await cluster.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('publishes one offer per preset and dataset, seen in another node with the descriptor, the constraint and the exact price', async () => {
    const csv = join(dir, 'patients.csv')
    const rows = Array.from({ length: 1234 }, (_, i) => `${i},${(i % 90) + 0.5},${i % 2 === 0},"name, ${i}"`)
    await writeFile(csv, `id,age,smoker,label\n${rows.join('\n')}\n`)
    const published = publishedWith(['', 'patients'])
    const added = await provider.client.expect(201, 'POST', DATASETS, {
      name: 'patients',
      csv,
      description: 'ward admissions',
      tags: ['health', 'demo'],
      price: { perUse: '0.2', perHour: '0.0036' }
    })
    assert.equal(added.rows, 1234)
    await published
    const live = providerOf(provider).offers!.liveOffers()
    assert.deepEqual(live.map(offer => offer.dataset ?? '').sort(), ['', 'patients'])

    const offer = await eventually('the data offer reaches the requester', async () =>
      seenOffers().find(seen => seen.properties['agora.data.name'] === 'patients')
    )
    const p = offer.properties
    assert.equal(p['agora.data.description'], 'ward admissions')
    assert.deepEqual(p['agora.data.tags'], ['health', 'demo'])
    assert.deepEqual(p['agora.data.columns'], ['id:integer', 'age:real', 'smoker:boolean', 'label:text'])
    assert.equal(p['agora.data.rows.at-least'], 1000)
    assert.equal(p['agora.data.bytes'], added.bytes)
    assert.equal(p['agora.data.policy'], 'policy: none')
    assert.equal(p['agora.data.price.per-use'], '0.2')
    assert.equal(p['agora.data.price.per-hour'], '0.0036')
    assert.equal(p['agora.provider.preset'], 'wasmtime')
    assert.equal(p['golem.runtime.name'], 'wasmtime')
    assert.match(offer.constraints, /\(agora\.data\.name=patients\)/)
    assert.match(offer.constraints, /golem\.srv\.comp\.expiration>/)
    // [cpu/s, env/s, start]: exact sums, then the nearest double (a quotient of two exact integers is correctly rounded).
    const coeffs = p[COEFFS] as number[]
    assert.equal(coeffs[2], 3 / 10)
    assert.notEqual(coeffs[2], 0.1 + 0.2)
    assert.equal(coeffs[1], 236 / 36_000_000)
    assert.equal(coeffs[0], 1 / 36_000)
    const plain = await eventually('the plain offer reaches the requester', async () =>
      seenOffers().find(seen => seen.properties['agora.data.name'] === undefined)
    )
    assert.deepEqual(plain.properties[COEFFS], [1 / 36_000, 2 / 360_000, 1 / 10])

    // Only a demand naming the dataset matches the data offer; a plain demand matches only the plain offer.
    assert.equal(await matching('patients'), 1)
    assert.equal(await matching(undefined), 1)
    assert.equal(await matching('other'), 0)

    const status = await provider.client.expect<{ offers: Array<{ dataset?: string; pricing: { startingFee: string; envPerHour: string } }> }>(
      200,
      'GET',
      '/agora-api/v1/provider/status'
    )
    const dataStatus = status.offers.find(each => each.dataset === 'patients')
    assert.equal(dataStatus?.pricing.startingFee, '0.3')
    assert.equal(dataStatus?.pricing.envPerHour, '0.0236')
    const text = await agora(['provider', 'status', '--data-dir', provider.dataDir])
    assert.equal(text.code, 0, text.stderr)
    assert.match(text.stdout, /^OFFER\s+PRESET\s+DATASET\s+RUNTIME/m)
    assert.match(text.stdout, /\swasmtime\s+patients\s+wasmtime\s.*\s0\.3\s+0\.0236\s+0\.1$/m)
  })

  it('replaces the offers when a dataset is added or removed, and withdraws the removed one from the other node', async () => {
    const before = providerOf(provider).offers!.liveOffers()
    const csv = join(dir, 'visits.csv')
    await writeFile(csv, 'day,count\n1,10\n2,12\n')
    let published = publishedWith(['', 'patients', 'visits'])
    await provider.client.expect(201, 'POST', DATASETS, { name: 'visits', csv })
    await published
    const withBoth = providerOf(provider).offers!.liveOffers()
    assert.deepEqual(withBoth.map(offer => offer.dataset ?? '').sort(), ['', 'patients', 'visits'])
    assert.ok(
      withBoth.every(offer => !before.some(old => old.offerId === offer.offerId)),
      'every offer is published anew'
    )
    const visits = withBoth.find(offer => offer.dataset === 'visits')!
    await eventually('the new data offer reaches the requester', async () => seenOffers().some(offer => offer.offerId === visits.offerId))
    assert.equal(await matching('visits'), 1)

    published = publishedWith(['', 'visits'])
    await provider.client.expect(204, 'DELETE', `${DATASETS}/patients`)
    await published
    const after = providerOf(provider).offers!.liveOffers()
    assert.deepEqual(after.map(offer => offer.dataset ?? '').sort(), ['', 'visits'])
    const removed = withBoth.find(offer => offer.dataset === 'patients')!
    await eventually("the removed dataset's offer leaves the requester's market", async () =>
      marketOf(requester)
        .knownOffers()
        .every(offer => offer.offerId !== removed.offerId)
    )
    assert.equal(await matching('patients'), 0)
  })
})
