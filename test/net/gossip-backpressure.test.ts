import assert from 'node:assert/strict'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { DEFAULT_GOSSIP_BOUNDS, NetHost, NodeKey } from '../../net/index.ts'
import { MAX_STREAM_WINDOW_BYTES } from '../../net/host/libp2p-options.ts'
import type { GossipBounds } from '../../net/index.ts'
import { waitFor } from '../helpers/wait.ts'

// Raw gossip on a topic of its own (no broadcast validation): what is measured
// is what the relay holds unsent for a peer that stopped reading.
const TOPIC = 'backpressure-test'
const MESSAGE_BYTES = 60_000
const MESSAGES = 40

interface GossipInternals {
  mesh: Map<string, Set<string>>
  streamsOutbound: Map<string, { rawStream: { writeBufferLength: number } }>
  streamsInbound: Map<string, { rawStream: { pause: () => void } }>
}
const internals = (host: NetHost): GossipInternals => host.pubsub as unknown as GossipInternals
const meshOf = (host: NetHost): Set<string> => internals(host).mesh.get(TOPIC) ?? new Set()
const peerIdOf = (host: NetHost): string => host.key.peerId.toString()
const unsentTo = (from: NetHost, to: NetHost): number => internals(from).streamsOutbound.get(peerIdOf(to))?.rawStream.writeBufferLength ?? 0

let counter = 0
function message(): Uint8Array {
  // Each one different: gossip ids hash the bytes.
  const bytes = new Uint8Array(MESSAGE_BYTES)
  new DataView(bytes.buffer).setUint32(0, ++counter)
  new DataView(bytes.buffer).setUint32(4, process.pid)
  return bytes
}

describe('gossip towards a peer that does not read', () => {
  const hosts: NetHost[] = []
  afterEach(async () => {
    await Promise.all(hosts.splice(0).map(async host => await host.stop()))
  })

  async function startHost(bootstrap: string[], gossipBounds: Partial<GossipBounds> = {}): Promise<{ host: NetHost; received: () => number }> {
    const host = new NetHost({ key: NodeKey.random(), bootstrap, gossipHeartbeatMs: 100, gossipBounds })
    hosts.push(host)
    let received = 0
    await host.start()
    host.pubsub.addEventListener('message', event => {
      if (event.detail.topic === TOPIC) received++
    })
    host.pubsub.subscribe(TOPIC)
    return { host, received: () => received }
  }

  /** A relay with a slow peer and a reading one in its mesh; the slow one stops reading the relay's gossip. */
  async function relayWithSlowPeer(
    gossipBounds: Partial<GossipBounds>
  ): Promise<{ relay: NetHost; slow: NetHost; reader: { host: NetHost; received: () => number } }> {
    const relay = await startHost([], gossipBounds)
    const address = relay.host.addresses()[0] as string
    const slow = await startHost([address])
    const reader = await startHost([address])
    await waitFor(
      "the relay's mesh",
      () => {
        const mesh = meshOf(relay.host)
        return mesh.has(peerIdOf(slow.host)) && mesh.has(peerIdOf(reader.host)) && internals(slow.host).streamsInbound.has(peerIdOf(relay.host))
      },
      60_000
    )
    // No more window updates from the slow peer: what the relay sends it stays
    // with the relay. It reads no gossip from anyone (a node it meets later
    // too), so it never tells the relay it has a message already.
    const inbound = internals(slow.host).streamsInbound
    for (const stream of inbound.values()) stream.rawStream.pause()
    const add = inbound.set.bind(inbound)
    inbound.set = (peer, stream) => {
      stream.rawStream.pause()
      return add(peer, stream)
    }
    return { relay: relay.host, slow: slow.host, reader }
  }

  it('stops forwarding to it beyond a bound of unsent bytes, and goes on forwarding to the others', async () => {
    const maxForwardUnsentBytes = 256 << 10
    const { relay, slow, reader } = await relayWithSlowPeer({ maxForwardUnsentBytes })
    const source = await startHost([relay.addresses()[0] as string])
    await waitFor('the source in the mesh of the relay', () => meshOf(relay).has(peerIdOf(source.host)), 60_000)
    let relayed = 0
    relay.pubsub.addEventListener('message', () => {
      relayed++
    })
    // One at a time, each after the reading peer has the last: it is never behind.
    for (let i = 1; i <= MESSAGES; i++) {
      await source.host.pubsub.publish(TOPIC, message())
      await waitFor(`message ${i} at the reading peer`, () => reader.received() >= i, 60_000)
    }
    await waitFor('every message at the relay', () => relayed === MESSAGES, 60_000)
    // Unbounded, the relay would hold about all 2.4 MB for the slow peer, less one window.
    assert.ok(unsentTo(relay, slow) <= maxForwardUnsentBytes + MESSAGE_BYTES + 1024, `${unsentTo(relay, slow)} bytes unsent to the slow peer`)
    assert.ok(relay.forwardsSkipped > 0)
    assert.equal(unsentTo(relay, reader.host), 0)
  })

  it('closes its gossip stream beyond the hard bound, whatever the messages are', async () => {
    const maxUnsentBytes = 512 << 10
    const { relay, slow } = await relayWithSlowPeer({ maxUnsentBytes })
    // Its own messages: never passed over, so only the hard bound stops them.
    for (let i = 0; i < MESSAGES; i++) await relay.pubsub.publish(TOPIC, message())
    await waitFor('the stream to the slow peer closed', () => !internals(relay).streamsOutbound.has(peerIdOf(slow)), 60_000)
  })
})

