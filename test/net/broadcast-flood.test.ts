import assert from 'node:assert/strict'
import Type from 'typebox'
import { ManualClock, NetHost, NodeKey, gossipTopicOf, signEnvelope } from '../../net/index.ts'
import type { Broadcast, BroadcastOptions, EntryRefused, PeerGuardOptions, TopicDefinition } from '../../net/index.ts'
import { gossipBytes } from '../helpers/toy-topic.ts'
import { waitFor } from '../helpers/wait.ts'

// Entries of about 2.2 KB, in a topic that keeps 20 KiB: a flood fills it in a few messages.
const Bulky = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 64 }),
    note: Type.String({ maxLength: 4000 }),
    expiresAt: Type.Integer()
  },
  { additionalProperties: false }
)

const bulky: TopicDefinition<typeof Bulky> = {
  name: 'bulky',
  envelopeType: 'test.bulky',
  payload: Bulky,
  idOf: entry => entry.id,
  expiresAt: entry => entry.expiresAt,
  maxEntries: 1000,
  maxPerSigner: 1000,
  maxEntryBytes: 4096,
  maxBytes: 20 * 1024
}
const topic = gossipTopicOf('bulky')

let counter = 0
function bulk(): { id: string; note: string; expiresAt: number } {
  // Ids of one width: every message has the same size.
  return { id: `bulk-${process.pid}-${String(++counter).padStart(6, '0')}`, note: 'x'.repeat(2000), expiresAt: Date.now() + 600_000 }
}

/** Bytes of one entry's broadcast message (all entries here are the same size). */
const ENTRY_BYTES = gossipBytes('entry', signEnvelope(NodeKey.random(), 'test.bulky', bulk())).byteLength

interface Node {
  host: NetHost
  topic: Broadcast<typeof Bulky>
  refused: EntryRefused[]
  added: string[]
}

