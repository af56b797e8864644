import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Type from 'typebox'
import { HandlerError, ManualClock, NetError, NetHost, NodeKey, RemoteError, defineProtocol, openEnvelope, signEnvelope } from '../../net/index.ts'
import type { Logger } from '../../net/index.ts'
import { waitFor } from '../helpers/wait.ts'

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

/** A logger that keeps what is logged at error level, for the assertions. */
function recordingLogger(errors: Array<Record<string, any>>): Logger {
  const ignore = (): void => {}
  const logger: Logger = {
    debug: ignore,
    info: ignore,
    warn: ignore,
    error: (object: object | string, message?: string) => {
      errors.push(typeof object === 'string' ? { msg: object } : { ...object, msg: message })
    },
    child: () => logger
  }
  return logger
}

describe('request/response protocols', () => {
  let server: NetHost
  let client: NetHost
  const calls: unknown[] = []
  const serverErrors: Array<Record<string, any>> = []
  const missingFile = join(tmpdir(), `agora-no-such-dir-${process.pid}`, 'secret-keys.json')

  before(async () => {
    server = new NetHost({ key: NodeKey.random(), logger: recordingLogger(serverErrors) })
    await server.handle(Echo, async (request, { from }) => {
      calls.push(request)
      if (request.text === 'fail') throw new Error('no such thing')
      if (request.text === 'enoent') await readFile(missingFile)
      if (request.text === 'full') throw Object.assign(new Error(`ENOSPC: no space left on device, write '${missingFile}'`), { code: 'ENOSPC' })
      // A coded error of ours, but not one a peer may see.
      if (request.text === 'local') throw new NetError('Unreachable', 'node 0x1234 unreachable: its peer id is not known')
      if (request.text === 'coded') throw new HandlerError('NotFound', 'offer 42 is gone')
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
      assert.equal(err.code, 'BadRequest')
      assert.match(err.message, /\/agora\/test-echo\/1 request at \/n: .*0/)
      return true
    })
    assert.equal(calls.length, before)
    assert.ok(server.guard.stats(client.nodeId).violations.malformed >= 1)
    // The requester checks its own requests too.
    await assert.rejects(client.request(Echo, server.nodeId, { text: 'hi', n: 1.5 }), /request at \/n/)
  })

  it('a coded handler error comes back as a RemoteError with code and message; anything else as Internal with a reference only', async () => {
    await assert.rejects(client.request(Echo, server.nodeId, { text: 'fail', n: 0 }), (err: unknown) => {
      assert.ok(err instanceof RemoteError)
      assert.equal(err.code, 'Internal')
      assert.match(err.message, /^internal error \(ref [0-9a-f]{16}\)$/)
      assert.equal(err.from, server.nodeId)
      return true
    })
    await assert.rejects(client.request(Echo, server.nodeId, { text: 'coded', n: 0 }), { name: 'RemoteError', code: 'NotFound', message: 'offer 42 is gone' })
  })

  it('a file error in a handler reaches the peer as Internal without its path; the log keeps it under the same reference', async () => {
    const err = await client.request(Echo, server.nodeId, { text: 'enoent', n: 0 }).then(
      () => assert.fail('answered'),
      (e: unknown) => e
    )
    assert.ok(err instanceof RemoteError)
    assert.equal(err.code, 'Internal')
    assert.doesNotMatch(err.message, /ENOENT|secret-keys|agora-no-such-dir/)
    const ref = /\(ref ([0-9a-f]{16})\)$/.exec(err.message)?.[1]
    assert.ok(ref !== undefined, err.message)
    const logged = serverErrors.filter(line => line.correlationId === ref)
    assert.equal(logged.length, 1)
    assert.equal(logged[0]?.err?.code, 'ENOENT')
    assert.equal(logged[0]?.err?.path, missingFile)
    assert.equal(logged[0]?.protocol, Echo.name)
    assert.equal(logged[0]?.from, client.nodeId)
  })

  it('a full disk reaches the peer as InsufficientStorage in its own words, without the path', async () => {
    await assert.rejects(client.request(Echo, server.nodeId, { text: 'full', n: 0 }), {
      name: 'RemoteError',
      code: 'InsufficientStorage',
      message: "the node's disk is full"
    })
  })

  it('a coded error no peer should see (a local network failure) also goes out as Internal', async () => {
    await assert.rejects(client.request(Echo, server.nodeId, { text: 'local', n: 0 }), (err: unknown) => {
      assert.ok(err instanceof RemoteError)
      assert.equal(err.code, 'Internal')
      assert.doesNotMatch(err.message, /0x1234/)
      return true
    })
  })

  it('reads a code no peer should send, or one it does not know, as Internal', () => {
    const from = NodeKey.random().nodeId
    assert.equal(new RemoteError('handler_error', 'x', from).code, 'Internal')
    assert.equal(new RemoteError('Unreachable', 'x', from).code, 'Internal')
    assert.equal(new RemoteError('toString', 'x', from).code, 'Internal')
    assert.equal(new RemoteError('Gone', 'x', from).code, 'Gone')
  })

  it('refuses oversized frames, both ways', async () => {
    // Our side will not send it.
    await assert.rejects(client.request(Echo, server.nodeId, { text: 'y'.repeat(3000), n: 0 }), { name: 'NetError', code: 'PayloadTooLarge' })
    // The server refuses what a careless client sends anyway, before reading it.
    const before = server.guard.stats(client.nodeId).violations.oversized
    await assert.rejects(client.request(LooseEcho, server.nodeId, { text: 'y'.repeat(5000), n: 0 }), { name: 'RemoteError', code: 'PayloadTooLarge' })
    assert.equal(server.guard.stats(client.nodeId).violations.oversized, before + 1)
    // A response over the requester's limit is refused and counted.
    await assert.rejects(client.request(Big, server.nodeId, { size: 5000 }), (err: unknown) => {
      assert.ok(err instanceof NetError)
      assert.equal(err.code, 'ResponseTooLarge')
      assert.match(err.message, /response too large/)
      return true
    })
    assert.equal(client.guard.stats(server.nodeId).violations.oversized, 1)
    assert.deepEqual(await client.request(Big, server.nodeId, { size: 10 }), { data: 'x'.repeat(10) })
  })

  it('times out', async () => {
    await assert.rejects(client.request(Slow, server.nodeId, { delayMs: 1500 }), (err: unknown) => {
      assert.ok(err instanceof NetError)
      assert.equal(err.code, 'PeerTimeout')
      assert.match(err.message, /timed out after 300 ms/)
      return true
    })
    // The caller's own signal aborts too.
    await assert.rejects(client.request(Slow, server.nodeId, { delayMs: 1000 }, { signal: AbortSignal.timeout(50) }), { code: 'Aborted' })
  })

  it('an unknown node is unreachable', async () => {
    const stranger = NodeKey.random().nodeId
    await assert.rejects(client.request(Echo, stranger, { text: 'x', n: 0 }), (err: unknown) => {
      assert.ok(err instanceof NetError)
      assert.equal(err.code, 'Unreachable')
      assert.ok(err.message.includes(`node ${stranger} unreachable`))
      return true
    })
  })

  it('a node that is gone is unreachable, and a protocol nobody serves says so', async () => {
    const Unserved = defineProtocol({ ...Echo, name: '/agora/test-nobody/1' })
    await assert.rejects(client.request(Unserved, server.nodeId, { text: 'x', n: 0 }), {
      code: 'Unreachable',
      message: new RegExp(`${server.nodeId} does not serve /agora/test-nobody/1`)
    })
    const leaving = new NetHost({ key: NodeKey.random(), bootstrap: server.addresses() })
    await leaving.start()
    await client.dial(leaving.addresses()[0] as string)
    await leaving.stop()
    await assert.rejects(client.request(Echo, leaving.nodeId, { text: 'x', n: 0 }), { name: 'NetError', code: 'Unreachable' })
  })

  it('rate-limits requests per node', async () => {
    const strict = new NetHost({ key: NodeKey.random(), peerGuard: { requestsPerSecond: 1, requestBurst: 3 } })
    await strict.handle(Echo, async request => ({ text: request.text, from: 'strict' }))
    await strict.start()
    try {
      await client.dial(strict.addresses()[0] as string)
      const results = await Promise.allSettled(Array.from({ length: 8 }, async (_, n) => await client.request(Echo, strict.nodeId, { text: 't', n })))
      const refused = results.filter(r => r.status === 'rejected' && (r.reason as RemoteError).code === 'RateLimited')
      assert.equal(results.length - refused.length, 3)
      assert.equal(strict.guard.stats(client.nodeId).droppedRequests, 5)
    } finally {
      await strict.stop()
    }
  })

  it('a burst beyond the rate gets RateLimited at once, on every protocol, before the handler runs', async () => {
    // 61 streams at once on a loaded machine may take longer than Echo's 2 s: a timeout here would not be the limit's answer.
    const Patient = defineProtocol({ ...Echo, timeoutMs: 60_000 })
    const Other = defineProtocol({ ...Patient, name: '/agora/test-other/1' })
    let handled = 0
    // The clock stands still: no token comes back during the test.
    const strict = new NetHost({ key: NodeKey.random(), peerGuard: { requestsPerSecond: 1, requestBurst: 11 }, clock: new ManualClock() })
    await strict.handle(Patient, async request => {
      handled++
      return { text: request.text, from: 'strict' }
    })
    await strict.handle(Other, async request => {
      handled++
      return { text: request.text, from: 'strict' }
    })
    await strict.start()
    try {
      await client.dial(strict.addresses()[0] as string)
      // One request first, so that the burst does not race the connection's own set-up.
      await client.request(Patient, strict.nodeId, { text: 'warm', n: 0 })
      // 60 requests, half on each protocol: one budget per node across protocols.
      const results = await Promise.allSettled(
        Array.from({ length: 60 }, async (_, n) => await client.request(n % 2 === 0 ? Patient : Other, strict.nodeId, { text: 't', n }))
      )
      const limited = results.filter(r => r.status === 'rejected' && r.reason instanceof RemoteError && r.reason.code === 'RateLimited')
      assert.equal(limited.length, 50)
      assert.equal(results.filter(r => r.status === 'fulfilled').length, 10)
      assert.equal(handled, 11)
      assert.equal(strict.guard.stats(client.nodeId).droppedRequests, 50)
      assert.equal(strict.guard.stats(client.nodeId).violations.flood, 50)
    } finally {
      await strict.stop()
    }
  })

  it('more requests in flight than a node may have get RateLimited without being read', async () => {
    let release: () => void = () => {}
    const released = new Promise<void>(resolve => {
      release = resolve
    })
    let entered = 0
    const Other = defineProtocol({ ...Echo, name: '/agora/test-other/1' })
    const busy = new NetHost({ key: NodeKey.random(), inbound: { perNode: 2, total: 100 } })
    await busy.handle(Other, async request => ({ text: request.text, from: 'busy' }))
    await busy.handle(Echo, async request => {
      entered++
      await released
      return { text: request.text, from: 'busy' }
    })
    await busy.start()
    try {
      await client.dial(busy.addresses()[0] as string)
      await client.request(Other, busy.nodeId, { text: 'warm', n: 0 })
      const requests = Array.from({ length: 5 }, async (_, n) => await client.request(Echo, busy.nodeId, { text: 't', n }))
      const refused = requests.map(
        async request =>
          await request.then(
            () => undefined,
            (err: unknown) => err
          )
      )
      // Three of five are answered while two handlers are held.
      await waitFor('two handlers held', () => entered === 2)
      const settled: unknown[] = []
      for (const outcome of refused)
        void outcome.then(err => {
          if (err !== undefined) settled.push(err)
        })
      await waitFor('three refused', () => settled.length === 3)
      for (const err of settled)
        assert.ok(err instanceof RemoteError && err.code === 'RateLimited' && err.message === 'too many requests at once; try again later', String(err))
      assert.equal(entered, 2)
      release()
      assert.equal((await Promise.allSettled(requests)).filter(r => r.status === 'fulfilled').length, 2)
      // The slots are free again.
      const again = await Promise.allSettled([0, 1].map(async n => await client.request(Echo, busy.nodeId, { text: 'again', n })))
      assert.deepEqual(
        again.map(r => r.status),
        ['fulfilled', 'fulfilled']
      )
    } finally {
      release()
      await busy.stop()
    }
  })

  it('forged envelopes are counted against the sender, answered with a fixed text, and ban it at the threshold', async () => {
    const Signed = defineProtocol({
      name: '/agora/test-signed/1',
      request: Type.Object({ envelope: Type.Unknown() }, { additionalProperties: false }),
      response: Type.Object({ ok: Type.Literal(true) }, { additionalProperties: false }),
      maxRequestBytes: 4096,
      maxResponseBytes: 1000,
      timeoutMs: 2000
    })
    // No healing: the documented penalties add up exactly.
    const clock = new ManualClock()
    const victim = new NetHost({ key: NodeKey.random(), clock })
    // As every module's handler does: open the envelope, let the layer judge a bad one.
    await victim.handle(Signed, async ({ envelope }) => {
      openEnvelope(envelope, 'test.signed')
      return { ok: true as const }
    })
    await victim.start()
    const forger = new NetHost({ key: NodeKey.random() })
    await forger.start()
    try {
      await forger.dial(victim.addresses()[0] as string)
      const banned = new Promise<string>(resolve => {
        victim.guard.addEventListener(
          'peer:banned',
          event => {
            resolve(event.detail.nodeId)
          },
          { once: true }
        )
      })
      const genuine = signEnvelope(forger.key, 'test.signed', { n: 1 })
      assert.deepEqual(await forger.request(Signed, victim.nodeId, { envelope: genuine }), { ok: true })
      const { penalties, banThreshold } = victim.guard.options
      const forgeries = [
        { ...genuine, payload: { n: 2 } },
        { ...genuine, sig: `0x${'11'.repeat(65)}` },
        { ...genuine, signer: NodeKey.random().nodeId },
        { ...genuine, sig: `0x${'00'.repeat(65)}` }
      ]
      assert.equal(Math.ceil(-banThreshold / penalties.forged), forgeries.length)
      for (const [i, envelope] of forgeries.entries()) {
        await assert.rejects(forger.request(Signed, victim.nodeId, { envelope }), (err: unknown) => {
          assert.ok(err instanceof RemoteError, String(err))
          // The envelope's own error, in a fixed text: nothing of the signature library's.
          assert.equal(err.code, 'BadRequest')
          assert.match(err.message, /^envelope signature (does not verify|is not 0x[0-9a-fA-F]{40}'s)$/)
          return true
        })
        if (i < forgeries.length - 1) assert.equal(victim.guard.scoreOf(forger.nodeId), -(i + 1) * penalties.forged)
      }
      assert.equal(await banned, forger.nodeId)
      assert.equal(victim.guard.stats(forger.nodeId).violations.forged, forgeries.length)
      await waitFor('forger disconnected', () => !victim.connectedNodes().includes(forger.nodeId))
      // Refused from now on, whatever it sends.
      await assert.rejects(forger.request(Signed, victim.nodeId, { envelope: genuine }))
    } finally {
      await forger.stop()
      await victim.stop()
    }
  })
})

describe('a node that stops while it handles requests', () => {
  // A wait as long as an activity's batch results may take.
  const LongWaitOnItsOwn = defineProtocol({
    name: '/agora/test-long-wait/1',
    request: Type.Object({}),
    response: Type.Object({}),
    maxRequestBytes: 100,
    maxResponseBytes: 100,
    timeoutMs: 300_000
  })
  const hosts: NetHost[] = []
  after(async () => {
    await Promise.all(hosts.map(async host => await host.stop()))
  })

  for (const longLived of [false, true]) {
    it(`ends every handler's wait: its signal is aborted, and the caller gets no answer (${longLived ? 'on a long-lived stream' : 'a stream each'})`, async () => {
      const LongWait = defineProtocol({ ...LongWaitOnItsOwn, longLived })
      const server = new NetHost({ key: NodeKey.random() })
      hosts.push(server)
      let started = (): void => {}
      const handling = new Promise<void>(resolve => {
        started = resolve
      })
      const reasons: unknown[] = []
      await server.handle(LongWait, async (_, { signal }) => {
        started()
        // Waits for its signal alone, as a long poll does.
        await new Promise<void>(resolve => {
          signal.addEventListener(
            'abort',
            () => {
              reasons.push(signal.reason)
              resolve()
            },
            { once: true }
          )
        })
        signal.throwIfAborted()
        return {}
      })
      await server.start()
      const client = new NetHost({ key: NodeKey.random(), bootstrap: server.addresses() })
      hosts.push(client)
      await client.start()
      const answer = client.request(LongWait, server.nodeId, {})
      answer.catch(() => {})
      await handling
      await server.stop()
      await assert.rejects(answer, (err: unknown) => err instanceof NetError || err instanceof RemoteError)
      assert.equal(reasons.length, 1)
      assert.ok(reasons[0] instanceof NetError && reasons[0].code === 'Aborted', String(reasons[0]))
    })
  }
})
