// 100,000 live offers. One market node (scale-offers-node.ts, alone in its
// process) takes them in by gossip from the rest of the network
// (scale-offers-injector.ts): 12 relays on their own loopback addresses
// passing on the offers of 200 providers, 500 offers each, each offer signed
// by its provider's key (the offers topic keeps at most 1,000 per signer).
// Every offer goes the whole way a gossiped offer goes: signature and schema
// checked, limits applied, stored, handed to the market and its matcher.
// Then: that node's RSS; a second market node joins late, through it, and is
// timed until it holds every offer (anti-entropy sync: ids, then bodies);
// and one demand is matched against the 100,000 offers (indexed, and by a
// full scan for comparison). Checking each offer's signature bounds both the
// filling and the late node's sync at a few hundred offers a second, so the
// whole run takes about 11 minutes on a shared 2-core machine.
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { IpcWorker } from './ipc-worker.ts'
import { report } from './report.ts'
import type { InjectorRequest } from './scale-offers-injector.ts'
import type { MatchTimes, OffersNodeRequest } from './scale-offers-node.ts'
import { SCALE_DEMAND } from './scale-offer-terms.ts'

const OFFERS = 100_000
const SIGNERS = 200
const RELAYS = 12
// Together more than the holding node can check (signatures are the work), in chunks, a window ahead of it.
const PER_RELAY_PER_SECOND = 90
const CHUNK = 2_000
const WINDOW = 4_000
const LOAD_BOUND_MS = 900_000
const SYNC_BOUND_MS = 600_000
const MATCH_RUNS = 100

const here = dirname(fileURLToPath(import.meta.url))
const MIB = 1024 * 1024

const holder = new IpcWorker<OffersNodeRequest>(join(here, 'scale-offers-node.ts'))
const injector = new IpcWorker<InjectorRequest>(join(here, 'scale-offers-injector.ts'))
let joiner: IpcWorker<OffersNodeRequest> | undefined
try {
  await Promise.all([holder.ready, injector.ready])
  // A node takes 100 messages a second from one peer (burst 300), and more is
  // counted against the peer: right for a peer's own traffic, but a node that
  // takes in the whole market's offers at once reads each relay's backlog
  // faster than that whenever it catches up. So the holding node grants
  // more; every other check stays as it is. The late node keeps the defaults.
  const { address } = await holder.call<{ address: string }>({
    op: 'start',
    bootstrap: [],
    peerGuard: { messagesPerSecond: 5_000, messageBurst: 20_000, addressMessagesPerSecond: 5_000, addressMessageBurst: 20_000 }
  })
  const relayAddresses = await injector.call<string[]>({ op: 'start', relays: RELAYS })
  await holder.call({ op: 'dial', addresses: relayAddresses })
  await injector.call({ op: 'subscribed', boundMs: 60_000 })

  const loadStart = performance.now()
  await injector.call({ op: 'prepare', signers: SIGNERS, offersPerSigner: OFFERS / SIGNERS, seed: 7 })
  // The relays keep at most WINDOW offers ahead of what the holder has taken
  // in: gossip has no flow control of its own, and a relay far ahead of its
  // reader drops what no longer fits its buffer for that peer.
  let injected = 0
  while (injected < OFFERS) {
    const sent = await injector.call<number>({ op: 'inject', count: Math.min(CHUNK, OFFERS - injected), perRelayPerSecond: PER_RELAY_PER_SECOND })
    if (sent === 0) break
    injected += sent
    await holder.call<number>({ op: 'hold', count: Math.max(0, injected - WINDOW), boundMs: LOAD_BOUND_MS })
  }
  await holder.call<number>({ op: 'hold', count: OFFERS, boundMs: LOAD_BOUND_MS })
  const loadMs = performance.now() - loadStart
  if (injected !== OFFERS) throw new Error(`${injected} offers sent, not ${OFFERS}`)
  report('scale.100k-offers.load', Math.round(loadMs), 'ms')
  report('scale.100k-offers.load-rate', Math.round(OFFERS / (loadMs / 1000)), 'offers/s')
  // The relays leave: what the late node gets, it gets from the holder.
  await injector.stop({ op: 'stop' })

  const { rss, offers, storedBytes, refused } = await holder.call<{ rss: number; offers: number; storedBytes: number; refused: Record<string, number> }>({
    op: 'rss'
  })
  if (offers !== OFFERS) throw new Error(`the node's market holds ${offers} offers, not ${OFFERS}`)
  const refusedCount = Object.values(refused).reduce((a, b) => a + b, 0)
  report('scale.100k-offers.refused', refusedCount, 'offers')
  report('scale.100k-offers.rss', Math.round(rss / MIB), 'MB')
  report('scale.100k-offers.stored-bytes', Math.round(storedBytes / MIB), 'MB')

  const match = await holder.call<MatchTimes>({ op: 'match', ...SCALE_DEMAND, runs: MATCH_RUNS })
  report('scale.100k-offers.match.matched-offers', match.matched, 'offers')
  report('scale.100k-offers.match.p50', match.p50, 'ms')
  report('scale.100k-offers.match.p95', match.p95, 'ms')
  report('scale.100k-offers.match.full-scan.p50', match.fullScanP50, 'ms')

  joiner = new IpcWorker<OffersNodeRequest>(join(here, 'scale-offers-node.ts'))
  await joiner.ready
  await joiner.call({ op: 'start', bootstrap: [address] })
  // Timed from the node's start (inside its process) until it holds every offer.
  const syncMs = await joiner.call<number>({ op: 'hold', count: OFFERS, boundMs: SYNC_BOUND_MS })
  report('scale.100k-offers.late-join-sync', Math.round(syncMs), 'ms')
  report('scale.100k-offers.late-join-sync-rate', Math.round(OFFERS / (syncMs / 1000)), 'offers/s')
} finally {
  await Promise.allSettled([injector.stop({ op: 'stop' }), holder.stop({ op: 'stop' }), joiner?.stop({ op: 'stop' })])
}
