import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Store } from '../../daemon/index.ts'
import { statusOf } from '../../net/index.ts'
import { MarketError } from '../../market/errors.ts'
import { ProposalBook } from '../../market/negotiation/proposal-book.ts'
import type { ProposalRecord } from '../../market/negotiation/proposal-book.ts'
import { MarketStore } from '../../market/store/market-store.ts'

// Ids as the market makes them (64 hex digits), so that the stored records load again.
const hexId = (seed: string): string => createHash('sha256').update(seed).digest('hex')

function record(proposalId: string): ProposalRecord {
  return {
    proposalId,
    issuerId: '0x0000000000000000000000000000000000000001',
    own: false,
    state: 'Initial',
    timestamp: new Date().toISOString(),
    expiresAt: Date.now() + 60_000,
    properties: {},
    constraints: '()',
    subscriptionId: hexId('sub'),
    offerId: hexId('offer'),
    demandId: hexId('demand'),
    counterpartyId: '0x0000000000000000000000000000000000000002'
  }
}

describe('proposal book limits', () => {
  let dir: string
  let store: Store

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agora-proposals-'))
    store = await Store.open(join(dir, 'db'))
  })
  after(async () => {
    await store?.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('a full book refuses a new proposal with CapacityExceeded (503), before writing it', async () => {
    const db = store.sublevel('market')
    const book = new ProposalBook(new MarketStore(db as never), 2)
    await book.put(record('p1'))
    await book.put(record('p2'))
    await assert.rejects(book.put(record('p3')), (err: unknown) => {
      assert.ok(err instanceof MarketError, String(err))
      assert.equal(err.code, 'CapacityExceeded')
      assert.equal(statusOf(err.code), 503)
      return true
    })
    // A held proposal may still change; the refused one was never stored.
    await book.put({ ...record('p1'), state: 'Rejected' })
    const reloaded = new ProposalBook(new MarketStore(db as never), 2)
    await reloaded.load()
    assert.equal(reloaded.size, 2)
    assert.equal(reloaded.has('p3'), false)
  })
})
