import assert from 'node:assert/strict'
import { NetHost, NodeKey, gossipTopicOf, signEnvelope } from '../../net/index.ts'
import type { Broadcast, EntryRefused, EntryRemoved, NodeId } from '../../net/index.ts'

import { gossipBytes, toy, toyTopic } from '../helpers/toy-topic.ts'
import type { Toy } from '../helpers/toy-topic.ts'
import { waitFor } from '../helpers/wait.ts'

const toys = toyTopic()

interface Node {
  host: NetHost
  toys: Broadcast<typeof Toy>
  removed: EntryRemoved[]
  refused: EntryRefused[]
}

describe('broadcast (5 nodes in a line)', () => {
  const nodes: Node[] = []

  async function startNode(bootstrap: string[]): Promise<Node> {
    // Re-sync is slow here so that what arrives comes by gossip, except at connect.
    const host = new NetHost({ key: NodeKey.random(), bootstrap, gossipHeartbeatMs: 200, broadcast: { resyncIntervalMs: 60_000, sweepIntervalMs: 100 } })
    const node: Node = { host, toys: host.broadcast(toys), removed: [], refused: [] }
    node.toys.addEventListener('entry:removed', event => {
      node.removed.push(event.detail)
    })
    node.toys.addEventListener('entry:refused', event => {
      node.refused.push(event.detail)
    })
    nodes.push(node)
    await host.start()
    return node
  }

  const everyone = (): Node[] => nodes.slice(0, 5)
  const allHave = (id: string, among = everyone()): boolean => among.every(node => node.toys.get(id) !== undefined)
  const noneHas = (id: string, among = everyone()): boolean => among.every(node => node.toys.get(id) === undefined)
  /** The nodes a node's gossip reaches directly. */
  const gossipNeighbours = (node: Node): Node[] => everyone().filter(other => node.toys.gossipPeers().includes(other.host.nodeId))
  const refusalsFrom = (node: Node, from: NodeId, reason: EntryRefused['reason']): number =>
    node.refused.filter(r => r.from === from && r.reason === reason).length

  /** Resolves after `count` gossipsub heartbeats of a node. */
  async function heartbeats(node: Node, count: number): Promise<void> {
    const pubsub = node.host.libp2p.services.pubsub
    await new Promise<void>(resolve => {
      let seen = 0
      const onBeat = (): void => {
        if (++seen < count) return
        pubsub.removeEventListener('gossipsub:heartbeat', onBeat)
        resolve()
      }
      pubsub.addEventListener('gossipsub:heartbeat', onBeat)
    })
  }

  before(async () => {
    let bootstrap: string[] = []
    for (let i = 0; i < 5; i++) bootstrap = (await startNode(bootstrap)).host.addresses()
    // The gossip mesh along the line: every node subscribed with its neighbours.
    await waitFor('gossip mesh', () => nodes.every((node, i) => node.toys.gossipPeers().length >= (i === 0 || i === 4 ? 1 : 2)))
  })

  after(async () => {
    await Promise.all(
      nodes.map(async node => {
        await node.host.stop()
      })
    )
  })

  it('an entry published at one end reaches every node, signed by its publisher', async () => {
    const [first, , , , last] = everyone() as [Node, Node, Node, Node, Node]
    const added = new Promise<string>(resolve => {
      last.toys.addEventListener(
        'entry:added',
        event => {
          resolve(event.detail.signer)
        },
        { once: true }
      )
    })
    const payload = toy('hello')
    const entry = await first.toys.publish(payload)
    assert.equal(entry.signer, first.host.nodeId)
    assert.equal(entry.envelope.type, 'test.toy')
    await waitFor('entry everywhere', () => allHave(payload.id))
    assert.equal(await added, first.host.nodeId)
    assert.deepEqual(last.toys.get(payload.id)?.payload, payload)
    // The far end learned the publisher's peer id from the signed entry alone.
    assert.equal(last.host.directory.peerIdOf(first.host.nodeId)?.toString(), first.host.key.peerId.toString())
  })

  it('gossip carries announcements only, and each node pulls a body once; a burst of publishes is one announcement', async () => {
    const [first, , , , last] = everyone() as [Node, Node, Node, Node, Node]
    const gossiped: Uint8Array[] = []
    const topic = gossipTopicOf('toys')
    const onMessage = (event: CustomEvent<{ msg: { topic: string; data: Uint8Array } }>): void => {
      if (event.detail.msg.topic === topic) gossiped.push(event.detail.msg.data)
    }
    const pubsub = last.host.libp2p.services.pubsub
    pubsub.addEventListener('gossipsub:message', onMessage)
    try {
      const burst = Array.from({ length: 5 }, (_, i) => toy(`burst ${i}`))
      await Promise.all(burst.map(async payload => await first.toys.publish(payload)))
      await waitFor('burst everywhere', () => burst.every(p => allHave(p.id)))
      // Five entries came to the far end as one announcement of five 32-byte hashes, not as bodies.
      assert.equal(gossiped.length, 1)
      assert.equal(gossiped[0]?.byteLength, 1 + 5 * 32)
      assert.deepEqual(last.refused, [])
    } finally {
      pubsub.removeEventListener('gossipsub:message', onMessage)
    }
  })

  it('a node that joins late learns every live entry by sync', async () => {
    const middle = nodes[2] as Node
    // More than one batch of bodies (64 a request).
    const published = Array.from({ length: 150 }, (_, i) => toy(`batch ${i}`))
    for (const payload of published) await middle.toys.publish(payload)
    await waitFor('entries everywhere', () => published.every(p => allHave(p.id)))
    // Past gossipsub's message cache (5 heartbeats), so only sync can tell the newcomer.
    await heartbeats(nodes[4] as Node, 6)
    const late = await startNode((nodes[4] as Node).host.addresses())
    await waitFor('late joiner synced', () => published.every(p => late.toys.get(p.id) !== undefined))
    assert.deepEqual(new Set(late.toys.entries().map(e => e.id)), new Set((nodes[4] as Node).toys.entries().map(e => e.id)))
  })

  it('a retraction removes the entry everywhere, and a late copy cannot bring it back', async () => {
    const publisher = nodes[1] as Node
    const payload = toy('short-lived')
    const entry = await publisher.toys.publish(payload)
    await waitFor('entry everywhere', () => allHave(payload.id))
    await publisher.toys.retract(payload.id)
    await waitFor('entry gone everywhere', () => noneHas(payload.id))
    for (const node of everyone()) assert.ok(node.removed.some(r => r.id === payload.id && r.reason === 'retracted'))

    // The old entry, gossiped again by another node, stays gone.
    // (Reformatted: other bytes, so not a gossip duplicate.)
    const replayer = nodes[3] as Node
    const receivers = gossipNeighbours(replayer)
    const before = receivers.map(node => refusalsFrom(node, replayer.host.nodeId, 'retracted'))
    const replay = gossipBytes('entry', entry.envelope, { reformatted: true })
    const sent = await replayer.host.libp2p.services.pubsub.publish(gossipTopicOf('toys'), replay)
    assert.ok(sent.recipients.length > 0)
    // Each node it reached refused it as retracted, so it went no further.
    await waitFor('replay refused', () => receivers.every((node, i) => refusalsFrom(node, replayer.host.nodeId, 'retracted') > (before[i] as number)))
    assert.ok(noneHas(payload.id))
  })

  it('only the signer may retract: a retraction by another node is refused and counted', async () => {
    const owner = nodes[0] as Node
    const liar = nodes[1] as Node
    const payload = toy('mine')
    await owner.toys.publish(payload)
    await waitFor('entry everywhere', () => allHave(payload.id))
    await assert.rejects(liar.toys.retract(payload.id), /only its signer may retract it/)
    // Sent by hand, it is refused where it lands and goes no further.
    const forged = signEnvelope(liar.host.key, 'test.toy.retract', { topic: 'toys', id: payload.id, expiresAt: payload.expiresAt })
    assert.ok(gossipNeighbours(liar).includes(owner))
    const forgedAt = (node: Node): number => node.host.guard.stats(liar.host.nodeId).violations.forged
    const before = new Map(everyone().map(node => [node, forgedAt(node)]))
    const sent = await liar.host.libp2p.services.pubsub.publish(gossipTopicOf('toys'), gossipBytes('retraction', forged))
    // The nodes gossipsub sent it to (its mesh may change between heartbeats): each refuses it and counts it, so none passes it on.
    const receivers = everyone().filter(node => sent.recipients.some(peer => peer.equals(node.host.key.peerId)))
    assert.ok(receivers.length > 0)
    await waitFor('violation counted', () => receivers.every(node => forgedAt(node) > (before.get(node) as number)))
    assert.ok(allHave(payload.id))
  })

  it('an expired entry is swept everywhere', async () => {
    const payload = toy('fleeting', 1500)
    await (nodes[3] as Node).toys.publish(payload)
    await waitFor('entry everywhere', () => allHave(payload.id))
    await waitFor('entry expired everywhere', () => noneHas(payload.id), 4000)
    for (const node of everyone()) assert.ok(node.removed.some(r => r.id === payload.id && r.reason === 'expired'))
    // And an expired one is not taken in again.
    await assert.rejects((nodes[0] as Node).toys.publish({ ...payload, id: `${payload.id}-x`, expiresAt: Date.now() - 1 }), /already expired/)
  })
})