describe('broadcast under a flood of validly signed entries', () => {
  const hosts: NetHost[] = []

  async function startNode(
    bootstrap: string[],
    broadcast: Partial<BroadcastOptions> = {},
    clock?: ManualClock,
    peerGuard: Partial<PeerGuardOptions> = {}
  ): Promise<Node> {
    const host = new NetHost({
      key: NodeKey.random(),
      bootstrap,
      gossipHeartbeatMs: 200,
      broadcast: { resyncIntervalMs: 0, ...broadcast },
      peerGuard,
      ...(clock === undefined ? {} : { clock })
    })
    hosts.push(host)
    const node: Node = { host, topic: host.broadcast(bulky), refused: [], added: [] }
    node.topic.addEventListener('entry:refused', event => {
      node.refused.push(event.detail)
    })
    node.topic.addEventListener('entry:added', event => {
      node.added.push(event.detail.id)
    })
    await host.start()
    return node
  }

  const subscribed = (from: Node, to: Node): boolean => from.host.libp2p.services.pubsub.getSubscribers(topic).some(p => p.equals(to.host.key.peerId))

  afterEach(async () => {
    await Promise.all(
      hosts.splice(0).map(async host => {
        await host.stop()
      })
    )
  })

  it('keeps the store within its byte bound, passes on only what it kept, and an honest entry still gets in', async () => {
    // Budgets out of the way: this is about the bound and the eviction order.
    const generous = { relayerBudget: { bytesPerSecond: 1 << 30, burstBytes: 1 << 30 }, signerBudget: { bytesPerSecond: 1 << 30, burstBytes: 1 << 30 } }
    const target = await startNode([], generous)
    const bystander = await startNode(target.host.addresses(), generous)
    const flooder = await startNode(target.host.addresses(), generous)
    await waitFor('subscriptions', () => subscribed(flooder, target) && subscribed(bystander, target) && subscribed(target, bystander))

    // Fresh keys are free: every entry has its own signer.
    const flood = Array.from({ length: 40 }, () => signEnvelope(NodeKey.random(), 'test.bulky', bulk()))
    for (const envelope of flood) await flooder.host.libp2p.services.pubsub.publish(topic, gossipBytes('entry', envelope))
    const fromFlooder = (node: Node): number => node.refused.filter(r => r.from === flooder.host.nodeId).length
    await waitFor('the whole flood judged', () => target.added.length + fromFlooder(target) === flood.length)

    assert.ok(target.topic.bytes <= 20 * 1024, `${target.topic.bytes} bytes kept`)
    const kept = target.added.length
    assert.ok(kept > 0 && kept < flood.length, `${kept} kept`)
    assert.deepEqual(new Set(target.refused.map(r => r.reason)), new Set(['full']))
    // Only what the target kept went on to the bystander.
    await waitFor('kept entries passed on', () => bystander.added.length === kept)
    assert.deepEqual(new Set(bystander.added), new Set(target.added))

    // An honest entry from the bystander takes the flood's room at the target.
    const honest = await bystander.topic.publish(bulk())
    await waitFor('honest entry at the target', () => target.topic.get(honest.id) !== undefined)
    assert.ok(target.topic.bytes <= 20 * 1024)
    assert.ok(target.topic.size <= kept)
    // The flood's violations: none (validly signed), so nobody is banned for it.
    assert.equal(target.host.guard.stats(flooder.host.nodeId).violations.forged, 0)
  })

  it('budgets what one relayer may hand over, by gossip and by sync alike, before any signature check', async () => {
    // Four entries, and the clock stands still: no refill during the test.
    const budget = { relayerBudget: { bytesPerSecond: 1, burstBytes: 4 * ENTRY_BYTES }, signerBudget: { bytesPerSecond: 1 << 30, burstBytes: 1 << 30 } }
    const clock = new ManualClock()
    const target = await startNode([], budget, clock)
    const flooder = await startNode(target.host.addresses())
    await waitFor('subscriptions', () => subscribed(flooder, target))

    const flood = Array.from({ length: 20 }, () => signEnvelope(NodeKey.random(), 'test.bulky', bulk()))
    for (const envelope of flood) await flooder.host.libp2p.services.pubsub.publish(topic, gossipBytes('entry', envelope))
    await waitFor('gossip flood judged', () => target.added.length + target.refused.length === flood.length)
    assert.equal(target.added.length, 4)
    assert.ok(target.refused.every(r => r.reason === 'relayer_budget' && r.how === 'gossip'))

    // Sync obeys the same budget: a node that offers eight entries on connect gets four in.
    const syncPeer = await startNode([], {})
    for (let i = 0; i < 8; i++) await syncPeer.topic.publish(bulk())
    await target.host.dial(syncPeer.host.addresses()[0] as string)
    const bySync = (): EntryRefused[] => target.refused.filter(r => r.from === syncPeer.host.nodeId)
    await waitFor('sync judged', () => target.added.length - 4 + bySync().length === 8)
    assert.equal(target.added.length, 8)
    assert.ok(bySync().every(r => r.reason === 'relayer_budget' && r.how === 'sync'))
    // Over its budget now, the node is not even asked for bodies.
    const refusedBefore = target.refused.length
    assert.equal(await target.topic.syncWith(syncPeer.host.nodeId), 0)
    assert.equal(target.refused.length, refusedBefore)
    assert.equal(target.added.length, 8)
  })

  it('judges every message of a flood: beyond the message rate each one is reported refused, none vanishes unseen', async () => {
    // The clock stands still: five messages, then the rate limit.
    const target = await startNode([], {}, new ManualClock(), { messagesPerSecond: 1, messageBurst: 5 })
    const flooder = await startNode(target.host.addresses())
    await waitFor('subscriptions', () => subscribed(flooder, target))
    const flood = Array.from({ length: 20 }, () => signEnvelope(NodeKey.random(), 'test.bulky', bulk()))
    for (const envelope of flood) await flooder.host.libp2p.services.pubsub.publish(topic, gossipBytes('entry', envelope))
    await waitFor('the whole flood judged', () => target.added.length + target.refused.length === flood.length)
    assert.equal(target.added.length, 5)
    assert.deepEqual(new Set(target.refused.map(r => `${r.reason} ${r.how} ${r.from}`)), new Set([`rate_limited gossip ${flooder.host.nodeId}`]))
    assert.equal(target.host.guard.stats(flooder.host.nodeId).droppedMessages, 15)
  })

  it('budgets what one signer may add, whoever relays it', async () => {
    const budget = { signerBudget: { bytesPerSecond: 1, burstBytes: 3 * ENTRY_BYTES } }
    const target = await startNode([], budget, new ManualClock())
    const relayers = [await startNode(target.host.addresses()), await startNode(target.host.addresses())]
    await waitFor('subscriptions', () => relayers.every(relayer => subscribed(relayer, target)))
    const signer = NodeKey.random()
    const entries = Array.from({ length: 8 }, () => signEnvelope(signer, 'test.bulky', bulk()))
    for (const [i, envelope] of entries.entries()) {
      await (relayers[i % 2] as Node).host.libp2p.services.pubsub.publish(topic, gossipBytes('entry', envelope))
    }
    await waitFor('all judged', () => target.added.length + target.refused.length === entries.length)
    assert.equal(target.added.length, 3)
    assert.ok(target.refused.every(r => r.reason === 'signer_budget'))
  })
})
