// The flooded node of broadcast-flood.bench.ts, in its own process so that
// its memory can be measured alone. It tells the bench its addresses, each
// honest entry it takes in, how much of the flood it judged (kept or refused),
// and at the end its peak RSS and what its store holds.
import { NetHost, NodeKey } from '../../net/index.ts'
import { BULK_TOPIC } from './broadcast-flood-topic.ts'

const host = new NetHost({ key: NodeKey.random(), gossipHeartbeatMs: 200 })
const topic = host.broadcast(BULK_TOPIC)
const outcomes = new Map<string, number>()
const refusedFrom = new Map<string, number>()
let floodAdded = 0
const note = (what: string): void => {
  outcomes.set(what, (outcomes.get(what) ?? 0) + 1)
}
topic.addEventListener('entry:added', event => {
  if (event.detail.id.startsWith('flood-')) floodAdded++
  else process.send?.({ added: event.detail.id })
})
topic.addEventListener('entry:refused', event => {
  note(event.detail.reason)
  refusedFrom.set(event.detail.from, (refusedFrom.get(event.detail.from) ?? 0) + 1)
})
topic.addEventListener('entry:removed', event => {
  note(`removed:${event.detail.reason}`)
})
await host.start()
let peakRss = process.memoryUsage().rss
const startRss = peakRss
let peakHeap = 0
let peakExternal = 0
/** Where the bytes sit: the largest each queue of gossipsub's held at one time. */
const peakQueues = { outboundUnsent: 0, inboundUnread: 0, intakeBacklog: 0, messageCache: 0, arrayBuffers: 0 }
interface GossipInternals {
  streamsOutbound: Map<string, { rawStream: { writeBufferLength: number } }>
  streamsInbound: Map<string, { rawStream: { readBufferLength: number } }>
  mcache: { size: number }
}
// FLOOD_LIVE=1: what is live (after a full collection) every 2 s, apart from
// what merely waits for the collector; the collections cost time, so only on demand.
const peakLive = { heap: 0, arrayBuffers: 0 }
const collect = (globalThis as { gc?: () => void }).gc
if (process.env.FLOOD_LIVE === '1' && collect !== undefined)
  setInterval(() => {
    collect()
    const usage = process.memoryUsage()
    peakLive.heap = Math.max(peakLive.heap, usage.heapUsed)
    peakLive.arrayBuffers = Math.max(peakLive.arrayBuffers, usage.arrayBuffers)
  }, 2_000).unref()
const sampler = setInterval(() => {
  const usage = process.memoryUsage()
  peakRss = Math.max(peakRss, usage.rss)
  peakHeap = Math.max(peakHeap, usage.heapUsed)
  peakExternal = Math.max(peakExternal, usage.external)
  const gossip = host.pubsub as unknown as GossipInternals
  peakQueues.intakeBacklog = Math.max(peakQueues.intakeBacklog, host.gossipIntake.backlogBytes)
  const sum = (values: Iterable<number>): number => [...values].reduce((a, b) => a + b, 0)
  peakQueues.outboundUnsent = Math.max(peakQueues.outboundUnsent, sum([...gossip.streamsOutbound.values()].map(s => s.rawStream.writeBufferLength)))
  peakQueues.inboundUnread = Math.max(peakQueues.inboundUnread, sum([...gossip.streamsInbound.values()].map(s => s.rawStream.readBufferLength)))
  peakQueues.messageCache = Math.max(peakQueues.messageCache, gossip.mcache.size)
  peakQueues.arrayBuffers = Math.max(peakQueues.arrayBuffers, usage.arrayBuffers)
}, 100)

process.on('message', message => {
  if (message === 'peers') {
    process.send?.({ gossipPeers: topic.gossipPeers().length })
    return
  }
  if (message === 'judged') {
    process.send?.({ judged: { floodAdded, refusedFrom: Object.fromEntries(refusedFrom) } })
    return
  }
  if (message !== 'stop') return
  clearInterval(sampler)
  peakRss = Math.max(peakRss, process.memoryUsage().rss)
  process.send?.({
    final: {
      startRss,
      peakRss,
      peakHeap,
      peakExternal,
      peakQueues,
      peakLive,
      intakePauses: host.gossipIntake.pauses,
      forwardsSkipped: host.forwardsSkipped,
      rss: process.memoryUsage().rss,
      storeBytes: topic.bytes,
      maxBytes: BULK_TOPIC.maxBytes ?? 64 << 20,
      entries: topic.size,
      floodAdded,
      refused: Object.fromEntries(outcomes),
      refusedFrom: Object.fromEntries(refusedFrom)
    }
  })
  void host.stop().then(() => process.exit(0))
})
// The bench gone, for whatever reason: nothing left behind.
process.on('disconnect', () => {
  process.exit(0)
})
process.send?.({ addresses: host.addresses(), nodeId: host.nodeId, peerId: host.key.peerId.toString() })
