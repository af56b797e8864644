import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DURABLE, Store } from '../../daemon/index.ts'
import type { Sublevel } from '../../daemon/store/store.ts'
import { newMarketId } from '../../market/ids.ts'
import { ProposalBook } from '../../market/negotiation/proposal-book.ts'
import type { ProposalRecord } from '../../market/negotiation/proposal-book.ts'
import { MarketStore } from '../../market/store/market-store.ts'
import { loadEach, QUARANTINE_PREFIX } from '../../net/index.ts'
import type { BadRecord } from '../../net/index.ts'

function proposal(subscriptionId: string): ProposalRecord {
  return {
    proposalId: newMarketId(),
    issuerId: `0x${'1'.repeat(40)}`,
    own: false,
    state: 'Initial',
    timestamp: new Date().toISOString(),
    expiresAt: Date.now() + 60_000,
    properties: {},
    constraints: '',
    subscriptionId,
    offerId: newMarketId(),
    demandId: subscriptionId,
    counterpartyId: `0x${'1'.repeat(40)}`
  }
}

describe('stored records: loaded one at a time, capacity held under concurrency', () => {
  let dir: string
  let store: Store
  let db: Sublevel

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agora-store-load-'))
    store = await Store.open(join(dir, 'db'))
    db = store.sublevel('market')
  })
  afterEach(async () => {
    await store.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('loadEach keeps the good records, sets the bad aside as they were, and reports each by key', async () => {
    await db.put('a:1', { ok: 1 })
    await db.put('a:2', 'not an object at all', { valueEncoding: 'utf8' })
    await db.put('a:3', { ok: 3 })
    await db.put('a:4', { wrong: true })
    const bad: BadRecord[] = []
    const loaded = await loadEach({
      store: db,
      parse: value => {
        if (typeof (value as { ok?: unknown }).ok !== 'number') throw new Error('no ok')
        return value as { ok: number }
      },
      onBad: record => {
        bad.push(record)
      }
    })
    assert.deepEqual(
      loaded.map(({ key, record }) => [key, record.ok]),
      [
        ['a:1', 1],
        ['a:3', 3]
      ]
    )
    assert.deepEqual(
      bad.map(b => [b.key, b.quarantinedAs]),
      [
        ['a:2', `${QUARANTINE_PREFIX}a:2`],
        ['a:4', `${QUARANTINE_PREFIX}a:4`]
      ]
    )
    assert.match(bad[0]!.reason, /JSON/)
    assert.equal(await db.get(`${QUARANTINE_PREFIX}a:2`, { valueEncoding: 'utf8' }), 'not an object at all')
    assert.equal(await db.get('a:2'), undefined)
    // A second load sees only the good ones, and sets nothing more aside.
    const again = await loadEach({
      store: db,
      parse: value => value,
      onBad: record => {
        bad.push(record)
      }
    })
    assert.equal(again.length, 2)
    assert.equal(bad.length, 2)
  })

  it('a full proposal book refuses exactly what is past its capacity, however many write at once', async () => {
    const book = new ProposalBook(new MarketStore(db), 10)
    const subscriptionId = newMarketId()
    const outcomes = await Promise.allSettled(
      Array.from({ length: 30 }, async () => {
        await book.put(proposal(subscriptionId))
      })
    )
    assert.equal(outcomes.filter(o => o.status === 'fulfilled').length, 10)
    assert.equal(book.size, 10)
    let stored = 0
    for await (const _ of db.keys({ gte: 'proposal:', lt: 'proposal;' })) stored++
    assert.equal(stored, 10)
  })

  it('writes subscriptions and agreements with sync, so an acknowledged one survives a crash of the machine', async () => {
    // The real sublevel, with the options of each write noted on the way through.
    const writes: Array<[string, boolean]> = []
    const noting = new Proxy(db, {
      get(target, name, receiver) {
        if (name === 'put') {
          return async (key: string, value: unknown, options?: { sync?: boolean }) => {
            writes.push([key.split(':')[0]!, options?.sync === true])
            await target.put(key, value, options?.sync === true ? DURABLE : {})
          }
        }
        const member = Reflect.get(target, name, receiver)
        return typeof member === 'function' ? member.bind(target) : member
      }
    })
    const market = new MarketStore(noting)
    for (const kind of ['offer', 'demand', 'agreement', 'proposal', 'event'] as const) await market.put(kind, newMarketId(), { kind })
    assert.deepEqual(writes, [
      ['offer', true],
      ['demand', true],
      ['agreement', true],
      ['proposal', false],
      ['event', false]
    ])
  })
})
