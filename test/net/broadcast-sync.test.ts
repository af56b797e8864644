// Anti-entropy between stores of more than one page of ids: fingerprints
// first, then the ids of the buckets that differ, then the bodies wanted.
import assert from 'node:assert/strict'
import { NetHost, NodeKey } from '../../net/index.ts'
import type { Broadcast, EntryRefused } from '../../net/index.ts'
import { gossipBytes, toy, toyTopic } from '../helpers/toy-topic.ts'
import type { Toy } from '../helpers/toy-topic.ts'
import { waitFor } from '../helpers/wait.ts'

// More than one page of ids (500), so that buckets are compared.
const ENTRIES = 601

describe('broadcast sync by fingerprints', function () {
  this.timeout(120_000)
  const hosts: NetHost[] = []

  /** A host carrying the topic, with no periodic sync (beyond the one at connect, each sync here is asked for). */
  async function start(
    maxPerSigner: number,
    bootstrap: string[] = [],
    relayerBudget?: { bytesPerSecond: number; burstBytes: number }
  ): Promise<{ host: NetHost; toys: Broadcast<typeof Toy>; refused: EntryRefused[]; ops: Array<{ to: string; op: string }> }> {
    const host = new NetHost({
      key: NodeKey.random(),
      bootstrap,
      broadcast: { resyncIntervalMs: 0, ...(relayerBudget === undefined ? {} : { relayerBudget }) }
    })
    hosts.push(host)
    const toys = host.broadcast(toyTopic('many', 'test.toy', { maxEntries: 2000, maxPerSigner }))
    const refused: EntryRefused[] = []
    toys.addEventListener('entry:refused', event => {
      refused.push(event.detail)
    })
    // The sync requests this host makes, by op.
    const ops: Array<{ to: string; op: string }> = []
    const request = host.request.bind(host)
    host.request = (async (definition: never, to: string, body: { op?: string }) => {
      if (typeof body?.op === 'string') ops.push({ to, op: body.op })
      return await request(definition, to as never, body as never)
    }) as typeof host.request
    await host.start()
    return { host, toys, refused, ops }
  }

  after(async () => {
    await Promise.all(hosts.splice(0).map(async host => await host.stop()))
  })

  /** The ops of one sync of `node` with `from` that ran (not one skipped because a sync with that node was under way). */
  async function syncOps(node: Awaited<ReturnType<typeof start>>, from: NetHost): Promise<{ ops: string[]; taken: number }> {
    for (;;) {
      node.ops.length = 0
      const taken = await node.toys.syncWith(from.nodeId)
      const ops = node.ops.filter(sent => sent.to === from.nodeId).map(sent => sent.op)
      if (ops.length > 0) return { ops, taken }
      await new Promise(resolve => setImmediate(resolve))
    }
  }

  it('stores alike exchange one fingerprint; one entry apart, only its bucket is listed', async () => {
    const source = await start(1000)
    const published = Array.from({ length: ENTRIES }, (_, i) => toy(`many ${i}`))
    for (const payload of published) await source.toys.publish(payload)

    // Takes all but the last, which its limit per signer refuses.
    const short = await start(ENTRIES - 1, source.host.addresses())
    await syncOps(short, source.host)
    await waitFor(
      'all but one taken in, the last refused',
      () => short.toys.entries().length === ENTRIES - 1 && short.refused.some(r => r.reason === 'signer_full')
    )
    const again = await syncOps(short, source.host)
    assert.deepEqual(again.ops, ['digest', 'digest', 'ids', 'bodies'], 'the whole fingerprint, the buckets, one bucket of ids, the one body')
    assert.equal(again.taken, 0)

    // Alone with the source: no sync with the other copy can mix its requests into these.
    await short.host.stop()
    const whole = await start(1000, source.host.addresses())
    await waitFor('a full copy', async () => {
      await syncOps(whole, source.host)
      return whole.toys.entries().length === ENTRIES
    })
    assert.deepEqual((await syncOps(whole, source.host)).ops, ['digest'])
  })

  it("waits for the peer's byte budget to refill between batches, and takes everything in one sync, none refused", async () => {
    const source = await start(1000)
    const published = Array.from({ length: 150 }, (_, i) => toy(`budgeted ${i}`))
    for (const payload of published) await source.toys.publish(payload)
    // Each as the broadcast weighs it: the bytes of its message.
    const sizes = source.toys.entries().map(entry => gossipBytes('entry', entry.envelope).byteLength)
    const bytes = sizes.reduce((sum, size) => sum + size, 0)
    const batch = Math.max(...sizes) * 64
    // Room for one batch of 64 (and one entry at most, 16 KiB), refilled at a batch a second: the later two batches wait.
    const budget = { bytesPerSecond: batch, burstBytes: Math.max(16 * 1024, batch) }
    assert.ok(budget.burstBytes < bytes / 2, `${budget.burstBytes} of ${bytes}`)
    const late = await start(1000, source.host.addresses(), budget)
    // The sync at connect alone (no periodic one): it goes on after each wait rather than stopping.
    await waitFor('all taken in at connect', () => late.toys.entries().length === published.length, 30_000)
    assert.deepEqual(
      late.refused.filter(r => r.reason === 'relayer_budget'),
      []
    )
    assert.equal(late.ops.filter(sent => sent.to === source.host.nodeId && sent.op === 'bodies').length, 3)
  })
})
