// Gossip memory under a flood: one node (in its own process, so that its RSS
// is its own) with three honest neighbours and one hostile peer (in a third
// process, so that its signing starves nobody's event loop). The hostile peer
// floods it with 3,000 validly signed entries of about 59.5 KB from 300 fresh
// keys, just under the gossip message rate; half way through, an honest node
// publishes one entry. Reported: the flooded node's peak RSS (and before the
// flood), how many flood entries it judged (kept or refused: all of them
// should arrive), what its store kept against its byte bound, and how soon
// and how widely the honest entry spread.
import { fork } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { NetHost, NodeKey } from '../../net/index.ts'
import type { Broadcast } from '../../net/index.ts'
import { waitFor } from '../helpers/wait.ts'
import { BULK_TOPIC } from './broadcast-flood-topic.ts'
import type { Bulk } from './broadcast-flood-topic.ts'
import { report } from './report.ts'

const FLOOD_ENTRIES = Number(process.env.FLOOD_ENTRIES ?? 3_000)
const ENTRIES_PER_KEY = 10
/** Just under the guard's 100 gossip messages a second: the flood is not dropped for its rate alone. */
const MESSAGES_PER_SECOND = 80

interface Final {
  startRss: number
  peakRss: number
  peakHeap: number
  peakExternal: number
  peakLive: { heap: number; arrayBuffers: number }
  intakePauses: number
  forwardsSkipped: number
  peakQueues: { outboundUnsent: number; inboundUnread: number; intakeBacklog: number; messageCache: number; arrayBuffers: number }
  rss: number
  storeBytes: number
  maxBytes: number
  entries: number
  floodAdded: number
  refused: Record<string, number>
  refusedFrom: Record<string, number>
}

