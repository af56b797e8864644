// An agreement's change and the event that tells of it: one batch on disk,
// the event collectable before anyone waiting on the agreement wakes, and
// events collectable in date order whatever order their batches land in.
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Store } from '../../daemon/index.ts'
import type { Sublevel } from '../../daemon/store/store.ts'
import { AgreementBook } from '../../market/agreements/agreement-book.ts'
import type { AgreementRecord } from '../../market/agreements/agreement-book.ts'
import { AgreementEventLog } from '../../market/agreements/agreement-event-log.ts'
import { newMarketId } from '../../market/ids.ts'
import { MarketStore } from '../../market/store/market-store.ts'
import type { StoreOp } from '../../net/index.ts'
import { ManualClock } from '../helpers/manual-clock.ts'

const NODE = `0x${'1'.repeat(40)}`

function agreement(state: AgreementRecord['state'] = 'Pending'): AgreementRecord {
  const now = new Date().toISOString()
  const terms = { properties: {}, constraints: '', timestamp: now }
  return {
    agreementId: newMarketId(),
    role: 'Requestor',
    state,
    counterpartyId: NODE,
    terms: {
      agreementId: newMarketId(),
      demand: { demandId: newMarketId(), requestorId: NODE, ...terms },
      offer: { offerId: newMarketId(), providerId: NODE, ...terms },
      demandProposalId: newMarketId(),
      offerProposalId: newMarketId(),
      validTo: new Date(Date.now() + 3_600_000).toISOString(),
      timestamp: now
    }
  }
}

describe('agreement events: written with their change, collectable in date order', () => {
  let dir: string
  let store: Store
  let db: Sublevel
  const clock = new ManualClock()
  let batches: StoreOp[][]
  let failNextBatch: boolean
  let market: MarketStore
  let book: AgreementBook
  let events: AgreementEventLog

  /** The market's slice, with its batches watched (and, when a test says so, failing as a full disk would). */
  function open(maxKept = 10_000): void {
    const watched = new Proxy(db, {
      get(target, name, receiver) {
        if (name === 'batch') {
          return async (ops: StoreOp[], options?: { sync?: boolean }) => {
            if (failNextBatch) {
              failNextBatch = false
              throw Object.assign(new Error('No space left on device'), { code: 'ENOSPC' })
            }
            batches.push(ops)
            await target.batch(ops as never, options as never)
          }
        }
        const member = Reflect.get(target, name, receiver)
        return typeof member === 'function' ? member.bind(target) : member
      }
    })
    market = new MarketStore(watched)
    book = new AgreementBook(market, clock)
    events = new AgreementEventLog(market, clock, maxKept)
  }

  /** The books as a restarted node loads them from disk. */
  async function reopen(): Promise<void> {
    open()
    await book.load()
    await events.load()
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agora-agreement-events-'))
    store = await Store.open(join(dir, 'db'))
    db = store.sublevel('market')
    batches = []
    failNextBatch = false
    open()
  })
  afterEach(async () => {
    await store.close()
    await rm(dir, { recursive: true, force: true })
  })

  async function eventKeys(): Promise<string[]> {
    const keys: string[] = []
    for await (const key of (db as unknown as { keys: (range: object) => AsyncIterable<string> }).keys({ gte: 'event:', lt: 'event;' })) keys.push(key)
    return keys
  }
  const approved = (record: AgreementRecord) => ({ eventType: 'AgreementApprovedEvent' as const, agreementId: record.agreementId })
  const collected = async () => (await events.collect({ afterMs: 0, maxEvents: 100, timeoutMs: 0 })).map(e => e.agreementId)

  it('writes the record and its event in one batch, and a waiter on the record wakes to find the event there', async () => {
    const record = agreement()
    await book.put(record)
    let seenOnWake: string[] | undefined
    const waiting = book.waitForChange(record.agreementId, 60_000).then(async () => {
      seenOnWake = await collected()
    })
    batches = []
    await book.put({ ...record, state: 'Approved' }, events.stage(approved(record)))
    await waiting
    assert.deepEqual(seenOnWake, [record.agreementId])
    assert.equal(batches.length, 1)
    assert.deepEqual(
      batches[0]!.map(op => op.key.split(':')[0]),
      ['agreement', 'event']
    )
    await reopen()
    assert.equal(book.get(record.agreementId)?.state, 'Approved')
    assert.deepEqual(await collected(), [record.agreementId])
  })

  it('a batch that fails writes neither, shows no event, and holds back none staged after it', async () => {
    const first = agreement()
    const second = agreement()
    await book.put(first)
    failNextBatch = true
    await assert.rejects(book.put({ ...first, state: 'Approved' }, events.stage(approved(first))), /disk of this node is full/)
    assert.equal(book.get(first.agreementId)?.state, 'Pending')
    assert.deepEqual(await collected(), [])
    await book.put({ ...second, state: 'Approved' }, events.stage(approved(second)))
    assert.deepEqual(await collected(), [second.agreementId])
    await reopen()
    assert.equal(book.get(first.agreementId)?.state, 'Pending')
    assert.deepEqual(await collected(), [second.agreementId])
  })

  it('an event whose batch lands first waits for one staged before it, so no client paging by date skips one', async () => {
    const [early, late] = [agreement(), agreement()]
    const earlyEvent = events.stage(approved(early))
    const lateEvent = events.stage(approved(late))
    await market.batch(lateEvent.ops)
    lateEvent.commit()
    assert.deepEqual(await collected(), [], 'the later event is held while the earlier one is written')
    const waiting = events.collect({ afterMs: 0, maxEvents: 100, timeoutMs: 60_000 })
    await market.batch(earlyEvent.ops)
    earlyEvent.commit()
    assert.deepEqual(
      (await waiting).map(e => e.agreementId),
      [early.agreementId, late.agreementId]
    )
  })

  it('keeps the newest events only, deleting the others from disk with a later batch', async () => {
    open(2)
    const records = [agreement(), agreement(), agreement(), agreement()]
    for (const record of records) {
      clock.advance(1)
      await book.put({ ...record, state: 'Approved' }, events.stage(approved(record)))
    }
    assert.deepEqual(await collected(), [records[2]!.agreementId, records[3]!.agreementId])
    // The fourth batch deleted the first; the second goes with the next.
    assert.equal((await eventKeys()).length, 3)
    open(2)
    await events.load()
    assert.deepEqual(await collected(), [records[2]!.agreementId, records[3]!.agreementId])
    const fifth = agreement()
    await book.put({ ...fifth, state: 'Approved' }, events.stage(approved(fifth)))
    // Loading set the second aside for deletion, and this batch deleted it.
    const kept = (await eventKeys()).map(key => JSON.stringify(key))
    assert.equal(kept.length, 3)
    assert.deepEqual(await collected(), [records[3]!.agreementId, fifth.agreementId])
  })
})
