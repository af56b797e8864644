import assert from 'node:assert/strict'
import * as lp from 'it-length-prefixed'
import Type from 'typebox'
import { HandlerError, ManualClock, NetError, NetHost, NodeKey, RemoteError, defineProtocol } from '../../net/index.ts'
import { PULL_PROTOCOL, SYNC_PROTOCOL, syncHandler } from '../../net/broadcast/sync.ts'
import type { Broadcast } from '../../net/index.ts'
import type { Stream } from '@libp2p/interface'
import { toy, toyTopic } from '../helpers/toy-topic.ts'
import type { Toy } from '../helpers/toy-topic.ts'
import { waitFor } from '../helpers/wait.ts'

// Echo over one long-lived stream per peer.
const Echo = defineProtocol({
  name: '/agora/test-channel-echo/1',
  request: Type.Object({ text: Type.String({ maxLength: 500 }), n: Type.Integer({ minimum: 0 }) }, { additionalProperties: false }),
  response: Type.Object({ text: Type.String(), from: Type.String() }, { additionalProperties: false }),
  maxRequestBytes: 2048,
  maxResponseBytes: 4096,
  timeoutMs: 5000,
  longLived: true
})

// The same protocol as a careless client sees it: no schema.
const LooseEcho = defineProtocol({ ...Echo, request: Type.Unknown(), response: Type.Unknown() })

/** The streams of a protocol on the connections between two hosts, as one side sees them. */
function streamsOf(host: NetHost, other: NetHost, protocol: string): Stream[] {
  return host.libp2p
    .getConnections(other.libp2p.peerId)
    .flatMap(connection => connection.streams)
    .filter(stream => stream.protocol === protocol && stream.status === 'open')
}

/** A raw stream of a protocol from one host to another, for frames no well-behaved node sends. */
async function rawStream(from: NetHost, to: NetHost, protocol: string): Promise<Stream> {
  return await from.libp2p.dialProtocol(to.libp2p.peerId, protocol)
}

/** Resolves when the stream has ended, either way. */
async function ended(stream: Stream): Promise<void> {
  await waitFor('stream ended', () => stream.status !== 'open')
}