const here = dirname(fileURLToPath(import.meta.url))
const child = fork(join(here, 'broadcast-flood-node.ts'), [], { stdio: 'inherit' })
const addedAtTarget = new Set<string>()
/** When each node first had the honest entry (performance.now()). */
const honestSeenAt = new Map<string, number>()
const started = new Promise<{ addresses: string[]; nodeId: string; peerId: string }>(resolve => {
  child.on('message', (message: any) => {
    if (message.addresses !== undefined) resolve(message)
    if (message.added !== undefined) {
      addedAtTarget.add(message.added)
      if (message.added === 'honest-offer') honestSeenAt.set('flooded node', performance.now())
    }
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
const flooders: Array<ReturnType<typeof fork>> = []
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
      if (event.detail.id === 'honest-offer') honestSeenAt.set(`honest node ${i}`, performance.now())
    })
    await host.start()
    honest.push(node)
  }
  await waitFor(
    'gossip mesh',
    async () => honest.every(node => node.topic.gossipPeers().length >= 1) && (await ask<number>('peers', 'gossipPeers')) >= 3,
    30_000,
    100
  )
  // The hostile peer talks to the target alone and carries no topic of its own.
  const flooder = fork(
    join(here, 'broadcast-flood-flooder.ts'),
    [target.addresses[0] as string, target.peerId, String(FLOOD_ENTRIES), String(MESSAGES_PER_SECOND), String(ENTRIES_PER_KEY)],
    { stdio: 'inherit' }
  )
  flooders.push(flooder)
  const fromFlooder = (key: string): Promise<any> =>
    new Promise(resolve => {
      const listener = (message: any): void => {
        if (message[key] === undefined) return
        flooder.off('message', listener)
        resolve(message[key])
      }
      flooder.on('message', listener)
    })
  const hostileId = (await fromFlooder('ready')) as string
  const half = fromFlooder('half')
  const done = fromFlooder('done') as Promise<{ sent: number; seconds: number; waitedMs: number }>
  flooder.send('go')

  await half
  const publisher = honest[1]!
  const honestEntry = await publisher.topic.publish({ id: 'honest-offer', note: 'an honest offer', expiresAt: Date.now() + 3_600_000 })
  const honestId = honestEntry.id
  const publishedAt = performance.now()
  const flood = await done
  const judged = async (): Promise<number> => {
    const { floodAdded, refusedFrom } = await ask<{ floodAdded: number; refusedFrom: Record<string, number> }>('judged', 'judged')
    return floodAdded + (refusedFrom[hostileId] ?? 0)
  }
  // What was sent is judged soon after; a flood that did not arrive ends the wait at its bound.
  await waitFor('the flood judged', async () => (await judged()) >= flood.sent, 60_000, 200).catch(() => {})

  const others = (): number => [addedAtTarget.has(honestId), honest[0]!.seen.has(honestId), honest[2]!.seen.has(honestId)].filter(Boolean).length
  // Long enough for a minute's anti-entropy sync to heal what gossip missed.
  await waitFor('honest entry everywhere', () => others() === 3, 90_000, 20).catch(() => {})
  const reach = others() / 3
  const final = await ask<Final>('stop', 'final')
  const delivered = final.floodAdded + (final.refusedFrom[hostileId] ?? 0)
  report('broadcast.flood.rss', Math.round(final.peakRss / 1024 / 1024), 'MB')
  report('broadcast.flood.rss_before', Math.round(final.startRss / 1024 / 1024), 'MB')
  report('broadcast.flood.heap', Math.round(final.peakHeap / 1024 / 1024), 'MB')
  report('broadcast.flood.external', Math.round(final.peakExternal / 1024 / 1024), 'MB')
  report('broadcast.flood.unsent_peak', Math.round((final.peakQueues.outboundUnsent / 1024 / 1024) * 10) / 10, 'MiB')
  report('broadcast.flood.unjudged_peak', Math.round((final.peakQueues.intakeBacklog / 1024 / 1024) * 10) / 10, 'MiB')
  report('broadcast.flood.delivered', delivered, 'entries')
  report('broadcast.flood.sent', flood.sent, 'entries')
  report('broadcast.flood.honest_reach', Math.round(reach * 100) / 100, 'share')
  // Until the last of the other three nodes had it (each time taken as its event came).
  if (others() === 3) report('broadcast.flood.honest_reach_ms', Math.round(Math.max(...[...honestSeenAt.values()].map(at => at - publishedAt))), 'ms')
  report('broadcast.flood.store', Math.round((final.storeBytes / 1024 / 1024) * 10) / 10, 'MiB')
  report('broadcast.flood.kept', final.entries, 'entries')
  report('broadcast.flood.seconds', Math.round(flood.seconds), 's')
  const q = final.peakQueues
  console.log(
    `# peaks at the flooded node: ${Math.round(q.outboundUnsent / 1024)} KiB unsent to peers, ${Math.round(q.inboundUnread / 1024)} KiB held back by paused streams, ${Math.round(q.intakeBacklog / 1024)} KiB read but not yet judged (streams paused ${final.intakePauses} times), ${final.forwardsSkipped} forwards skipped for peers behind, ${q.messageCache} messages in gossipsub's cache, ${Math.round(q.arrayBuffers / 1024 / 1024)} MB in array buffers`
  )
  if (final.peakLive.heap > 0)
    console.log(
      `# live after a full collection, at most: ${Math.round(final.peakLive.heap / 1024 / 1024)} MB heap, ${Math.round(final.peakLive.arrayBuffers / 1024 / 1024)} MB array buffers`
    )
  console.log(
    `# the honest entry reached, ms after it was published: ${[...honestSeenAt].map(([node, at]) => `${node} ${Math.round(at - publishedAt)}`).join(', ')}`
  )
  console.log(
    `# ${delivered} of ${FLOOD_ENTRIES} flood entries judged at the flooded node (${final.floodAdded} kept at some point); store ${final.storeBytes} of ${final.maxBytes} bytes; honest entry reached ${others()} of 3 nodes; the flooder waited ${flood.waitedMs} ms for its stream to drain; refused at the flooded node: ${JSON.stringify(final.refused)}`
  )
} finally {
  await Promise.all(
    hosts.map(async host => {
      await host.stop()
    })
  )
  for (const flooder of flooders) if (flooder.exitCode === null) flooder.kill('SIGKILL')
  if (child.exitCode === null) child.kill('SIGKILL')
}
