import assert from 'node:assert/strict'
import Type from 'typebox'
import { HandlerError, NetError, NetHost, NodeKey, RemoteError, defineProtocol } from '../../net/index.ts'

const Echo = defineProtocol({
  name: '/agora/test-echo/1',
  request: Type.Object({ text: Type.String({ maxLength: 5000 }), n: Type.Integer({ minimum: 0 }) }, { additionalProperties: false }),
  response: Type.Object({ text: Type.String(), from: Type.String() }, { additionalProperties: false }),
  maxRequestBytes: 2048,
  maxResponseBytes: 4096,
  timeoutMs: 2000
})

// The same protocol as a careless or hostile client sees it: no schema, big frames.
const LooseEcho = defineProtocol({
  name: Echo.name,
  request: Type.Unknown(),
  response: Type.Unknown(),
  maxRequestBytes: 100_000,
  maxResponseBytes: 100_000,
  timeoutMs: 2000
})

const Slow = defineProtocol({
  name: '/agora/test-slow/1',
  request: Type.Object({ delayMs: Type.Integer() }),
  response: Type.Object({}),
  maxRequestBytes: 100,
  maxResponseBytes: 100,
  timeoutMs: 300
})

const Big = defineProtocol({
  name: '/agora/test-big/1',
  request: Type.Object({ size: Type.Integer() }),
  response: Type.Object({ data: Type.String() }),
  maxRequestBytes: 100,
  maxResponseBytes: 1000,
  timeoutMs: 2000
})

// The server's view of Big: it may answer up to 100 kB.
const BigServer = defineProtocol({ ...Big, maxResponseBytes: 100_000 })

