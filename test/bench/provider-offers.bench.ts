// The provider agent's offers as a provider changes its prices: from
// `PATCH /agora-api/v1/provider/settings` (a price of every preset) to the
// moment another daemon's market knows every replacement offer, over two
// whole daemons on loopback; and what one provider's status read costs.
//   provider.settings_to_offers_live.p50/.p95  ms, 20 changes
//   provider.status_read.p50                   ms, 50 reads
import type { MarketModule } from '../../daemon/modules/market-module.ts'
import type { ProviderModule } from '../../daemon/modules/provider-module.ts'
import { Cluster } from '../helpers/cluster.ts'
import type { TestNode } from '../helpers/cluster.ts'
import { waitFor } from '../helpers/wait.ts'
import { percentile, report } from './report.ts'

const CHANGES = 20
const READS = 50
const P = '/agora-api/v1/provider'
const MACHINE = { threads: 2, cpuModel: 'Bench CPU', architecture: 'x86_64', memoryGib: 8, diskGib: 50 }

const marketOf = (node: TestNode) => (node.modules.find(module => module.name === 'market') as MarketModule).market
const cluster = new Cluster()
try {
  const provider = await cluster.start({
    configure: config => {
      config.modules.provider = { offer: true }
    },
    provider: {
      machine: async () => MACHINE,
      runtimes: async () => [
        { name: 'wasmtime', available: true, offerProperties: { 'golem.runtime.name': 'wasmtime' } },
        { name: 'vm', available: true, offerProperties: { 'golem.runtime.name': 'vm' } }
      ]
    }
  })
  const requester = await cluster.start()
  const keeper = (provider.modules.find(module => module.name === 'provider') as ProviderModule).offers!
  const latencies: number[] = []
  for (let i = 0; i < CHANGES; i++) {
    const published = new Promise<readonly string[]>(resolve => {
      keeper.addEventListener('offers:published', event => resolve(event.detail.offers.map(offer => offer.offerId)), { once: true })
    })
    const startedAt = performance.now()
    await provider.client.expect(200, 'PATCH', `${P}/settings`, { pricing: { cpuPerHour: `0.${i + 1}` } })
    const ids = await published
    await waitFor(
      'the replacement offers reach the requester',
      () => {
        const known = new Set(
          marketOf(requester)
            .knownOffers()
            .map(offer => offer.offerId)
        )
        return ids.every(id => known.has(id))
      },
      30_000,
      2
    )
    latencies.push(performance.now() - startedAt)
  }
  report('provider.settings_to_offers_live.p50', Math.round(percentile(latencies, 50)), 'ms')
  report('provider.settings_to_offers_live.p95', Math.round(percentile(latencies, 95)), 'ms')
  const reads: number[] = []
  for (let i = 0; i < READS; i++) {
    const startedAt = performance.now()
    await provider.client.expect(200, 'GET', `${P}/status`)
    reads.push(performance.now() - startedAt)
  }
  report('provider.status_read.p50', Number(percentile(reads, 50).toFixed(2)), 'ms')
} finally {
  await cluster.stop()
}
