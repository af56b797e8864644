// The audit log in LevelDB: entries chained by hash, appended one at a time
// even when many come at once, kept across a restart, and every kind of
// tampering (an entry edited, removed, reordered; the last one removed) found
// by verify() after editing the database directly.
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AuditLog } from '../../custody/index.ts'
import type { AuditDb, AuditEntry } from '../../custody/index.ts'
import { entryHash, GENESIS_HASH } from '../../custody/audit/chain-hash.ts'
import { Store } from '../../daemon/store/store.ts'
import type { Sublevel } from '../../daemon/store/store.ts'
import { ManualClock } from '../helpers/manual-clock.ts'

const key = (seq: number): string => `e:${String(seq).padStart(16, '0')}`

describe('custody audit: the hash-chained log', function () {
  this.timeout(60_000)
  let dir: string
  let store: Store
  let db: Sublevel
  let log: AuditLog
  const clock = new ManualClock(Date.parse('2027-03-10T12:00:00Z'))

  const open = async (): Promise<void> => {
    store = await Store.open(join(dir, 'db'))
    db = store.sublevel('custody').sublevel('audit', { valueEncoding: 'json' }) as unknown as Sublevel
    log = new AuditLog({ db: db as unknown as AuditDb, clock })
    await log.open()
  }
  const appendSome = async (n: number): Promise<AuditEntry[]> => {
    const entries: AuditEntry[] = []
    for (let i = 0; i < n; i++) {
      clock.advance(1000)
      entries.push(await log.append({ kind: 'decision', dataset: 'patients', allow: i % 2 === 0, reasons: [{ rule: 'requesters', message: `#${i}` }] }))
    }
    return entries
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agora-audit-'))
    await open()
  })
  afterEach(async () => {
    await store.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('each entry links to the one before by its hash; the chain verifies, also after a restart, and goes on from where it was', async () => {
    const entries = await appendSome(3)
    assert.deepEqual(
      entries.map(e => e.seq),
      [1, 2, 3]
    )
    assert.equal(entries[0]!.prev, GENESIS_HASH)
    assert.equal(entries[1]!.prev, entries[0]!.hash)
    assert.equal(entries[2]!.hash, entryHash(entries[2]!))
    assert.equal(entries[0]!.at, '2027-03-10T12:00:01.000Z')
    assert.deepEqual(await log.verify(), { ok: true, entries: 3 })
    await store.close()
    await open()
    const [fourth] = await appendSome(1)
    assert.equal(fourth!.seq, 4)
    assert.equal(fourth!.prev, entries[2]!.hash)
    assert.deepEqual(await log.verify(), { ok: true, entries: 4 })
    assert.deepEqual(await log.list(), [...entries, fourth])
  })

  it('an empty log verifies', async () => {
    assert.deepEqual(await log.verify(), { ok: true, entries: 0 })
  })

  it('list filters by dataset, kind and requester, and gives the newest `limit` oldest first', async () => {
    await log.append({ kind: 'policy-loaded', dataset: 'a', detail: { sha3: 'x' } })
    await log.append({ kind: 'decision', dataset: 'a', requesterId: '0xAB', allow: true })
    await log.append({ kind: 'decision', dataset: 'b', requesterId: '0xcd', allow: false })
    await log.append({ kind: 'decision', dataset: 'a', requesterId: '0xcd', allow: false })
    assert.deepEqual(
      (await log.list({ dataset: 'a' })).map(e => e.seq),
      [1, 2, 4]
    )
    assert.deepEqual(
      (await log.list({ kind: 'decision', limit: 2 })).map(e => e.seq),
      [3, 4]
    )
    assert.deepEqual(
      (await log.list({ requesterId: '0xab' })).map(e => e.seq),
      [2]
    )
  })

  it('concurrent appends get one seq each, in one unbroken chain', async () => {
    const entries = await Promise.all(Array.from({ length: 50 }, (_, i) => log.append({ kind: 'run', dataset: 'patients', detail: { i } })))
    assert.deepEqual(
      entries.map(e => e.seq).sort((a, b) => a - b),
      Array.from({ length: 50 }, (_, i) => i + 1)
    )
    assert.equal(new Set(entries.map(e => e.hash)).size, 50)
    assert.deepEqual(await log.verify(), { ok: true, entries: 50 })
  })

  it('an edited entry breaks the chain at that entry', async () => {
    await appendSome(5)
    const third = (await db.get(key(3))) as AuditEntry
    await db.put(key(3), { ...third, allow: !third.allow })
    assert.deepEqual(await log.verify(), { ok: false, entries: 2, brokenAt: 3 })
  })

  it('an edited entry whose hash is computed again still breaks the link of the next one', async () => {
    await appendSome(5)
    const third = (await db.get(key(3))) as AuditEntry
    const { hash: _hash, ...rest } = { ...third, reasons: [] }
    await db.put(key(3), { ...rest, hash: entryHash(rest) })
    assert.deepEqual(await log.verify(), { ok: false, entries: 3, brokenAt: 4 })
  })

  it('a removed entry breaks the chain where it was', async () => {
    await appendSome(5)
    await db.del(key(2))
    assert.deepEqual(await log.verify(), { ok: false, entries: 1, brokenAt: 2 })
  })

  it('two entries swapped break the chain at the first of them', async () => {
    await appendSome(5)
    const [second, fourth] = [await db.get(key(2)), await db.get(key(4))]
    await db.batch([
      { type: 'put', key: key(2), value: fourth },
      { type: 'put', key: key(4), value: second }
    ])
    assert.deepEqual(await log.verify(), { ok: false, entries: 1, brokenAt: 2 })
  })

  it('the last entry removed is found by the head', async () => {
    await appendSome(5)
    await db.del(key(5))
    assert.deepEqual(await log.verify(), { ok: false, entries: 4, brokenAt: 5 })
  })
})
