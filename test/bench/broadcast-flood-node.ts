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
const sampler = setInterval(() => {
  const usage = process.memoryUsage()
  peakRss = Math.max(peakRss, usage.rss)
  peakHeap = Math.max(peakHeap, usage.heapUsed)
  peakExternal = Math.max(peakExternal, usage.external)
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