describe('gossip from a peer that sends faster than this node judges', () => {
  const hosts: NetHost[] = []
  afterEach(async () => {
    await Promise.all(hosts.splice(0).map(async host => await host.stop()))
  })

  it('is read no further than a bound ahead of judging: the sender waits, and nothing is lost', async () => {
    const receiver = new NetHost({ key: NodeKey.random(), gossipHeartbeatMs: 100 })
    hosts.push(receiver)
    await receiver.start()
    const sender = new NetHost({ key: NodeKey.random(), bootstrap: [receiver.addresses()[0] as string], gossipHeartbeatMs: 100 })
    hosts.push(sender)
    await sender.start()
    // Judging waits until the test lets it go: the receiver is as slow as can be.
    let release = (): void => {}
    const gate = new Promise<void>(resolve => {
      release = resolve
    })
    let judged = 0
    receiver.pubsub.topicValidators.set(TOPIC, async () => {
      await gate
      judged++
      return TopicValidatorResult.Accept
    })
    receiver.pubsub.subscribe(TOPIC)
    await waitFor('the sender knows the receiver subscribed', () => sender.pubsub.getSubscribers(TOPIC).some(peer => peer.equals(receiver.key.peerId)), 60_000)

    const count = 200
    for (let i = 0; i < count; i++) await sender.pubsub.publish(TOPIC, message())
    const sent = count * MESSAGE_BYTES
    const { maxUnjudgedBytes } = DEFAULT_GOSSIP_BOUNDS
    // Read ahead of judging at most the bound and what was in flight when it paused (one window).
    const mostReadAhead = maxUnjudgedBytes + MAX_STREAM_WINDOW_BYTES
    // The muxer's window, which only the receiver's reading renews.
    const sendWindow = (): number =>
      (internals(sender).streamsOutbound.get(peerIdOf(receiver))?.rawStream as unknown as { sendWindowCapacity?: number } | undefined)?.sendWindowCapacity ?? -1
    await waitFor('the receiver reading no more, and the sender out of window', () => receiver.gossipIntake.pauses >= 1 && sendWindow() === 0, 30_000)
    assert.ok(unsentTo(sender, receiver) >= sent - mostReadAhead - MESSAGE_BYTES, `only ${unsentTo(sender, receiver)} of ${sent} bytes held back at the sender`)
    assert.ok(receiver.gossipIntake.backlogBytes <= mostReadAhead, `${receiver.gossipIntake.backlogBytes} bytes read and not judged`)
    release()
    await waitFor('every message judged', () => judged === count, 60_000)
    assert.equal(unsentTo(sender, receiver), 0)
  })
})
