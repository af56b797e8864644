import assert from 'node:assert/strict'
import { NetHost, NodeKey, gossipTopicOf, signEnvelope } from '../../net/index.ts'
import type { Broadcast, PeerGuardOptions } from '../../net/index.ts'

import { gossipBytes, toy, toyTopic } from '../helpers/toy-topic.ts'
import type { Toy } from '../helpers/toy-topic.ts'
import { waitFor } from '../helpers/wait.ts'

const toys = toyTopic()
const topic = gossipTopicOf('toys')

describe('broadcast against misbehaving peers', () => {
  const hosts: NetHost[] = []

  async function startNode(bootstrap: string[], peerGuard: Partial<PeerGuardOptions> = {}): Promise<{ host: NetHost; toys: Broadcast<typeof Toy> }> {
    const host = new NetHost({ key: NodeKey.random(), bootstrap, peerGuard, gossipHeartbeatMs: 200, broadcast: { resyncIntervalMs: 0 } })
    hosts.push(host)
    const broadcast = host.broadcast(toys)
    await host.start()
    return { host, toys: broadcast }
  }

  /** An honest node H, a bystander B behind it, and a peer P talking straight to H. */
  async function triangle(guard: Partial<PeerGuardOptions> = {}): Promise<Array<{ host: NetHost; toys: Broadcast<typeof Toy> }>> {
    const honest = await startNode([], guard)
    const bystander = await startNode(honest.host.addresses())
    const peer = await startNode(honest.host.addresses())
    await waitFor(
      'subscriptions',
      () =>
        peer.host.libp2p.services.pubsub.getSubscribers(topic).some(p => p.equals(honest.host.key.peerId)) &&
        honest.toys.gossipPeers().includes(bystander.host.nodeId)
    )
    return [honest, bystander, peer] as Array<{ host: NetHost; toys: Broadcast<typeof Toy> }>
  }

  after(async () => {
    await Promise.all(
      hosts.map(async host => {
        await host.stop()
      })
    )
  })

  it('refuses forged and malformed entries, counts them against the sender, and does not pass them on', async () => {
    const [honest, bystander, forger] = await triangle()
    if (honest === undefined || bystander === undefined || forger === undefined) throw new Error('nodes')
    const pubsub = forger.host.libp2p.services.pubsub
    const victim = NodeKey.random()

    // 1. Signed by the forger's key, claiming to be another node's.
    const claimed = signEnvelope(forger.host.key, 'test.toy', toy('impostor'))
    const impostor = { ...claimed, signer: victim.nodeId }
    // 2. Signed properly, then the payload changed.
    const signed = signEnvelope(forger.host.key, 'test.toy', toy('original'))
    const tampered = { ...signed, payload: { ...signed.payload, note: 'tampered' } }
    // 3. Signed by someone else entirely, for a payload the forger made up.
    const stolen = { ...signEnvelope(victim, 'test.toy', toy('x')), payload: toy('y') }
    for (const envelope of [impostor, tampered, stolen]) {
      const sent = await pubsub.publish(topic, gossipBytes('entry', envelope))
      assert.ok(sent.recipients.length > 0)
    }
    // 4. Not JSON, and JSON of the wrong shape.
    await pubsub.publish(topic, new TextEncoder().encode('{ not json'))
    await pubsub.publish(topic, gossipBytes('entry', { ...signed, payload: { id: 7 } }))

    await waitFor('violations counted', () => {
      const stats = honest.host.guard.stats(forger.host.nodeId)
      return stats.violations.forged === 3 && stats.violations.malformed === 2
    })
    for (const node of [honest, bystander]) {
      assert.equal(node.toys.size, 0)
      assert.equal(node.toys.get(signed.payload.id), undefined)
    }
    // Rejected at the honest node, so never forwarded: the bystander saw nothing wrong.
    assert.deepEqual(bystander.host.guard.stats(honest.host.nodeId).violations, { malformed: 0, forged: 0, oversized: 0, flood: 0, protocol: 0 })
    assert.ok(honest.host.guard.stats(forger.host.nodeId).score < 0)

    // The genuine entry still goes through.
    await pubsub.publish(topic, gossipBytes('entry', signed))
    await waitFor('genuine entry everywhere', () => bystander.toys.get(signed.payload.id) !== undefined)
  })

  it('drops a flood beyond the rate limit', async () => {
    // Next to no refill: exactly the burst gets through.
    const burst = 5
    const [honest, , flooder] = await triangle({ messagesPerSecond: 0.001, messageBurst: burst })
    if (honest === undefined || flooder === undefined) throw new Error('nodes')
    const sent = 30
    const started = Date.now()
    for (let i = 0; i < sent; i++) await flooder.toys.publish(toy(`flood ${i}`))
    await waitFor('drops counted', () => honest.host.guard.stats(flooder.host.nodeId).droppedMessages === sent - burst)
    const seconds = Math.ceil((Date.now() - started) / 1000)
    assert.equal(honest.toys.size, burst)
    // Dropped one by one, scored at most once a second while it lasted.
    const flood = honest.host.guard.stats(flooder.host.nodeId).violations.flood
    assert.ok(flood >= 1 && flood <= seconds + 1, `${flood} flood violations in ${seconds} s`)
  })

  it('bans a node whose score falls to the threshold: disconnected and refused', async () => {
    const [honest, , forger] = await triangle({ penalties: { forged: 60, malformed: 10, oversized: 10, flood: 1, protocol: 5 }, banThreshold: -100 })
    if (honest === undefined || forger === undefined) throw new Error('nodes')
    const banned = new Promise<string>(resolve => {
      honest.host.guard.addEventListener(
        'peer:banned',
        event => {
          resolve(event.detail.nodeId)
        },
        { once: true }
      )
    })
    for (const note of ['one', 'two']) {
      const signed = signEnvelope(forger.host.key, 'test.toy', toy(note))
      await forger.host.libp2p.services.pubsub.publish(topic, gossipBytes('entry', { ...signed, payload: { ...signed.payload, note: 'changed' } }))
    }
    assert.equal(await banned, forger.host.nodeId)
    assert.ok(honest.host.guard.isBanned(forger.host.nodeId))
    await waitFor('disconnected', () => !honest.host.connectedNodes().includes(forger.host.nodeId))
    // Our side will not dial it; its dials are cut during the handshake.
    await assert.rejects(honest.host.dial(forger.host.addresses()[0] as string))
    await forger.host.dial(honest.host.addresses()[0] as string).catch(() => {})
    await waitFor('the forger sees the door closed', () => !forger.host.connectedNodes().includes(honest.host.nodeId))
    assert.ok(!honest.host.connectedNodes().includes(forger.host.nodeId))
  })
})
