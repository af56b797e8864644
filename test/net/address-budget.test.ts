import assert from 'node:assert/strict'
import Type from 'typebox'
import { ManualClock, NetHost, NodeKey, PeerGuard, RemoteError, defineProtocol } from '../../net/index.ts'
import { waitFor } from '../helpers/wait.ts'

const Echo = defineProtocol({
  name: '/agora/test-address-echo/1',
  request: Type.Object({ n: Type.Integer({ minimum: 0 }) }, { additionalProperties: false }),
  response: Type.Object({ n: Type.Integer() }, { additionalProperties: false }),
  maxRequestBytes: 1024,
  maxResponseBytes: 1024,
  timeoutMs: 20_000
})

describe('budgets per address: keys are free, addresses are not', () => {
  const hosts: NetHost[] = []
  afterEach(async () => {
    await Promise.all(
      hosts.splice(0).map(async host => {
        await host.stop()
      })
    )
  })

  async function startHost(init: ConstructorParameters<typeof NetHost>[0]): Promise<NetHost> {
    const host = new NetHost(init)
    hosts.push(host)
    await host.start()
    return host
  }

  it('nodes of one address share one request budget, whatever their keys; a drop for the address is no fault of the node', async () => {
    // The clock stands still: no token comes back during the test.
    const server = await startHost({ key: NodeKey.random(), peerGuard: { addressRequestsPerSecond: 1, addressRequestBurst: 6 }, clock: new ManualClock() })
    let handled = 0
    await server.handle(Echo, async request => {
      handled++
      return { n: request.n }
    })
    const clients = [await startHost({ key: NodeKey.random() }), await startHost({ key: NodeKey.random() }), await startHost({ key: NodeKey.random() })]
    for (const client of clients) await client.dial(server.addresses()[0] as string)
    await waitFor('every client known to the server', () => clients.every(client => server.connectedNodes().includes(client.nodeId)))

    // Four requests each, one after another: each node alone is far below its own budget (burst 400).
    const outcomes: string[] = []
    for (const client of clients) {
      for (let n = 0; n < 4; n++) {
        outcomes.push(
          await client.request(Echo, server.nodeId, { n }).then(
            () => 'ok',
            (err: unknown) => (err instanceof RemoteError ? err.code : 'other')
          )
        )
      }
    }
    assert.equal(outcomes.filter(o => o === 'ok').length, 6)
    assert.equal(outcomes.filter(o => o === 'RateLimited').length, 6)
    assert.equal(handled, 6)
    // The third client never got a request through: the first two used the address's budget.
    assert.deepEqual(outcomes.slice(8), ['RateLimited', 'RateLimited', 'RateLimited', 'RateLimited'])
    for (const client of clients) assert.equal(server.guard.stats(client.nodeId).violations.flood, 0)
  })

  it('an address whose nodes keep getting banned is refused at the connection gate, with a fresh key too', async () => {
    const clock = new ManualClock()
    const server = await startHost({ key: NodeKey.random(), peerGuard: { addressBanAfter: 2, banMs: 60_000 }, clock })
    const refusedAddresses: string[] = []
    server.guard.addEventListener('address:banned', event => {
      refusedAddresses.push(event.detail.address)
    })
    for (let i = 0; i < 2; i++) {
      const flooder = await startHost({ key: NodeKey.random() })
      await flooder.dial(server.addresses()[0] as string)
      await waitFor('the flooder known to the server', () => server.connectedNodes().includes(flooder.nodeId))
      // Four forged envelopes ban a node (-25 each, the ban at -100).
      for (let k = 0; k < 4; k++) server.guard.violation(flooder.nodeId, 'forged')
      assert.ok(server.guard.isBanned(flooder.nodeId))
    }
    assert.deepEqual(refusedAddresses, ['127.0.0.1'])

    const fresh = await startHost({ key: NodeKey.random() })
    await assert.rejects(fresh.dial(server.addresses()[0] as string))
    assert.equal(server.connectedNodes().includes(fresh.nodeId), false)
    // Refused before the handshake: the server never learned who it was.
    assert.equal(server.directory.peerIdOf(fresh.nodeId), undefined)

    // The cool-down served, the address may connect again.
    clock.advance(60_001)
    assert.equal(await fresh.dial(server.addresses()[0] as string), server.nodeId)
  })
})

describe('PeerGuard per address', () => {
  it('counts bans per address within the ban time only, and forgets them with it', () => {
    const clock = new ManualClock()
    const guard = new PeerGuard({ addressBanAfter: 2, banMs: 1_000 }, clock)
    const ban = (address: string): void => {
      const node = NodeKey.random().nodeId
      guard.bindAddress(node, address)
      for (let k = 0; k < 4; k++) guard.violation(node, 'forged')
    }
    ban('10.0.0.1')
    // The second ban comes after the first has run out: not two within the ban time.
    clock.advance(1_001)
    ban('10.0.0.1')
    assert.equal(guard.isAddressRefused('10.0.0.1'), false)
    ban('10.0.0.1')
    assert.equal(guard.isAddressRefused('10.0.0.1'), true)
    assert.equal(guard.isAddressRefused('10.0.0.2'), false)
    clock.advance(1_001)
    assert.equal(guard.isAddressRefused('10.0.0.1'), false)
  })

  it('adds up the penalties of all the keys of an address: one fault a key still gets the address refused', () => {
    const guard = new PeerGuard({ addressBanThreshold: -100 }, new ManualClock())
    const keys = Array.from({ length: 10 }, () => NodeKey.random().nodeId)
    for (const [i, node] of keys.entries()) {
      guard.bindAddress(node, '10.0.0.1')
      assert.equal(guard.isAddressRefused('10.0.0.1'), false, `refused after ${i} keys`)
      // One malformed message each (-10): no key comes near its own ban (-100).
      guard.violation(node, 'malformed')
      assert.equal(guard.isBanned(node), false)
    }
    assert.equal(guard.isAddressRefused('10.0.0.1'), true)
  })

  it('shares the message budget of an address between its nodes, and leaves other addresses theirs', () => {
    const guard = new PeerGuard({ addressMessagesPerSecond: 1, addressMessageBurst: 3 }, new ManualClock())
    const nodes = Array.from({ length: 3 }, () => NodeKey.random().nodeId)
    for (const node of nodes) guard.bindAddress(node, '10.0.0.1')
    const allowed = nodes.flatMap(node => [guard.allowMessage(node), guard.allowMessage(node)])
    assert.deepEqual(allowed, [true, true, true, false, false, false])
    const elsewhere = NodeKey.random().nodeId
    guard.bindAddress(elsewhere, '10.0.0.2')
    assert.equal(guard.allowMessage(elsewhere), true)
    // Dropped for the address, not for the node's own rate: no score lost.
    assert.equal(guard.stats(nodes[2]!).score, 0)
  })
})
