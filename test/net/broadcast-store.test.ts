import assert from 'node:assert/strict'
import { messageHash } from '../../net/broadcast/announcement.ts'
import { EntryStore } from '../../net/broadcast/entry-store.ts'
import { differingBuckets } from '../../net/broadcast/summary-index.ts'
import { NodeKey, signEnvelope } from '../../net/index.ts'
import type { StoreLimits, StoredEntry, Tombstone } from '../../net/broadcast/entry-store.ts'

const alice = NodeKey.random()
const bob = NodeKey.random()

function entry(key: NodeKey, id: string, expiresAt = Date.now() + 60_000): StoredEntry<{ id: string }> {
  return { id, signer: key.nodeId, payload: { id }, expiresAt, envelope: signEnvelope(key, 'test.toy', { id }), messageBytes: 200, hash: `e-${id}`, addedAt: 0 }
}

/** Limits by count only: the byte bound and the floor out of the way. */
function counted(maxEntries: number, maxPerSigner: number): StoreLimits {
  return { maxEntries, maxPerSigner, maxBytes: 1 << 30, signerFloorBytes: 0, establishedAfterMs: 0 }
}

function tombstone(key: NodeKey, id: string, expiresAt = Date.now() + 60_000): Tombstone {
  return {
    id,
    signer: key.nodeId,
    expiresAt,
    envelope: signEnvelope(key, 'test.toy.retract', { topic: 'toys', id, expiresAt }),
    messageBytes: 200,
    hash: `t-${id}`
  }
}

