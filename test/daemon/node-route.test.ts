// GET /agora-api/v1/node on two daemons on loopback: each lists the other as a
// connected peer with its PeerGuard standing (0: clean), and the address the
// other observed it at, which identify told it.
import assert from 'node:assert/strict'
import { Cluster } from '../helpers/cluster.ts'
import type { TestNode } from '../helpers/cluster.ts'
import { eventually } from '../helpers/wait.ts'

interface NodeInfo {
  nodeId: string
  addresses: string[]
  observedAddresses: string[]
  peers: Array<{ nodeId: string; score: number }>
}

describe('the node route', function () {
  this.timeout(120_000)
  const cluster = new Cluster()
  let first: TestNode
  let second: TestNode

  before(async () => {
    first = await cluster.start()
    second = await cluster.start()
  })
  after(async () => {
    await cluster.stop()
  })

  it('lists each connected peer with its score, and the addresses peers observed this node at', async () => {
    for (const [self, other] of [
      [first, second],
      [second, first]
    ] as const) {
      const info = await eventually('the peer connected and identified', async () => {
        const seen = await self.client.expect<NodeInfo>(200, 'GET', '/agora-api/v1/node')
        return seen.peers.some(peer => peer.nodeId === other.nodeId) && seen.observedAddresses.length > 0 ? seen : undefined
      })
      assert.equal(info.nodeId, self.nodeId)
      assert.deepEqual(
        info.peers.find(peer => peer.nodeId === other.nodeId),
        { nodeId: other.nodeId, score: 0 }
      )
      // On loopback the other side sees this node at 127.0.0.1.
      assert.ok(
        info.observedAddresses.every(address => address.startsWith('/ip4/127.0.0.1/tcp/')),
        info.observedAddresses.join(' ')
      )
    }
  })
})
