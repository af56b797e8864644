// Gossip memory under a flood: one node (in its own process, so that its RSS
// is its own) with three honest neighbours and one hostile peer. The hostile
// peer floods it with 3,000 validly signed entries of about 59.5 KB from 300
// fresh keys, just under the gossip message rate; half way through, an honest
// node publishes one entry. Reported: the flooded node's peak RSS, and the
// share of the other nodes the honest entry reached.
import { fork } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { NetHost, NodeKey, gossipTopicOf, signEnvelope } from '../../net/index.ts'
import type { Broadcast } from '../../net/index.ts'
import { gossipBytes } from '../helpers/toy-topic.ts'
import { waitFor } from '../helpers/wait.ts'
import { BULK_TOPIC } from './broadcast-flood-topic.ts'
import type { Bulk } from './broadcast-flood-topic.ts'
import { report } from './report.ts'

const FLOOD_ENTRIES = 3_000
const ENTRIES_PER_KEY = 10
/** Just under the guard's 100 gossip messages a second: the flood is not dropped for its rate alone. */
const MESSAGES_PER_SECOND = 80
const NOTE = 'x'.repeat(59_000)

interface Final {
  startRss: number
  peakRss: number
  rss: number
  storeBytes: number
  entries: number
  refused: Record<string, number>
}

const here = dirname(fileURLToPath(import.meta.url))
const child = fork(join(here, 'broadcast-flood-node.ts'), [], { stdio: 'inherit' })
const addedAtTarget = new Set<string>()
const started = new Promise<{ addresses: string[]; nodeId: string }>(resolve => {
  child.on('message', (message: any) => {
    if (message.addresses !== undefined) resolve(message)
    if (message.added !== undefined) addedAtTarget.add(message.added)
  })
})
const ask = async <T>(question: string, key: string): Promise<T> =>
  await new Promise<T>(resolve => {
    const listener = (message: any): void => {
      if (message[key] === undefined) return
      child.off('message', listener)
      resolve(message[key])
    }
    child.on('message', listener)
    child.send(question)
  })

const hosts: NetHost[] = []
try {
  const target = await started
  const honest: Array<{ host: NetHost; topic: Broadcast<typeof Bulk>; seen: Set<string> }> = []
  for (let i = 0; i < 3; i++) {
    // Honest nodes join through the target and through each other.
    const bootstrap = [target.addresses[0] as string, ...(honest[0]?.host.addresses().slice(0, 1) ?? [])]
    const host = new NetHost({ key: NodeKey.random(), bootstrap, gossipHeartbeatMs: 200 })
    hosts.push(host)
    const node = { host, topic: host.broadcast(BULK_TOPIC), seen: new Set<string>() }
    node.topic.addEventListener('entry:added', event => {
      node.seen.add(event.detail.id)
    })
    await host.start()
    honest.push(node)
  }
  // The hostile peer talks to the target alone and carries no topic of its own.
  const hostile = new NetHost({ key: NodeKey.random(), bootstrap: [target.addresses[0] as string] })
  hosts.push(hostile)
  await hostile.start()
  const topic = gossipTopicOf(BULK_TOPIC.name)
  await waitFor(
    'gossip mesh',
    async () =>
      honest.every(node => node.topic.gossipPeers().length >= 1) &&
      hostile.libp2p.services.pubsub.getSubscribers(topic).length >= 1 &&
      (await ask<number>('peers', 'gossipPeers')) >= 3,
    30_000,
    100
  )
  for (const other of hostile.connectedNodes()) if (other !== target.nodeId) await hostile.hangUp(other)

  let honestId: string | undefined
  let publishedAt = 0
  const floodStart = performance.now()
  let key = NodeKey.random()
  for (let i = 0; i < FLOOD_ENTRIES; i++) {
    if (i % ENTRIES_PER_KEY === 0) key = NodeKey.random()
    const envelope = signEnvelope(key, BULK_TOPIC.envelopeType, { id: `flood-${i}`, note: NOTE, expiresAt: Date.now() + 3_600_000 })
    await hostile.libp2p.services.pubsub.publish(topic, gossipBytes('entry', envelope)).catch(() => {})
    if (i === FLOOD_ENTRIES / 2) {
      const publisher = honest[1]!
      const entry = await publisher.topic.publish({ id: 'honest-offer', note: 'an honest offer', expiresAt: Date.now() + 3_600_000 })
      honestId = entry.id
      publishedAt = performance.now()
    }
    // Paced by the clock: the flood keeps its rate whatever signing costs.
    const due = floodStart + ((i + 1) * 1000) / MESSAGES_PER_SECOND
    const wait = due - performance.now()
    if (wait > 0) await new Promise(resolve => setTimeout(resolve, wait))
  }
  const floodSeconds = (performance.now() - floodStart) / 1000

  const others = (): number => [addedAtTarget.has(honestId!), honest[0]!.seen.has(honestId!), honest[2]!.seen.has(honestId!)].filter(Boolean).length
  // Long enough for a minute's anti-entropy sync to heal what gossip missed.
  await waitFor('honest entry everywhere', () => others() === 3, 90_000, 50).catch(() => {})
  const reach = others() / 3
  const final = await ask<Final>('stop', 'final')
  report('broadcast.flood.rss', Math.round(final.peakRss / 1024 / 1024), 'MB')
  report('broadcast.flood.rss_before', Math.round(final.startRss / 1024 / 1024), 'MB')
  report('broadcast.flood.honest_reach', Math.round(reach * 100) / 100, 'share')
  report('broadcast.flood.store', Math.round((final.storeBytes / 1024 / 1024) * 10) / 10, 'MiB')
  report('broadcast.flood.kept', final.entries, 'entries')
  report('broadcast.flood.seconds', Math.round(floodSeconds), 's')
  console.log(
    `# honest entry reached ${others()} of 3 nodes ${Math.round(performance.now() - publishedAt)} ms after it was published; refused at the flooded node: ${JSON.stringify(final.refused)}`
  )
} finally {
  await Promise.all(
    hosts.map(async host => {
      await host.stop()
    })
  )
  if (child.exitCode === null) child.kill('SIGKILL')
}
