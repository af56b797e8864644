import assert from 'node:assert/strict'
import { NetHost, NodeKey, signEnvelope } from '../../net/index.ts'
import type { NodeId } from '../../net/index.ts'
import { waitFor } from '../helpers/wait.ts'

describe('network host', () => {
  const hosts: NetHost[] = []
  async function startHost(bootstrap: string[] = [], listen?: string[]): Promise<NetHost> {
    const host = new NetHost({ key: NodeKey.random(), bootstrap, ...(listen === undefined ? {} : { listen }), bootstrapRetryMs: { min: 100, max: 400 } })
    hosts.push(host)
    await host.start()
    return host
  }

  after(async () => {
    await Promise.all(
      hosts.map(async host => {
        await host.stop()
      })
    )
  })

  it('runs libp2p under the node key: peer id and node id agree on both ends', async () => {
    const key = NodeKey.random()
    const a = new NetHost({ key })
    hosts.push(a)
    const connected: NodeId[] = []
    a.addEventListener('node:connect', event => {
      connected.push(event.detail)
    })
    await a.start()
    assert.equal(a.libp2p.peerId.toString(), key.peerId.toString())
    assert.equal(a.nodeId, key.nodeId)
    for (const address of a.addresses()) assert.match(address, new RegExp(`^/ip4/127\\.0\\.0\\.1/tcp/\\d+/p2p/${key.peerId.toString()}$`))

    const b = await startHost(a.addresses())
    assert.deepEqual(b.connectedNodes(), [a.nodeId])
    const [connection] = b.libp2p.getConnections()
    assert.ok(connection !== undefined)
    assert.equal(connection.remotePeer.toString(), key.peerId.toString())
    await waitFor('node:connect at a', () => connected.includes(b.nodeId))
    assert.deepEqual(a.connectedNodes(), [b.nodeId])

    const gone = new Promise<NodeId>(resolve => {
      a.addEventListener(
        'node:disconnect',
        event => {
          resolve(event.detail)
        },
        { once: true }
      )
    })
    await b.hangUp(a.nodeId)
    assert.equal(await gone, b.nodeId)
  })

  it('dial returns the node id at the other end', async () => {
    const a = await startHost()
    const b = await startHost()
    assert.equal(await b.dial(a.addresses()[0] as string), a.nodeId)
  })

  it('keeps retrying a bootstrap node that is not up yet', async () => {
    const key = NodeKey.random()
    // Find a free port, then leave it free for a while.
    const probe = new NetHost({ key })
    await probe.start()
    const address = probe.addresses()[0] as string
    await probe.stop()
    const joiner = await startHost([address])
    assert.deepEqual(joiner.connectedNodes(), [])
    const late = new NetHost({ key, listen: [address.replace(/\/p2p\/.*$/, '')] })
    hosts.push(late)
    await late.start()
    await waitFor('bootstrap retry', () => joiner.connectedNodes().includes(late.nodeId))
  })

  it('finds the addresses of a node it is not connected to through the DHT (line A–B–C)', async () => {
    const b = await startHost()
    const a = await startHost(b.addresses())
    const c = await startHost(b.addresses())
    // B's routing table must hold C before A can learn of C through B.
    await waitFor(
      'routing tables',
      () => b.libp2p.services.dht.getMode() === 'server' && a.connectedNodes().includes(b.nodeId) && b.connectedNodes().includes(c.nodeId)
    )
    // A knows C's node id from a signed message of C's (as from an offer)...
    const fromC = signEnvelope(c.key, 'test.hello', { hi: true })
    a.directory.learnKey(fromC.signer, c.key.publicKey)
    // ...and is not connected to C.
    if (a.connectedNodes().includes(c.nodeId)) await a.hangUp(c.nodeId)
    await waitFor('a and c apart', () => !a.connectedNodes().includes(c.nodeId) && !c.connectedNodes().includes(a.nodeId))
    const found = await a.findNode(c.nodeId, { useCache: false })
    const cAddress = (c.addresses()[0] as string).replace(/\/p2p\/.*$/, '')
    assert.ok(
      found.some(address => address.startsWith(cAddress)),
      `expected ${cAddress} in ${found.join(', ')}`
    )
  })

  it('findNode of an unknown node id says it is unreachable', async () => {
    const a = await startHost()
    await assert.rejects(a.findNode(NodeKey.random().nodeId), { name: 'NetError', code: 'Unreachable' })
  })

  it('refuses a bootstrap address without a peer id', () => {
    assert.throws(() => new NetHost({ key: NodeKey.random(), bootstrap: ['/ip4/127.0.0.1/tcp/1'] }), /must end in \/p2p\/<peer id>/)
  })
})