describe('broadcast entry store', () => {
  it('keeps one entry per id, within the total and per-signer limits', () => {
    const store = new EntryStore<{ id: string }>({ ...counted(3, 2), maxBytes: 600 })
    assert.equal(store.add(entry(alice, 'a1'), 0).outcome, 'added')
    assert.equal(store.add(entry(alice, 'a1'), 0).outcome, 'duplicate')
    assert.equal(store.add(entry(bob, 'a1'), 0).outcome, 'conflict')
    assert.equal(store.add(entry(alice, 'a2'), 0).outcome, 'added')
    assert.equal(store.add(entry(alice, 'a3'), 0).outcome, 'signer_full')
    assert.equal(store.add(entry(bob, 'b1'), 0).outcome, 'added')
    assert.equal(store.add(entry(bob, 'b2'), 0).outcome, 'full')
    assert.equal(store.size, 3)
  })

  it("a retraction removes the entry and keeps it from coming back; another signer's does not", () => {
    const store = new EntryStore<{ id: string }>(counted(10, 10))
    store.add(entry(alice, 'x'), 0)
    assert.equal(store.retract(tombstone(bob, 'x')).outcome, 'remembered')
    assert.ok(store.get('x') !== undefined)
    const { outcome, removed } = store.retract(tombstone(alice, 'x'))
    assert.equal(outcome, 'retracted')
    assert.equal(removed?.id, 'x')
    assert.equal(store.add(entry(alice, 'x'), 0).outcome, 'retracted')
    assert.equal(store.retract(tombstone(alice, 'x')).outcome, 'duplicate')
    // A retraction that comes before its entry still wins.
    store.retract(tombstone(alice, 'y'))
    assert.equal(store.add(entry(alice, 'y'), 0).outcome, 'retracted')
  })

  it('sweeps expired entries and tombstones', () => {
    const store = new EntryStore<{ id: string }>(counted(10, 10))
    const now = Date.now()
    store.add(entry(alice, 'old', now + 10), 0)
    store.add(entry(alice, 'new', now + 10_000), 0)
    store.retract(tombstone(alice, 'gone', now + 10))
    assert.deepEqual(
      store.sweep(now + 20).map(e => e.id),
      ['old']
    )
    assert.equal(store.tombstoneCount, 0)
    assert.equal(store.size, 1)
    // The per-signer count went down with it.
    assert.equal(store.add(entry(alice, 'old'), 0).outcome, 'added')
  })

  it('pages the summary in a stable order, entries and tombstones alike', () => {
    const store = new EntryStore<{ id: string }>(counted(100, 100))
    for (let i = 0; i < 25; i++) store.add(entry(alice, `e${String(i).padStart(2, '0')}`), 0)
    for (let i = 0; i < 5; i++) store.retract(tombstone(bob, `t${i}`))
    const seen: string[] = []
    let after: string | undefined
    let pages = 0
    do {
      const page = store.summary(after, 7)
      seen.push(...page.items.map(item => `${item.kind}:${item.id}`))
      after = page.next
      pages++
    } while (after !== undefined)
    assert.equal(pages, 5)
    assert.equal(seen.length, 30)
    assert.equal(new Set(seen).size, 30)
    assert.equal(seen.filter(s => s.startsWith('tombstone:')).length, 5)
  })

  it('keeps the summary up to date through adds, retractions and sweeps, and its fingerprint with it', () => {
    const store = new EntryStore<{ id: string }>(counted(100, 100))
    const now = Date.now()
    const all = (): string[] =>
      store
        .summary(undefined, 1000)
        .items.map(item => `${item.kind}:${item.id}`)
        .sort()
    const empty = store.digest()
    assert.deepEqual(empty, { count: 0, total: '0'.repeat(16) })
    for (const id of ['m', 'c', 'x']) store.add(entry(alice, id), 0)
    const three = store.digest()
    store.add(entry(alice, 'short', now + 10), 0)
    store.retract(tombstone(alice, 'b', now + 10))
    assert.deepEqual(all(), ['entry:c', 'entry:m', 'entry:short', 'entry:x', 'tombstone:b'])
    assert.equal(store.digest().count, 5)
    store.sweep(now + 20)
    // What expired is out of the summary, and the fingerprint is what it was before it came.
    assert.deepEqual(all(), ['entry:c', 'entry:m', 'entry:x'])
    assert.deepEqual(store.digest(), three)
    store.add(entry(alice, 'a'), 0)
    store.retract(tombstone(alice, 'm'))
    assert.deepEqual(all(), ['entry:a', 'entry:c', 'entry:x', 'tombstone:m'])
    // Paging across a change: from the cursor on, nothing twice and nothing that stayed missed.
    const first = store.summary(undefined, 2)
    assert.ok(first.next !== undefined)
    store.add(entry(alice, 'late'), 0)
    const rest = store.summary(first.next, 1000)
    const paged = [...first.items, ...rest.items].map(item => `${item.kind}:${item.id}`)
    assert.equal(new Set(paged).size, paged.length)
    for (const item of ['entry:a', 'entry:c', 'entry:x', 'tombstone:m']) assert.ok(paged.includes(item), item)
  })

  it('two stores holding the same items have the same fingerprints, whatever order they came in; one item apart, one bucket differs', () => {
    const items = Array.from({ length: 300 }, (_, i) => entry(alice, `item-${i}`))
    const hashed = items.map(item => ({ ...item, hash: messageHash(new TextEncoder().encode(item.id)) }))
    const forward = new EntryStore<{ id: string }>(counted(1000, 1000))
    const backward = new EntryStore<{ id: string }>(counted(1000, 1000))
    for (const item of hashed) forward.add(item, 0)
    for (const item of [...hashed].reverse()) backward.add(item, 0)
    assert.deepEqual(forward.digest(), backward.digest())
    // In the form the sync protocol carries (unsigned hex).
    assert.match(forward.digest().total, /^[0-9a-f]{16}$/)
    assert.match(forward.bucketFingerprints(), /^[0-9a-f]{4096}$/)
    assert.equal(forward.bucketFingerprints(), backward.bucketFingerprints())
    const extra = { ...entry(alice, 'one more'), hash: messageHash(new TextEncoder().encode('one more')) }
    forward.add(extra, 0)
    assert.notEqual(forward.digest().total, backward.digest().total)
    const differ = differingBuckets(forward.bucketFingerprints(), backward.bucketFingerprints())
    assert.equal(differ.length, 1)
    assert.deepEqual(
      forward
        .summary(undefined, 500, differ[0])
        .items.filter(item => backward.get(item.id) === undefined)
        .map(item => item.id),
      ['one more']
    )
    // The bucket's page holds that bucket alone, far fewer than the store.
    assert.ok(forward.summary(undefined, 500, differ[0]).items.length < 20)
  })

  describe('byte bound and eviction order', () => {
    const relayerA = NodeKey.random().nodeId
    const relayerB = NodeKey.random().nodeId
    const honestRelayer = NodeKey.random().nodeId
    let n = 0
    /** An entry of `bytes` from a fresh signer (keys are free), handed over by `relayer` at `addedAt`. */
    function relayed(relayer: string | undefined, bytes: number, addedAt: number, signer = NodeKey.random()): StoredEntry<{ id: string }> {
      const id = `r${++n}`
      const stored: StoredEntry<{ id: string }> = { ...entry(signer, id), messageBytes: bytes, addedAt }
      if (relayer !== undefined) stored.relayer = relayer as StoredEntry<{ id: string }>['signer']
      return stored
    }
    const limits = (overrides: Partial<StoreLimits> = {}): StoreLimits => ({
      maxEntries: 1000,
      maxPerSigner: 100,
      maxBytes: 1000,
      signerFloorBytes: 0,
      establishedAfterMs: 60_000,
      ...overrides
    })

    it('a flood from one relayer stops at the byte bound; its newest goes first when an honest entry comes', () => {
      const store = new EntryStore<{ id: string }>(limits())
      const flood = Array.from({ length: 8 }, (_, i) => relayed(relayerA, 200, i))
      const outcomes = flood.map(e => store.add(e, 100).outcome)
      // Five fit; then the flooder's own newcomer would be the first to go, so it is refused.
      assert.deepEqual(outcomes, ['added', 'added', 'added', 'added', 'added', 'full', 'full', 'full'])
      assert.equal(store.bytes, 1000)
      const honest = relayed(honestRelayer, 300, 200)
      const { outcome, evicted } = store.add(honest, 200)
      assert.equal(outcome, 'added')
      // Room for 300 bytes: the flooder's two newest, newest first.
      assert.deepEqual(
        evicted.map(e => e.id),
        [flood[4]!.id, flood[3]!.id]
      )
      assert.ok(store.bytes <= 1000)
      assert.equal(store.bytes, 900)
      assert.equal(store.bytesFrom(relayerA), 600)
      assert.ok(store.get(honest.id) !== undefined)
      for (const gone of evicted) assert.equal(store.get(gone.id), undefined)
      // The summary no longer names what was evicted.
      assert.deepEqual(new Set(store.summary(undefined, 100).items.map(item => item.id)), new Set([flood[0]!.id, flood[1]!.id, flood[2]!.id, honest.id]))
    })

    it('the relayer with the worst standing goes first, then the heaviest', () => {
      const standing = new Map([[relayerB, -50]])
      const store = new EntryStore<{ id: string }>(limits({ standingOf: relayer => standing.get(relayer) ?? 0 }))
      const fromA = [relayed(relayerA, 200, 1), relayed(relayerA, 200, 2), relayed(relayerA, 200, 3)]
      const fromB = [relayed(relayerB, 200, 4)]
      for (const e of [...fromA, ...fromB]) assert.equal(store.add(e, 10).outcome, 'added')
      // Needs 200 bytes: B is lighter than A but stands worse.
      assert.deepEqual(
        store.add(relayed(honestRelayer, 400, 11), 11).evicted.map(e => e.id),
        [fromB[0]!.id]
      )
      // B has nothing left: the heaviest (A) gives its newest.
      assert.deepEqual(
        store.add(relayed(honestRelayer, 100, 12), 12).evicted.map(e => e.id),
        [fromA[2]!.id]
      )
    })

    it("never evicts the node's own entries, nor an established signer below its floor", () => {
      const store = new EntryStore<{ id: string }>(limits({ signerFloorBytes: 400, establishedAfterMs: 1000 }))
      const provider = NodeKey.random()
      const own = relayed(undefined, 200, 0)
      // An honest provider's offers, relayed long ago by the same node that now floods.
      const established = [relayed(relayerA, 200, 0, provider), relayed(relayerA, 200, 0, provider)]
      for (const e of [own, ...established]) assert.equal(store.add(e, 0).outcome, 'added')
      const now = 5000
      const flood = [relayed(relayerA, 200, now), relayed(relayerA, 200, now)]
      for (const e of flood) assert.equal(store.add(e, now).outcome, 'added')
      assert.equal(store.bytes, 1000)
      // A newcomer from elsewhere takes the flood's room, not the established offers or our own.
      const first = store.add(relayed(honestRelayer, 200, now), now)
      const second = store.add(relayed(honestRelayer, 200, now), now)
      assert.deepEqual(
        [...first.evicted, ...second.evicted].map(e => e.id),
        [flood[1]!.id, flood[0]!.id]
      )
      // Now only protected entries are left outside the honest relayer: its own newcomer would go first, so it is refused.
      assert.equal(store.add(relayed(honestRelayer, 200, now), now).outcome, 'full')
      for (const kept of [own, ...established]) assert.ok(store.get(kept.id) !== undefined)
      // The provider's next offer would take it past its floor: not protected, and the first of its
      // relayer's account to go, so it is refused and nothing changes.
      const before = store.bytes
      assert.equal(store.add(relayed(relayerA, 200, now, provider), now).outcome, 'full')
      assert.equal(store.bytes, before)
    })

    it('the count bound evicts in the same order as the byte bound', () => {
      const store = new EntryStore<{ id: string }>(limits({ maxEntries: 3, maxBytes: 1 << 20 }))
      const flood = [relayed(relayerA, 10, 1), relayed(relayerA, 10, 2), relayed(relayerA, 10, 3)]
      for (const e of flood) store.add(e, 5)
      const { outcome, evicted } = store.add(relayed(honestRelayer, 10, 6), 6)
      assert.equal(outcome, 'added')
      assert.deepEqual(
        evicted.map(e => e.id),
        [flood[2]!.id]
      )
      assert.equal(store.size, 3)
    })

    it('an entry larger than the whole bound is refused and changes nothing', () => {
      const store = new EntryStore<{ id: string }>(limits())
      store.add(relayed(relayerA, 500, 0), 0)
      assert.equal(store.add(relayed(honestRelayer, 1001, 0), 0).outcome, 'full')
      assert.equal(store.bytes, 500)
      assert.equal(store.size, 1)
    })
  })
})
