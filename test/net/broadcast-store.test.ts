import assert from 'node:assert/strict'
import { EntryStore } from '../../net/broadcast/entry-store.ts'
import { NodeKey, signEnvelope } from '../../net/index.ts'
import type { StoredEntry, Tombstone } from '../../net/broadcast/entry-store.ts'

const alice = NodeKey.random()
const bob = NodeKey.random()

function entry (key: NodeKey, id: string, expiresAt = Date.now() + 60_000): StoredEntry<{ id: string }> {
  return { id, signer: key.nodeId, payload: { id }, expiresAt, envelope: signEnvelope(key, 'test.toy', { id }), messageBytes: 200 }
}

function tombstone (key: NodeKey, id: string, expiresAt = Date.now() + 60_000): Tombstone {
  return { id, signer: key.nodeId, expiresAt, envelope: signEnvelope(key, 'test.toy.retract', { topic: 'toys', id, expiresAt }), messageBytes: 200 }
}

describe('broadcast entry store', () => {
  it('keeps one entry per id, within the total and per-signer limits', () => {
    const store = new EntryStore<{ id: string }>({ maxEntries: 3, maxPerSigner: 2 })
    assert.equal(store.add(entry(alice, 'a1')), 'added')
    assert.equal(store.add(entry(alice, 'a1')), 'duplicate')
    assert.equal(store.add(entry(bob, 'a1')), 'conflict')
    assert.equal(store.add(entry(alice, 'a2')), 'added')
    assert.equal(store.add(entry(alice, 'a3')), 'full')
    assert.equal(store.add(entry(bob, 'b1')), 'added')
    assert.equal(store.add(entry(bob, 'b2')), 'full')
    assert.equal(store.size, 3)
  })

  it('a retraction removes the entry and keeps it from coming back; another signer\'s does not', () => {
    const store = new EntryStore<{ id: string }>({ maxEntries: 10, maxPerSigner: 10 })
    store.add(entry(alice, 'x'))
    assert.equal(store.retract(tombstone(bob, 'x')).outcome, 'remembered')
    assert.ok(store.get('x') !== undefined)
    const { outcome, removed } = store.retract(tombstone(alice, 'x'))
    assert.equal(outcome, 'retracted')
    assert.equal(removed?.id, 'x')
    assert.equal(store.add(entry(alice, 'x')), 'retracted')
    assert.equal(store.retract(tombstone(alice, 'x')).outcome, 'duplicate')
    // A retraction that comes before its entry still wins.
    store.retract(tombstone(alice, 'y'))
    assert.equal(store.add(entry(alice, 'y')), 'retracted')
  })

  it('sweeps expired entries and tombstones', () => {
    const store = new EntryStore<{ id: string }>({ maxEntries: 10, maxPerSigner: 10 })
    const now = Date.now()
    store.add(entry(alice, 'old', now + 10))
    store.add(entry(alice, 'new', now + 10_000))
    store.retract(tombstone(alice, 'gone', now + 10))
    assert.deepEqual(store.sweep(now + 20).map(e => e.id), ['old'])
    assert.equal(store.tombstoneCount, 0)
    assert.equal(store.size, 1)
    // The per-signer count went down with it.
    assert.equal(store.add(entry(alice, 'old')), 'added')
  })

  it('pages the summary in a stable order, entries and tombstones alike', () => {
    const store = new EntryStore<{ id: string }>({ maxEntries: 100, maxPerSigner: 100 })
    for (let i = 0; i < 25; i++) store.add(entry(alice, `e${String(i).padStart(2, '0')}`))
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

  it('keeps the summary order up to date through adds, retractions and sweeps', () => {
    const store = new EntryStore<{ id: string }>({ maxEntries: 100, maxPerSigner: 100 })
    const now = Date.now()
    const all = (): string[] => store.summary(undefined, 1000).items.map(item => `${item.kind}:${item.id}`)
    for (const id of ['m', 'c', 'x']) store.add(entry(alice, id))
    store.add(entry(alice, 'short', now + 10))
    // Tombstones sort by signer first: one signer keeps their order plain.
    store.retract(tombstone(alice, 'b', now + 10))
    assert.deepEqual(all(), ['entry:c', 'entry:m', 'entry:short', 'entry:x', 'tombstone:b'])
    store.add(entry(alice, 'a'))
    store.retract(tombstone(alice, 'm'))
    assert.deepEqual(all(), ['entry:a', 'entry:c', 'entry:short', 'entry:x', 'tombstone:b', 'tombstone:m'])
    store.sweep(now + 20)
    assert.deepEqual(all(), ['entry:a', 'entry:c', 'entry:x', 'tombstone:m'])
    // Paging after a change starts right after the cursor.
    assert.deepEqual(store.summary('ec', 2).items.map(item => item.id), ['x', 'm'])
  })
})
