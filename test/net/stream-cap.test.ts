import assert from 'node:assert/strict'
import Type from 'typebox'
import { NetHost, NodeKey, defineProtocol } from '../../net/index.ts'

const Hold = defineProtocol({
  name: '/agora/test-hold/1',
  request: Type.Object({}),
  response: Type.Object({}),
  maxRequestBytes: 100,
  maxResponseBytes: 100,
  timeoutMs: 30_000
})

describe('streams one connection may open towards a node', () => {
  const hosts: NetHost[] = []
  afterEach(async () => {
    await Promise.all(
      hosts.splice(0).map(async host => {
        await host.stop()
      })
    )
  })

  it('beyond 128 open at once, a stream is reset by the muxer, before any protocol is negotiated; the connection stays', async () => {
    const server = new NetHost({ key: NodeKey.random() })
    const client = new NetHost({ key: NodeKey.random() })
    hosts.push(server, client)
    await server.handle(Hold, async () => ({}))
    await server.start()
    await client.start()
    await client.dial(server.addresses()[0] as string)
    // One request first: the burst then does not count as streams opened before the connection settled.
    await client.request(Hold, server.nodeId, {})
    const connection = client.libp2p.getConnections(server.key.peerId)[0]
    assert.ok(connection !== undefined)
    // 200 streams opened at once and held open (nothing sent on them).
    const opened = await Promise.allSettled(
      Array.from({ length: 200 }, async () => await connection.newStream(Hold.name, { maxOutboundStreams: 1000, signal: AbortSignal.timeout(20_000) }))
    )
    const streams = opened.filter(r => r.status === 'fulfilled').map(r => r.value)
    try {
      assert.ok(streams.length <= 128, `${streams.length} streams opened`)
      assert.ok(streams.length >= 100, `${streams.length} streams opened`)
      assert.equal(connection.status, 'open')
    } finally {
      for (const stream of streams) stream.abort(new Error('done'))
    }
    // Once they are gone, requests go through again on the same connection.
    await client.request(Hold, server.nodeId, {})
  })
})
