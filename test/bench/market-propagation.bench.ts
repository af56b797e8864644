// Offer propagation across 20 whole daemons on loopback, seen the way a
// client sees it: an offer subscribed through one daemon's REST API, timed
// until every other daemon's scan (a long poll) returns it.
import { Cluster } from '../helpers/cluster.ts'
import type { TestNode } from '../helpers/cluster.ts'
import { providerOffer } from '../helpers/golem-terms.ts'
import { waitFor } from '../helpers/wait.ts'
import { percentile, report } from './report.ts'

const DAEMONS = 20
const OFFERS = 30

const cluster = new Cluster()
const pick = <T>(items: T[]): T => items[Math.floor(Math.random() * items.length)] as T
const seen = new Map<string, Map<TestNode, number>>()
let running = true

/** Follows one daemon's offers through a scan iterator, noting when each arrives. */
async function watch(node: TestNode): Promise<void> {
  const scanId = await node.client.expect<string>(201, 'POST', '/market-api/v1/scan', { type: 'offer', timeout: 3600 })
  while (running) {
    const offers = await node.client.expect<any[]>(200, 'GET', `/market-api/v1/scan/${scanId}/events?timeout=1&maxEvents=100`)
    const now = performance.now()
    for (const offer of offers) {
      const times = seen.get(offer.offerId) ?? new Map<TestNode, number>()
      times.set(node, now)
      seen.set(offer.offerId, times)
    }
  }
}

try {
  const startedAt = performance.now()
  const nodes: TestNode[] = []
  for (let i = 0; i < DAEMONS; i++) {
    nodes.push(await cluster.start(i === 0 ? {} : { bootstrap: [pick(nodes).addresses[0]!] }))
  }
  report('market.start_20_daemons', Math.round(performance.now() - startedAt), 'ms')
  const watchers = nodes.map(watch)
  // Let the gossip meshes form before timing.
  await new Promise(resolve => setTimeout(resolve, 4_000))

  const latencies: number[] = []
  for (let i = 0; i < OFFERS; i++) {
    const provider = pick(nodes)
    const offer = providerOffer(provider.nodeId)
    const published = performance.now()
    const offerId = await provider.client.subscribe('offer', offer.properties, offer.constraints)
    const others = nodes.filter(node => node !== provider)
    await waitFor(`offer ${offerId} everywhere`, () => others.every(node => seen.get(offerId)?.has(node) === true), 10_000, 5)
    const times = seen.get(offerId)!
    latencies.push(Math.max(...others.map(node => times.get(node)! - published)))
    await new Promise(resolve => setTimeout(resolve, 20 + Math.random() * 30))
  }
  report('market.offer_propagation_20_daemons.p50', percentile(latencies, 50), 'ms')
  report('market.offer_propagation_20_daemons.p95', percentile(latencies, 95), 'ms')
  report('market.offer_propagation_20_daemons.max', Math.max(...latencies), 'ms')
  running = false
  await Promise.allSettled(watchers)
} finally {
  running = false
  await cluster.stop()
}
