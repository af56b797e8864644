// The flooded node of broadcast-flood.bench.ts, in its own process so that
// its memory can be measured alone. It tells the bench its addresses, each
// entry it takes in, and at the end its peak RSS and what its store holds.
import { NetHost, NodeKey } from '../../net/index.ts'
import { BULK_TOPIC } from './broadcast-flood-topic.ts'

const host = new NetHost({ key: NodeKey.random(), gossipHeartbeatMs: 200 })
const topic = host.broadcast(BULK_TOPIC)
const outcomes = new Map<string, number>()
const note = (what: string): void => {
  outcomes.set(what, (outcomes.get(what) ?? 0) + 1)
}
topic.addEventListener('entry:added', event => {
  process.send?.({ added: event.detail.id })
})
topic.addEventListener('entry:refused', event => {
  note(event.detail.reason)
})
topic.addEventListener('entry:removed', event => {
  note(`removed:${event.detail.reason}`)
})
await host.start()
let peakRss = process.memoryUsage().rss
const startRss = peakRss
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss)
}, 100)

process.on('message', message => {
  if (message === 'peers') {
    process.send?.({ gossipPeers: topic.gossipPeers().length })
    return
  }
  if (message !== 'stop') return
  clearInterval(sampler)
  peakRss = Math.max(peakRss, process.memoryUsage().rss)
  process.send?.({
    final: { startRss, peakRss, rss: process.memoryUsage().rss, storeBytes: topic.bytes, entries: topic.size, refused: Object.fromEntries(outcomes) }
  })
  void host.stop().then(() => process.exit(0))
})
// The bench gone, for whatever reason: nothing left behind.
process.on('disconnect', () => {
  process.exit(0)
})
process.send?.({ addresses: host.addresses(), nodeId: host.nodeId })
