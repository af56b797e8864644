import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { ManualClock, NodeDirectory, NodeKey, PeerGuard, signEnvelope, verifyEnvelopeSigner } from '../../net/index.ts'
import { TokenBucket } from '../../net/peers/token-bucket.ts'

describe('peer guard and node directory', () => {
  it('a token bucket allows a burst, then the rate', () => {
    const bucket = new TokenBucket(2, 3, 0)
    assert.deepEqual(
      [1, 2, 3, 4].map(() => bucket.take(0)),
      [true, true, true, false]
    )
    assert.equal(bucket.take(400), false)
    assert.equal(bucket.take(500), true)
    assert.equal(bucket.isFull(10_000), true)
  })

  it('scores violations and bans at the threshold, for banMs', () => {
    const clock = new ManualClock()
    const guard = new PeerGuard(
      { penalties: { forged: 40, malformed: 10, oversized: 10, flood: 1, protocol: 5 }, banThreshold: -100, recoveryPerSecond: 0.001, banMs: 60_000 },
      clock
    )
    const node = NodeKey.random().nodeId
    const bans: string[] = []
    guard.addEventListener('peer:banned', event => {
      bans.push(`${event.detail.nodeId}:${event.detail.reason}`)
    })
    guard.violation(node, 'forged')
    guard.violation(node, 'forged')
    assert.equal(guard.isBanned(node), false)
    guard.violation(node, 'forged')
    assert.ok(guard.isBanned(node))
    assert.deepEqual(bans, [`${node}:forged`])
    assert.equal(guard.stats(node).violations.forged, 3)
    assert.equal(guard.stats(node).bannedUntil, clock.now() + 60_000)
    // A banned node's messages and requests are refused outright.
    assert.equal(guard.allowMessage(node), false)
    assert.equal(guard.allowRequest(node), false)
    // The ban is served: the node is back, at a clean score.
    clock.advance(60_000)
    assert.equal(guard.isBanned(node), false)
    assert.equal(guard.allowRequest(node), true)
    assert.equal(guard.scoreOf(node), 0)

    const other = NodeKey.random().nodeId
    guard.violation(other, 'malformed')
    // One malformed (10), with next to no healing since.
    assert.equal(Math.round(guard.scoreOf(other)), -10)
  })

  it('beyond maxTracked forgets a clean node before a penalised one', () => {
    const clock = new ManualClock()
    // Floods cost nothing here, so a dropped message marks a node without scoring it.
    const guard = new PeerGuard(
      {
        maxTracked: 2,
        messagesPerSecond: 1000,
        messageBurst: 1,
        recoveryPerSecond: 0.001,
        penalties: { malformed: 10, forged: 25, oversized: 10, flood: 0, protocol: 5 }
      },
      clock
    )
    const penalised = NodeKey.random().nodeId
    const clean = NodeKey.random().nodeId
    guard.violation(penalised, 'malformed')
    assert.deepEqual([guard.allowMessage(clean), guard.allowMessage(clean)], [true, false])
    assert.equal(guard.stats(clean).droppedMessages, 1)
    // The clean node's bucket is full again (1 token a ms).
    clock.advance(10)
    guard.allowMessage(NodeKey.random().nodeId)
    assert.equal(Math.round(guard.scoreOf(penalised)), -10)
    assert.equal(guard.stats(clean).droppedMessages, 0)
  })

  it('heals a negative score back to zero', () => {
    const clock = new ManualClock()
    const guard = new PeerGuard({ recoveryPerSecond: 100 }, clock)
    const node = NodeKey.random().nodeId
    guard.violation(node, 'malformed')
    assert.equal(guard.scoreOf(node), -10)
    clock.advance(50)
    assert.equal(guard.scoreOf(node), -5)
    clock.advance(100)
    assert.equal(guard.scoreOf(node), 0)
    assert.equal(guard.stats(node).violations.malformed, 1)
  })

  it('counts dropped messages per node', () => {
    const clock = new ManualClock()
    const guard = new PeerGuard({ messagesPerSecond: 1, messageBurst: 2 }, clock)
    const node = NodeKey.random().nodeId
    const allowed = Array.from({ length: 5 }, () => guard.allowMessage(node))
    assert.deepEqual(allowed, [true, true, false, false, false])
    // A second later, one more token.
    clock.advance(1000)
    assert.deepEqual([guard.allowMessage(node), guard.allowMessage(node)], [true, false])
    assert.equal(guard.stats(node).droppedMessages, 4)
    // Scored once a second while over the rate, not once a message.
    assert.equal(guard.stats(node).violations.flood, 2)
  })

  it('bans a node that stays over its message rate, not a relay that is over it for a burst', () => {
    const clock = new ManualClock()
    const guard = new PeerGuard({ messagesPerSecond: 100, messageBurst: 300 }, clock)
    const relay = NodeKey.random().nodeId
    const flooder = NodeKey.random().nodeId
    // The relay forwards 1,000 messages a second for 90 s (a node catching up on a market); the flooder the same, for 130 s.
    for (let second = 0; second < 130; second++) {
      for (let i = 0; i < 1_000; i++) {
        if (second < 90) guard.allowMessage(relay)
        guard.allowMessage(flooder)
        clock.advance(1)
      }
    }
    assert.equal(guard.isBanned(relay), false)
    assert.ok(guard.scoreOf(relay) > -100)
    assert.ok(guard.stats(relay).droppedMessages > 80_000, 'what it sent beyond the rate was dropped all the same')
    assert.equal(guard.isBanned(flooder), true)
  })

  it('the directory maps node ids to peer ids from peers and from signed envelopes', async () => {
    const directory = new NodeDirectory()
    const key = NodeKey.random()
    assert.equal(directory.learnPeer(key.peerId), key.nodeId)
    assert.equal(directory.peerIdOf(key.nodeId)?.toString(), key.peerId.toString())
    assert.equal(directory.nodeIdOf(key.peerId.toString()), key.nodeId)

    const signer = NodeKey.random()
    const { nodeId, publicKey } = verifyEnvelopeSigner(signEnvelope(signer, 'test.x', { n: 1 }))
    directory.learnKey(nodeId, publicKey)
    assert.equal(directory.peerIdOf(nodeId)?.toString(), signer.peerId.toString())
    assert.equal(directory.nodeIdOf(signer.peerId.toString()), signer.nodeId)
    // A key that is not the node's is refused.
    assert.throws(() => directory.learnKey(NodeKey.random().nodeId, publicKey), /belongs to/)
    // Ed25519 peers are not Agora nodes.
    const ed = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    assert.equal(directory.learnPeer(ed), undefined)
  })

  it('the directory forgets the oldest beyond its capacity', () => {
    const directory = new NodeDirectory(2)
    const keys = [NodeKey.random(), NodeKey.random(), NodeKey.random()]
    for (const key of keys) directory.learnPeer(key.peerId)
    assert.equal(directory.size, 2)
    assert.equal(directory.peerIdOf((keys[0] as NodeKey).nodeId), undefined)
    assert.ok(directory.peerIdOf((keys[2] as NodeKey).nodeId) !== undefined)
  })

  it('keys learned from envelopes count against the same capacity, and go first', () => {
    const directory = new NodeDirectory(2)
    const peer = NodeKey.random()
    directory.learnPeer(peer.peerId)
    const signers = [NodeKey.random(), NodeKey.random()]
    for (const signer of signers) {
      const { nodeId, publicKey } = verifyEnvelopeSigner(signEnvelope(signer, 'test.x', { n: 1 }))
      directory.learnKey(nodeId, publicKey)
    }
    assert.equal(directory.size, 2)
    assert.equal(directory.peerIdOf((signers[0] as NodeKey).nodeId), undefined)
    assert.equal(directory.peerIdOf((signers[1] as NodeKey).nodeId)?.toString(), (signers[1] as NodeKey).peerId.toString())
    assert.equal(directory.peerIdOf(peer.nodeId)?.toString(), peer.peerId.toString())
  })
})