describe('long-lived protocols (one stream per peer)', () => {
  let server: NetHost
  let client: NetHost
  let release: () => void = () => {}
  let entered = 0

  before(async () => {
    server = new NetHost({ key: NodeKey.random() })
    await server.handle(Echo, async (request, { from, signal }) => {
      if (request.text === 'coded') throw new HandlerError('NotFound', 'offer 42 is gone')
      if (request.text === 'hold') {
        entered++
        await new Promise<void>(resolve => {
          release = resolve
          signal.addEventListener('abort', () => resolve(), { once: true })
        })
        signal.throwIfAborted()
      }
      return { text: request.text.toUpperCase(), from }
    })
    await server.start()
    client = new NetHost({ key: NodeKey.random(), bootstrap: server.addresses() })
    await client.start()
  })

  after(async () => {
    release()
    await client?.stop()
    await server?.stop()
  })

  it('many requests at once share one stream, and each answer reaches its own request', async () => {
    const texts = Array.from({ length: 100 }, (_, i) => `request ${i}`)
    const answers = await Promise.all(texts.map(async (text, n) => await client.request(Echo, server.nodeId, { text, n })))
    assert.deepEqual(
      answers.map(answer => answer.text),
      texts.map(text => text.toUpperCase())
    )
    assert.ok(answers.every(answer => answer.from === client.nodeId))
    const [stream, ...more] = streamsOf(client, server, Echo.name)
    assert.ok(stream !== undefined)
    assert.equal(more.length, 0)
    assert.equal(streamsOf(server, client, Echo.name).length, 1)
    // And later requests still go over it.
    for (let n = 0; n < 5; n++) await client.request(Echo, server.nodeId, { text: 'again', n })
    assert.deepEqual(
      streamsOf(client, server, Echo.name).map(s => s.id),
      [stream.id]
    )
  })

  it('a refusal or a handler error answers that request alone; the channel goes on', async () => {
    await client.request(Echo, server.nodeId, { text: 'warm', n: 0 })
    const [stream] = streamsOf(client, server, Echo.name)
    const malformedBefore = server.guard.stats(client.nodeId).violations.malformed
    await assert.rejects(client.request(LooseEcho, server.nodeId, { text: 'hi', n: -1 }), (err: unknown) => {
      assert.ok(err instanceof RemoteError, String(err))
      assert.equal(err.code, 'BadRequest')
      assert.match(err.message, /request at \/n/)
      return true
    })
    assert.equal(server.guard.stats(client.nodeId).violations.malformed, malformedBefore + 1)
    await assert.rejects(client.request(Echo, server.nodeId, { text: 'coded', n: 0 }), { name: 'RemoteError', code: 'NotFound', message: 'offer 42 is gone' })
    assert.deepEqual(await client.request(Echo, server.nodeId, { text: 'after', n: 1 }), { text: 'AFTER', from: client.nodeId })
    assert.deepEqual(
      streamsOf(client, server, Echo.name).map(s => s.id),
      [stream?.id]
    )
  })

  it('a caller that gives up leaves the channel to the others, and its late answer is dropped', async () => {
    const giveUp = new AbortController()
    const held = client.request(Echo, server.nodeId, { text: 'hold', n: 0 }, { signal: giveUp.signal })
    const enteredBefore = entered
    await waitFor('handler holding', () => entered > enteredBefore)
    // Asked behind the held one: the server answers in turn.
    const next = client.request(Echo, server.nodeId, { text: 'next', n: 1 })
    giveUp.abort()
    await assert.rejects(held, { name: 'NetError', code: 'Aborted' })
    release()
    assert.deepEqual(await next, { text: 'NEXT', from: client.nodeId })
    assert.equal(client.guard.stats(server.nodeId).violations.protocol, 0)
    assert.equal(streamsOf(client, server, Echo.name).length, 1)
  })

  it('checks the request rate on each request, before the handler runs', async () => {
    let handled = 0
    const strict = new NetHost({ key: NodeKey.random(), peerGuard: { requestsPerSecond: 1, requestBurst: 3 }, clock: new ManualClock() })
    await strict.handle(Echo, async request => {
      handled++
      return { text: request.text, from: 'strict' }
    })
    await strict.start()
    try {
      await client.dial(strict.addresses()[0] as string)
      const results = await Promise.allSettled(Array.from({ length: 8 }, async (_, n) => await client.request(Echo, strict.nodeId, { text: 't', n })))
      const limited = results.filter(r => r.status === 'rejected' && r.reason instanceof RemoteError && r.reason.code === 'RateLimited')
      assert.equal(limited.length, 5)
      assert.equal(handled, 3)
      assert.equal(strict.guard.stats(client.nodeId).droppedRequests, 5)
      assert.equal(streamsOf(client, strict, Echo.name).length, 1)
    } finally {
      await strict.stop()
    }
  })

  it('a handler past its timeout ends the channel; the next request opens another', async () => {
    const Quick = defineProtocol({ ...Echo, name: '/agora/test-channel-quick/1', timeoutMs: 300 })
    await server.handle(Quick, async (request, { signal }) => {
      if (request.text === 'stall') await new Promise(resolve => signal.addEventListener('abort', resolve, { once: true }))
      return { text: request.text, from: 'quick' }
    })
    await assert.rejects(client.request(Quick, server.nodeId, { text: 'stall', n: 0 }), (err: unknown) => {
      assert.ok(err instanceof NetError, String(err))
      assert.ok(err.code === 'PeerTimeout' || err.code === 'StreamClosed', err.code)
      return true
    })
    assert.deepEqual(await client.request(Quick, server.nodeId, { text: 'fine', n: 1 }), { text: 'fine', from: 'quick' })
  })

  it('a frame that is not a request ends the channel and counts against its sender', async () => {
    const stats = (): Record<string, number> => server.guard.stats(client.nodeId).violations
    const cases: Array<{ frame: Uint8Array; violation: 'malformed' | 'protocol' | 'oversized' }> = [
      { frame: lp.encode.single(new TextEncoder().encode('{not json')).subarray(), violation: 'malformed' },
      { frame: lp.encode.single(new TextEncoder().encode(JSON.stringify({ v: 1, body: {} }))).subarray(), violation: 'protocol' },
      // A length prefix past the request limit: refused before its body is read.
      { frame: lp.encode.single(new Uint8Array(Echo.maxRequestBytes + 1)).subarray(), violation: 'oversized' }
    ]
    for (const { frame, violation } of cases) {
      const before = stats()[violation] ?? 0
      const stream = await rawStream(client, server, Echo.name)
      stream.send(frame)
      await ended(stream)
      assert.equal(stats()[violation], before + 1, violation)
    }
    // The well-behaved channel is not among those ended.
    assert.deepEqual(await client.request(Echo, server.nodeId, { text: 'still', n: 0 }), { text: 'STILL', from: client.nodeId })
  })

  it('an answer to a request never sent counts against the server that sent it', async () => {
    const Liar = defineProtocol({ ...Echo, name: '/agora/test-channel-liar/1' })
    // A server that numbers its answers wrongly.
    await server.libp2p.handle(Liar.name, async stream => {
      for await (const chunk of lp.decode(stream)) {
        const { n } = JSON.parse(new TextDecoder().decode(chunk.subarray())) as { n: number }
        stream.send(lp.encode.single(new TextEncoder().encode(JSON.stringify({ v: 1, n: n + 5, ok: true, body: { text: 'x', from: 'y' } }))))
      }
    })
    await assert.rejects(client.request(Liar, server.nodeId, { text: 'x', n: 0 }), { name: 'NetError', code: 'MalformedResponse' })
    assert.equal(client.guard.stats(server.nodeId).violations.protocol, 1)
  })
})

