import assert from 'node:assert/strict'
import { NetHost, NodeKey, gossipTopicOf, signEnvelope } from '../../net/index.ts'
import type { Broadcast, EntryRemoved } from '../../net/index.ts'

import { gossipBytes, toy, toyTopic } from '../helpers/toy-topic.ts'
import type { Toy } from '../helpers/toy-topic.ts'
import { waitFor } from '../helpers/wait.ts'

const toys = toyTopic()

interface Node {
  host: NetHost
  toys: Broadcast<typeof Toy>
  removed: EntryRemoved[]
}

describe('broadcast (5 nodes in a line)', function () {
  const nodes: Node[] = []

  async function startNode (bootstrap: string[]): Promise<Node> {
    // Re-sync is slow here so that what arrives comes by gossip, except at connect.
    const host = new NetHost({ key: NodeKey.random(), bootstrap, gossipHeartbeatMs: 200, broadcast: { resyncIntervalMs: 60_000, sweepIntervalMs: 100 } })
    const node: Node = { host, toys: host.broadcast(toys), removed: [] }
    node.toys.addEventListener('entry:removed', event => { node.removed.push(event.detail) })
    nodes.push(node)
    await host.start()
    return node
  }

  const everyone = (): Node[] => nodes.slice(0, 5)
  const allHave = (id: string, among = everyone()): boolean => among.every(node => node.toys.get(id) !== undefined)
  const noneHas = (id: string, among = everyone()): boolean => among.every(node => node.toys.get(id) === undefined)

  before(async () => {
    let bootstrap: string[] = []
    for (let i = 0; i < 5; i++) bootstrap = (await startNode(bootstrap)).host.addresses()
    // The gossip mesh along the line: every node subscribed with its neighbours.
    await waitFor('gossip mesh', () => nodes.every((node, i) =>
      node.toys.gossipPeers().length >= (i === 0 || i === 4 ? 1 : 2)))
  })

  after(async () => {
    await Promise.all(nodes.map(async node => { await node.host.stop() }))
  })

  it('an entry published at one end reaches every node, signed by its publisher', async () => {
    const [first, , , , last] = everyone() as [Node, Node, Node, Node, Node]
    const added = new Promise<string>(resolve => {
      last.toys.addEventListener('entry:added', event => { resolve(event.detail.signer) }, { once: true })
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

  it('a node that joins late learns every live entry by sync', async () => {
    const middle = nodes[2] as Node
    // More than one batch of bodies (64 a request).
    const published = Array.from({ length: 150 }, (_, i) => toy(`batch ${i}`))
    for (const payload of published) await middle.toys.publish(payload)
    await waitFor('entries everywhere', () => published.every(p => allHave(p.id)))
    // Past gossipsub's message cache (5 heartbeats), so only sync can tell the newcomer.
    await new Promise(resolve => setTimeout(resolve, 1100))
    const late = await startNode((nodes[4] as Node).host.addresses())
    await waitFor('late joiner synced', () => published.every(p => late.toys.get(p.id) !== undefined))
    assert.deepEqual(
      new Set(late.toys.entries().map(e => e.id)),
      new Set((nodes[4] as Node).toys.entries().map(e => e.id)))
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
    const replay = gossipBytes('entry', entry.envelope, { reformatted: true })
    const sent = await (nodes[3] as Node).host.libp2p.services.pubsub.publish(gossipTopicOf('toys'), replay)
    assert.ok(sent.recipients.length > 0)
    await new Promise(resolve => setTimeout(resolve, 300))
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
    const before = owner.host.guard.stats(liar.host.nodeId).violations.forged
    await liar.host.libp2p.services.pubsub.publish(gossipTopicOf('toys'), gossipBytes('retraction', forged))
    await waitFor('violation counted', () => owner.host.guard.stats(liar.host.nodeId).violations.forged > before)
    await new Promise(resolve => setTimeout(resolve, 200))
    assert.ok(allHave(payload.id))
  })

  it('an expired entry is swept everywhere', async () => {
    const payload = toy('fleeting', 1500)
    await (nodes[3] as Node).toys.publish(payload)
    await waitFor('entry everywhere', () => allHave(payload.id))
    await waitFor('entry expired everywhere', () => noneHas(payload.id), 4000)
    for (const node of everyone()) assert.ok(node.removed.some(r => r.id === payload.id && r.reason === 'expired'))
    // And an expired one is not taken in again.
    await assert.rejects((nodes[0] as Node).toys.publish({ ...payload, id: payload.id + '-x', expiresAt: Date.now() - 1 }), /already expired/)
  })
})
