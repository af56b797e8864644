import assert from 'node:assert/strict'
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Level } from 'level'
import { MessageRefused, NetHost, NodeKey, Outbox, OutboxError, messageIdOf, signEnvelope } from '../../net/index.ts'
import type { NodeId, OutboxDb, OutboxOptions, SignedEnvelope } from '../../net/index.ts'
import { ManualClock } from '../helpers/manual-clock.ts'

type Db = Level<string, unknown>

interface Side {
  key: NodeKey
  host: NetHost
  db: Db
  outbox: Outbox
  clock: ManualClock
}

describe('net: the durable outbox, between two hosts on loopback', function () {
  this.timeout(180_000)
  let dir: string
  const open: Side[] = []
  /** What the receiving side's handler does with each message. */
  let behaviour: (envelope: SignedEnvelope) => void
  let handled: SignedEnvelope[]

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agora-outbox-'))
    behaviour = () => {}
    handled = []
  })
  afterEach(async () => {
    for (const side of open.splice(0)) await close(side)
    await rm(dir, { recursive: true, force: true })
  })

  async function side(name: string, key = NodeKey.random(), options: Partial<OutboxOptions> = {}): Promise<Side> {
    const db: Db = new Level(join(dir, name), { valueEncoding: 'json' })
    await db.open()
    const host = new NetHost({ key })
    await host.start()
    const clock = new ManualClock()
    const outbox = new Outbox({ owner: 'test', host, db: db as unknown as OutboxDb, clock, random: () => 0.5, minRetryMs: 1000, maxRetryMs: 4000, ...options })
    outbox.handle('note', async envelope => {
      handled.push(envelope)
      behaviour(envelope)
    })
    await outbox.start()
    const opened = { key, host, db, outbox, clock }
    open.push(opened)
    return opened
  }

  async function close(s: Side): Promise<void> {
    const at = open.indexOf(s)
    if (at >= 0) open.splice(at, 1)
    await s.outbox.stop()
    await s.host.stop()
    await s.db.close()
  }

  async function storedKeys(db: Db, range: 'm' | 'r'): Promise<string[]> {
    return await db.keys({ gte: `outbox:${range}:`, lt: `outbox:${range};` }).all()
  }

  const note = (s: Side, text: string): SignedEnvelope => signEnvelope(s.key, 'test.note', { text })

  it('delivers a queued message once; a duplicate is acknowledged without handling it again', async () => {
    const receiver = await side('receiver')
    const sender = await side('sender')
    await sender.host.dial(receiver.host.addresses()[0]!)
    const envelope = note(sender, 'hello')
    const delivered = once(sender.outbox, 'message:delivered')
    const id = await sender.outbox.enqueue(receiver.host.nodeId, 'note', envelope)
    assert.equal(id, messageIdOf(receiver.host.nodeId, 'note', envelope))
    const [event] = (await delivered) as [CustomEvent]
    assert.equal(event.detail.id, id)
    assert.deepEqual(handled, [envelope])
    assert.deepEqual(sender.outbox.pending(), [])
    assert.deepEqual(await storedKeys(sender.db, 'm'), [])
    assert.equal((await storedKeys(receiver.db, 'r')).length, 1)

    // The same message again, as a retry after a lost acknowledgement looks.
    const received = once(receiver.outbox, 'message:received')
    const answer = await sender.host.request(sender.outbox.protocol, receiver.host.nodeId, { kind: 'note', envelope })
    assert.deepEqual(answer, { result: 'ack' })
    assert.equal(((await received) as [CustomEvent])[0].detail.duplicate, true)
    const again = once(sender.outbox, 'message:delivered')
    await sender.outbox.enqueue(receiver.host.nodeId, 'note', envelope)
    await again
    assert.equal(handled.length, 1, 'a duplicate is not handled twice')
  })

  it('drops a message the receiver refuses for good, and does not retry it', async () => {
    const receiver = await side('receiver')
    const sender = await side('sender')
    await sender.host.dial(receiver.host.addresses()[0]!)
    behaviour = () => {
      throw new MessageRefused('BadRequest', 'the note must be signed by its sender')
    }
    const dropped = once(sender.outbox, 'message:dropped')
    const id = await sender.outbox.enqueue(receiver.host.nodeId, 'note', note(sender, 'forged'))
    assert.equal(await sender.outbox.nextAttempt(id, 60_000), 'dropped')
    const [event] = (await dropped) as [CustomEvent]
    assert.equal(event.detail.code, 'BadRequest')
    assert.match(event.detail.reason, /signed by its sender/)
    assert.deepEqual(sender.outbox.pending(), [])
    assert.deepEqual(await storedKeys(sender.db, 'm'), [])
    assert.deepEqual(sender.clock.pending(), [], 'no retry is scheduled')
    assert.equal(handled.length, 1)
    // A kind nobody handles is refused for good too.
    const unknown = once(sender.outbox, 'message:dropped')
    await sender.outbox.enqueue(receiver.host.nodeId, 'no-such-kind', note(sender, 'x'))
    assert.equal(((await unknown) as [CustomEvent])[0].detail.code, 'NotFound')
  })

  it('retries on the injected clock with capped, jittered exponential backoff, then delivers', async () => {
    const receiver = await side('receiver')
    const sender = await side('sender')
    await sender.host.dial(receiver.host.addresses()[0]!)
    let failuresLeft = 4
    behaviour = () => {
      if (failuresLeft-- > 0) throw new Error('disk on fire at /var/lib/agora')
    }
    const delays: number[] = []
    let retry = once(sender.outbox, 'message:retry')
    const delivered = once(sender.outbox, 'message:delivered')
    const id = await sender.outbox.enqueue(receiver.host.nodeId, 'note', note(sender, 'persist'))
    assert.equal(await sender.outbox.nextAttempt(id, 60_000), 'pending', 'a failed attempt ends the wait')
    for (let attempt = 1; attempt <= 4; attempt++) {
      const [event] = (await retry) as [CustomEvent]
      retry = once(sender.outbox, 'message:retry')
      assert.equal(event.detail.failures, attempt)
      assert.doesNotMatch(event.detail.error, /disk on fire|\/var\/lib/, 'internals stay on the receiving side')
      delays.push(event.detail.delayMs)
      const due = sender.clock.now() + event.detail.delayMs
      assert.equal(sender.outbox.nextAttemptAt(receiver.host.nodeId), due)
      assert.deepEqual(sender.clock.pending(), [due])
      sender.clock.advance(event.detail.delayMs - 1)
      assert.equal(handled.length, attempt, 'no attempt before it is due')
      assert.deepEqual(sender.clock.pending(), [due])
      sender.clock.advance(1)
    }
    await delivered
    // random() = 0.5 → three quarters of min(1000 × 2^(n-1), 4000).
    assert.deepEqual(delays, [750, 1500, 3000, 3000])
    assert.equal(handled.length, 5)
  })

  it('settled() waits through failed attempts until the delivery, or answers pending when its time is up', async () => {
    const receiver = await side('receiver')
    const sender = await side('sender')
    await sender.host.dial(receiver.host.addresses()[0]!)
    let failuresLeft = 1
    behaviour = () => {
      if (failuresLeft-- > 0) throw new Error('not now')
    }
    const retry = once(sender.outbox, 'message:retry')
    const id = await sender.outbox.enqueue(receiver.host.nodeId, 'note', note(sender, 'eventually'))
    const settled = sender.outbox.settled(id, 10_000)
    const [event] = (await retry) as [CustomEvent<{ delayMs: number }>]
    // The first attempt failed; the wait goes on to the next one, due within its time.
    sender.clock.advance(event.detail.delayMs)
    assert.equal(await settled, 'delivered')

    // One that the peer never takes in time: pending once the timeout passes on the clock.
    failuresLeft = Number.POSITIVE_INFINITY
    const retryAgain = once(sender.outbox, 'message:retry')
    const stuck = await sender.outbox.enqueue(receiver.host.nodeId, 'note', note(sender, 'never'))
    const startedAt = sender.clock.now()
    const waiting = sender.outbox.settled(stuck, 500)
    await retryAgain
    assert.ok(sender.clock.pending().includes(startedAt + 500))
    sender.clock.advance(500)
    assert.equal(await waiting, 'pending')
    assert.equal(await sender.outbox.settled('no-such-message', 1000), 'pending')
  })

  it('keeps what is pending across a restart and delivers as soon as the peer connects', async () => {
    const receiverKey = NodeKey.random()
    const senderKey = NodeKey.random()
    let sender = await side('sender', senderKey)
    const receiverId: NodeId = receiverKey.nodeId
    const firstRetry = once(sender.outbox, 'message:retry')
    const id = await sender.outbox.enqueue(receiverId, 'note', note(sender, 'while you were away'))
    await firstRetry // the receiver is not there
    await close(sender)

    // A record nobody can read is set aside; the rest loads.
    const db: Db = new Level(join(dir, 'sender'), { valueEncoding: 'json' })
    await db.open()
    await db.put('outbox:m:0000000000000000', { garbage: true })
    await db.close()

    sender = await side('sender', senderKey)
    assert.deepEqual(
      sender.outbox.pending(receiverId).map(m => m.id),
      [id]
    )
    await once(sender.outbox, 'message:retry') // tried at start, still not there
    const delivered = once(sender.outbox, 'message:delivered')
    const next = sender.outbox.nextAttempt(id, 60_000)
    const receiver = await side('receiver', receiverKey)
    const timeBefore = sender.clock.now()
    await receiver.host.dial(sender.host.addresses()[0]!)
    assert.equal(await next, 'delivered')
    const [event] = (await delivered) as [CustomEvent]
    assert.equal(event.detail.id, id)
    assert.equal(sender.clock.now(), timeBefore, 'delivered on connect, not on a backoff tick')
    assert.equal(handled.length, 1)
    assert.equal((handled[0]!.payload as { text: string }).text, 'while you were away')
    assert.deepEqual(await storedKeys(sender.db, 'm'), [], 'nothing pending is left')
    assert.deepEqual(await sender.db.get('~quarantine:outbox:m:0000000000000000'), { garbage: true }, 'the unreadable record is set aside, untouched')
  })

  it('refuses past its caps and oversized messages before writing anything', async () => {
    const sender = await side('sender', NodeKey.random(), { maxPendingPerPeer: 2, maxPending: 3 })
    const [x, y, z] = [NodeKey.random().nodeId, NodeKey.random().nodeId, NodeKey.random().nodeId]
    // Concurrent calls cannot pass the cap together.
    const results = await Promise.allSettled([1, 2, 3, 4, 5].map(async n => await sender.outbox.enqueue(x, 'note', note(sender, `x${n}`))))
    assert.equal(results.filter(r => r.status === 'fulfilled').length, 2)
    for (const r of results.filter(r => r.status === 'rejected')) {
      assert.ok(r.reason instanceof OutboxError && r.reason.code === 'CapacityExceeded', String(r.reason))
      assert.match(r.reason.message, /2 messages already wait/)
    }
    await sender.outbox.enqueue(y, 'note', note(sender, 'y'))
    const alongside = [{ type: 'put' as const, key: 'state:z', value: 'closed' }]
    await assert.rejects(
      sender.outbox.enqueue(z, 'note', note(sender, 'z'), { alongside }),
      (err: unknown) => err instanceof OutboxError && err.code === 'CapacityExceeded' && /3 messages/.test(err.message)
    )
    await assert.rejects(
      sender.outbox.enqueue(y, 'note', note(sender, 'big'.repeat(30_000)), { alongside }),
      (err: unknown) => err instanceof OutboxError && err.code === 'PayloadTooLarge'
    )
    await assert.rejects(sender.outbox.enqueue(y, 'Bad Kind', note(sender, 'y')), (err: unknown) => err instanceof OutboxError && err.code === 'BadRequest')
    assert.equal(await sender.db.get('state:z'), undefined, 'the caller’s own write is not made either')
    assert.equal((await storedKeys(sender.db, 'm')).length, 3)
    assert.equal(sender.outbox.pending().length, 3)
    assert.equal(sender.outbox.pending(x).length, 2)
  })
})