describe('pulling announced bodies', () => {
  const toys = toyTopic()
  const hosts: NetHost[] = []
  after(async () => {
    await Promise.all(hosts.map(async host => await host.stop()))
  })

  it('goes by the pull protocol, and by sync from a node that does not serve it', async () => {
    // Re-sync is slow here: what arrives after the connect comes by gossip and pull.
    const options = { gossipHeartbeatMs: 200, broadcast: { resyncIntervalMs: 600_000 } }
    const publisher = new NetHost({ key: NodeKey.random(), ...options })
    hosts.push(publisher)
    const publisherToys = publisher.broadcast(toys)
    await publisher.start()
    const puller = new NetHost({ key: NodeKey.random(), bootstrap: publisher.addresses(), ...options })
    hosts.push(puller)
    const pullerToys: Broadcast<typeof Toy> = puller.broadcast(toys)
    await puller.start()
    await waitFor('gossip mesh', () => pullerToys.gossipPeers().includes(publisher.nodeId) && publisherToys.gossipPeers().includes(puller.nodeId))
    // The publisher's sync, counting the pulls asked of it.
    let pullsBySync = 0
    const sync = syncHandler(name => (name === toys.name ? publisherToys : undefined))
    await publisher.unhandle(SYNC_PROTOCOL)
    await publisher.handle(SYNC_PROTOCOL, async (request, context) => {
      if (request.op === 'pull') pullsBySync++
      return await sync(request, context)
    })

    const first = toy('by the pull protocol')
    await publisherToys.publish(first)
    await waitFor('pulled', () => pullerToys.get(first.id) !== undefined)
    assert.equal(pullsBySync, 0)
    assert.equal(streamsOf(puller, publisher, PULL_PROTOCOL.name).length, 1)

    // An older node: no pull protocol.
    await publisher.unhandle(PULL_PROTOCOL)
    for (const stream of streamsOf(puller, publisher, PULL_PROTOCOL.name)) stream.abort(new Error('as if it never served it'))
    const second = toy('by sync')
    await publisherToys.publish(second)
    await waitFor('pulled by sync', () => pullerToys.get(second.id) !== undefined)
    assert.equal(pullsBySync, 1)
    // And the next.
    const third = toy('by sync again')
    await publisherToys.publish(third)
    await waitFor('pulled by sync again', () => pullerToys.get(third.id) !== undefined)
    assert.equal(pullsBySync, 2)
  })
})
