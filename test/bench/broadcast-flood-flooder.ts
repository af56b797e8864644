// The hostile peer of broadcast-flood.bench.ts, in its own process: its
// signing (a 59 KB envelope costs a few ms) and its sending must not starve
// the event loop of the honest nodes, nor its own. It connects to the flooded
// node alone and, told to go, publishes validly signed entries from fresh keys
// at a steady rate. It yields to the event loop after every entry (so window
// updates and pings are read) and waits while its stream to the target holds
// more than a few MiB unsent, as any sender that wants its flood to arrive
// must. It reports half way through and at the end.
import { NetHost, NodeKey, gossipTopicOf, signEnvelope } from '../../net/index.ts'
import { gossipBytes } from '../helpers/toy-topic.ts'
import { waitFor } from '../helpers/wait.ts'
import { BULK_TOPIC } from './broadcast-flood-topic.ts'

const [target, targetPeerId, count, perSecond, perKey] = process.argv.slice(2)
if (target === undefined || targetPeerId === undefined)
  throw new Error('usage: broadcast-flood-flooder.ts <target multiaddr> <target peer id> <entries> <per second> <entries per key>')
const FLOOD_ENTRIES = Number(count ?? 3000)
const MESSAGES_PER_SECOND = Number(perSecond ?? 80)
const ENTRIES_PER_KEY = Number(perKey ?? 10)
/** Unsent bytes on the stream to the target beyond which the flooder waits. */
const MAX_UNSENT = 4 << 20
const NOTE = 'x'.repeat(59_000)

const topic = gossipTopicOf(BULK_TOPIC.name)
const host = new NetHost({ key: NodeKey.random(), bootstrap: [target] })
const yieldToLoop = async (): Promise<void> => {
  await new Promise(resolve => setImmediate(resolve))
}
const pause = async (ms: number): Promise<void> => {
  await new Promise(resolve => setTimeout(resolve, ms))
}
/** Bytes gossipsub holds unsent for the target (a hostile client may look inside). */
const unsent = (): number => {
  const streams = (host.libp2p.services.pubsub as unknown as { streamsOutbound: Map<string, { rawStream: { writeBufferLength: number } }> }).streamsOutbound
  return streams.get(targetPeerId)?.rawStream.writeBufferLength ?? 0
}

process.on('disconnect', () => {
  process.exit(0)
})

await host.start()
await waitFor('the target subscribed', () => host.libp2p.services.pubsub.getSubscribers(topic).some(peer => peer.toString() === targetPeerId), 60_000, 50)
process.send?.({ ready: host.nodeId })
await new Promise<void>(resolve => {
  process.once('message', () => {
    resolve()
  })
})
// The target alone: whatever the DHT connected besides goes.
for (const connection of host.libp2p.getConnections()) if (connection.remotePeer.toString() !== targetPeerId) await connection.close()

let sent = 0
let waitedMs = 0
const start = performance.now()
let key = NodeKey.random()
for (let i = 0; i < FLOOD_ENTRIES; i++) {
  if (i % ENTRIES_PER_KEY === 0) key = NodeKey.random()
  const envelope = signEnvelope(key, BULK_TOPIC.envelopeType, { id: `flood-${i}`, note: NOTE, expiresAt: Date.now() + 3_600_000 })
  const published = await host.libp2p.services.pubsub.publish(topic, gossipBytes('entry', envelope)).catch(() => undefined)
  if (published !== undefined && published.recipients.length > 0) sent++
  if (i === Math.floor(FLOOD_ENTRIES / 2)) process.send?.({ half: i })
  const waitStart = performance.now()
  while (unsent() > MAX_UNSENT) await pause(5)
  waitedMs += performance.now() - waitStart
  // Paced by the clock, and never without a turn of the event loop.
  const due = start + ((i + 1) * 1000) / MESSAGES_PER_SECOND
  const wait = due - performance.now()
  if (wait > 0) await pause(wait)
  else await yieldToLoop()
}
while (unsent() > 0) await pause(10)
process.send?.({ done: { sent, seconds: (performance.now() - start) / 1000, waitedMs: Math.round(waitedMs) } }, () => {
  void host.stop().then(() => process.exit(0))
})