describe('request/response protocols', function () {
  let server: NetHost
  let client: NetHost
  const calls: unknown[] = []

  before(async () => {
    server = new NetHost({ key: NodeKey.random() })
    await server.handle(Echo, async (request, { from }) => {
      calls.push(request)
      if (request.text === 'fail') throw new Error('no such thing')
      if (request.text === 'coded') throw new HandlerError('not_found', 'offer 42 is gone')
      return { text: request.text.toUpperCase(), from }
    })
    await server.start()
    await server.handle(Slow, async ({ delayMs }, { signal }) => {
      await new Promise(resolve => setTimeout(resolve, delayMs))
      signal.throwIfAborted()
      return {}
    })
    await server.handle(BigServer, async ({ size }) => ({ data: 'x'.repeat(size) }))
    client = new NetHost({ key: NodeKey.random(), bootstrap: server.addresses() })
    await client.start()
  })

  after(async () => {
    await client?.stop()
    await server?.stop()
  })

  it('round trip: the handler sees the caller node id, the caller gets the response', async () => {
    const response = await client.request(Echo, server.nodeId, { text: 'hello', n: 1 })
    assert.deepEqual(response, { text: 'HELLO', from: client.nodeId })
  })

  it('refuses a schema-invalid request without calling the handler', async () => {
    const before = calls.length
    await assert.rejects(client.request(LooseEcho, server.nodeId, { text: 'hi', n: -1 }), (err: unknown) => {
      assert.ok(err instanceof RemoteError, String(err))
      assert.equal(err.code, 'bad_request')
      assert.match(err.message, /\/agora\/test-echo\/1 request at \/n: .*0/)
      return true
    })
    assert.equal(calls.length, before)
    assert.ok(server.guard.stats(client.nodeId).violations.malformed >= 1)
    // The requester checks its own requests too.
    await assert.rejects(client.request(Echo, server.nodeId, { text: 'hi', n: 1.5 }), /request at \/n/)
  })

  it('a handler error comes back as a RemoteError with code and message, no stack', async () => {
    await assert.rejects(client.request(Echo, server.nodeId, { text: 'fail', n: 0 }), (err: unknown) => {
      assert.ok(err instanceof RemoteError)
      assert.equal(err.code, 'handler_error')
      assert.equal(err.message, 'no such thing')
      assert.equal(err.from, server.nodeId)
      return true
    })
    await assert.rejects(client.request(Echo, server.nodeId, { text: 'coded', n: 0 }), { name: 'RemoteError', code: 'not_found', message: 'offer 42 is gone' })
  })

  it('refuses oversized frames, both ways', async () => {
    // Our side will not send it.
    await assert.rejects(client.request(Echo, server.nodeId, { text: 'y'.repeat(3000), n: 0 }), { name: 'NetError', code: 'request_too_large' })
    // The server refuses what a careless client sends anyway, before reading it.
    const before = server.guard.stats(client.nodeId).violations.oversized
    await assert.rejects(client.request(LooseEcho, server.nodeId, { text: 'y'.repeat(5000), n: 0 }), { name: 'RemoteError', code: 'request_too_large' })
    assert.equal(server.guard.stats(client.nodeId).violations.oversized, before + 1)
    // A response over the requester's limit is refused and counted.
    await assert.rejects(client.request(Big, server.nodeId, { size: 5000 }), (err: unknown) => {
      assert.ok(err instanceof NetError)
      assert.equal(err.code, 'response_too_large')
      assert.match(err.message, /response too large/)
      return true
    })
    assert.equal(client.guard.stats(server.nodeId).violations.oversized, 1)
    assert.deepEqual(await client.request(Big, server.nodeId, { size: 10 }), { data: 'x'.repeat(10) })
  })

  it('times out', async () => {
    await assert.rejects(client.request(Slow, server.nodeId, { delayMs: 1500 }), (err: unknown) => {
      assert.ok(err instanceof NetError)
      assert.equal(err.code, 'timeout')
      assert.match(err.message, /timed out after 300 ms/)
      return true
    })
    // The caller's own signal aborts too.
    await assert.rejects(client.request(Slow, server.nodeId, { delayMs: 1000 }, { signal: AbortSignal.timeout(50) }), { code: 'aborted' })
  })

  it('an unknown node is unreachable', async () => {
    const stranger = NodeKey.random().nodeId
    await assert.rejects(client.request(Echo, stranger, { text: 'x', n: 0 }), (err: unknown) => {
      assert.ok(err instanceof NetError)
      assert.equal(err.code, 'unreachable')
      assert.ok(err.message.includes(`node ${stranger} unreachable`))
      return true
    })
  })

  it('a node that is gone is unreachable, and a protocol nobody serves says so', async () => {
    const Unserved = defineProtocol({ ...Echo, name: '/agora/test-nobody/1' })
    await assert.rejects(client.request(Unserved, server.nodeId, { text: 'x', n: 0 }), { code: 'unreachable', message: new RegExp(`${server.nodeId} does not serve /agora/test-nobody/1`) })
    const leaving = new NetHost({ key: NodeKey.random(), bootstrap: server.addresses() })
    await leaving.start()
    await client.dial(leaving.addresses()[0] as string)
    await leaving.stop()
    await assert.rejects(client.request(Echo, leaving.nodeId, { text: 'x', n: 0 }), { name: 'NetError', code: 'unreachable' })
  })

  it('rate-limits requests per node', async () => {
    const strict = new NetHost({ key: NodeKey.random(), peerGuard: { requestsPerSecond: 1, requestBurst: 3 } })
    await strict.handle(Echo, async request => ({ text: request.text, from: 'strict' }))
    await strict.start()
    try {
      await client.dial(strict.addresses()[0] as string)
      const results = await Promise.allSettled(Array.from({ length: 8 }, async (_, n) => await client.request(Echo, strict.nodeId, { text: 't', n })))
      const refused = results.filter(r => r.status === 'rejected' && (r.reason as RemoteError).code === 'rate_limited')
      assert.equal(results.length - refused.length, 3)
      assert.equal(strict.guard.stats(client.nodeId).droppedRequests, 5)
    } finally {
      await strict.stop()
    }
  })
})
