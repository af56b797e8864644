import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, it } from 'mocha'
import { Store } from '../../daemon/store/store.ts'
import type { OutboxDb } from '../../net/index.ts'
import { PaymentError } from '../../payment/index.ts'
import { Ledger } from '../../payment/ledger/index.ts'
import { EventLog } from '../../payment/ledger/event-log.ts'
import type { StoredDebitNote, StoredInvoice } from '../../payment/ledger/index.ts'
import { ManualClock } from '../helpers/manual-clock.ts'

const PLATFORM = 'erc20-dev-tglm'
const PAYER = `0x${'a'.repeat(40)}`
const PAYEE = `0x${'b'.repeat(40)}`
const AGREEMENT = 'agreement-1'
const HOUR = 3_600_000

function debitNote(id: string, activityId: string, amount: bigint, timestamp: number, role: 'Requestor' | 'Provider' = 'Requestor'): StoredDebitNote {
  return {
    kind: 'debit-note',
    role,
    status: role === 'Requestor' ? 'RECEIVED' : 'ISSUED',
    document: {
      debitNoteId: id,
      activityId,
      agreementId: AGREEMENT,
      issuerId: PAYEE,
      recipientId: PAYER,
      payeeAddr: PAYEE,
      payerAddr: PAYER,
      paymentPlatform: PLATFORM,
      timestamp,
      totalAmountDue: amount.toString(),
      usageCounterVector: [1, 2]
    }
  }
}

function invoice(id: string, amount: bigint, timestamp: number, role: 'Requestor' | 'Provider' = 'Requestor'): StoredInvoice {
  return {
    kind: 'invoice',
    role,
    status: role === 'Requestor' ? 'RECEIVED' : 'ISSUED',
    document: {
      invoiceId: id,
      activityIds: ['act-1', 'act-2'],
      agreementId: AGREEMENT,
      issuerId: PAYEE,
      recipientId: PAYER,
      payeeAddr: PAYEE,
      payerAddr: PAYER,
      paymentPlatform: PLATFORM,
      timestamp,
      amount: amount.toString(),
      paymentDueDate: timestamp + HOUR
    }
  }
}

function code(expected: string): (err: unknown) => boolean {
  return err => err instanceof PaymentError && err.code === expected
}

describe('payment ledger: allocations, documents, events', () => {
  let dir: string
  let store: Store
  let clock: ManualClock
  let ledger: Ledger

  async function openLedger(): Promise<Ledger> {
    const opened = new Ledger({ db: store.sublevel('payment') as unknown as OutboxDb, clock, appSessionOf: () => 'session-1' })
    await opened.open()
    return opened
  }

  async function reopen(): Promise<void> {
    ledger.close()
    await store.close()
    store = await Store.open(join(dir, 'db'))
    ledger = await openLedger()
  }

  async function allocate(total: bigint, balance = 10_000n, id = 'alloc-1'): Promise<void> {
    await ledger.createAllocation({
      allocationId: id,
      paymentPlatform: PLATFORM,
      address: PAYER,
      totalAmount: total,
      timeout: clock.now() + HOUR,
      makeDeposit: false,
      balance
    })
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agora-ledger-'))
    store = await Store.open(join(dir, 'db'))
    clock = new ManualClock()
    ledger = await openLedger()
  })

  afterEach(async () => {
    ledger.close()
    await store.close()
    await rm(dir, { recursive: true, force: true })
  })

  describe('allocations', () => {
    it('must be covered by the balance minus the other live allocations', async () => {
      await allocate(600n, 1000n, 'a')
      await assert.rejects(allocate(401n, 1000n, 'b'), code('Conflict'))
      assert.deepEqual(
        ledger.allocations.list().map(a => a.allocationId),
        ['a']
      )
      await allocate(400n, 1000n, 'b')
      await ledger.releaseAllocation('a')
      await allocate(600n, 1000n, 'c')
      assert.throws(() => ledger.allocations.get('a'), code('Gone'))
    })

    it('are amended within the balance, never below what they spent', async () => {
      await allocate(100n, 150n)
      await ledger.receive(debitNote('dn-1', 'act-1', 80n, clock.now()))
      await ledger.accept('dn-1', 80n, 'alloc-1')
      await assert.rejects(
        ledger.amendAllocation('alloc-1', { totalAmount: 79n }, async () => 150n),
        code('Conflict')
      )
      // What it spent has left the balance: what remains must be covered by what the balance holds now.
      await assert.rejects(
        ledger.amendAllocation('alloc-1', { totalAmount: 181n }, async () => 100n),
        code('Conflict')
      )
      assert.equal(ledger.allocations.get('alloc-1').totalAmount, 100n)
      const amended = await ledger.amendAllocation('alloc-1', { totalAmount: 180n }, async () => 100n)
      assert.equal(amended.remainingAmount, 100n)
    })

    it('are released at their timeout on the clock, and stay released after a restart', async () => {
      await allocate(100n)
      clock.advance(HOUR - 1)
      assert.equal(ledger.allocations.get('alloc-1').totalAmount, 100n)
      clock.advance(1)
      assert.throws(() => ledger.allocations.get('alloc-1'), code('Gone'))
      await ledger.idle()
      await reopen()
      assert.throws(() => ledger.allocations.get('alloc-1'), code('Gone'))
      // Released: it no longer holds anything against the balance.
      await allocate(10_000n, 10_000n, 'alloc-2')
    })

    it('refuse accepting beyond what remains, and nothing changes', async () => {
      await allocate(100n)
      await ledger.receive(debitNote('dn-1', 'act-1', 101n, clock.now()))
      await assert.rejects(ledger.accept('dn-1', 101n, 'alloc-1'), code('Conflict'))
      assert.equal(ledger.documents.debitNoteRecord('dn-1').status, 'RECEIVED')
      assert.equal(ledger.allocations.get('alloc-1').spentAmount, 0n)
      await reopen()
      assert.equal(ledger.documents.debitNoteRecord('dn-1').status, 'RECEIVED')
      assert.equal(ledger.allocations.get('alloc-1').spentAmount, 0n)
      assert.deepEqual(
        (await ledger.events.debitNoteEvents({ timeoutMs: 0, maxEvents: 10 })).map(e => e.eventType),
        ['DebitNoteReceivedEvent']
      )
    })

    it('refuse a document of another platform', async () => {
      await ledger.createAllocation({
        allocationId: 'other',
        paymentPlatform: 'erc20-holesky-tglm',
        address: PAYER,
        totalAmount: 100n,
        timeout: clock.now() + HOUR,
        makeDeposit: false,
        balance: 100n
      })
      await ledger.receive(debitNote('dn-1', 'act-1', 1n, clock.now()))
      await assert.rejects(ledger.accept('dn-1', 1n, 'other'), code('BadRequest'))
    })
  })

  describe('documents', () => {
    it('spend only what each acceptance adds: cumulative per activity, per agreement for the invoice', async () => {
      await allocate(1000n)
      await ledger.receive(debitNote('dn-1', 'act-1', 100n, clock.now()))
      await ledger.receive(debitNote('dn-2', 'act-2', 50n, clock.now() + 1))
      await ledger.receive(debitNote('dn-3', 'act-1', 130n, clock.now() + 2))
      assert.equal((await ledger.accept('dn-1', 100n, 'alloc-1')).cumulative, 100n)
      assert.equal((await ledger.accept('dn-2', 50n, 'alloc-1')).cumulative, 150n)
      assert.equal((await ledger.accept('dn-3', 130n, 'alloc-1')).cumulative, 180n)
      assert.equal(ledger.allocations.get('alloc-1').spentAmount, 180n)
      await ledger.receive(invoice('inv-1', 200n, clock.now() + 3))
      assert.equal((await ledger.accept('inv-1', 200n, 'alloc-1')).cumulative, 200n)
      assert.equal(ledger.allocations.get('alloc-1').spentAmount, 200n)
    })

    it('never pay twice for a debit note arriving after the invoice', async () => {
      await allocate(1000n)
      await ledger.receive(debitNote('dn-1', 'act-1', 100n, clock.now()))
      await ledger.accept('dn-1', 100n, 'alloc-1')
      await ledger.receive(invoice('inv-1', 300n, clock.now() + 1))
      await ledger.accept('inv-1', 300n, 'alloc-1')
      await ledger.receive(debitNote('dn-2', 'act-1', 250n, clock.now() + 2))
      const late = await ledger.accept('dn-2', 250n, 'alloc-1')
      assert.equal(late.cumulative, 300n)
      assert.equal(ledger.allocations.get('alloc-1').spentAmount, 300n)
    })

    it('keep a document received twice once, with one event; a different one under its id is Conflict', async () => {
      assert.equal(await ledger.receive(debitNote('dn-1', 'act-1', 100n, clock.now())), true)
      assert.equal(await ledger.receive(debitNote('dn-1', 'act-1', 100n, clock.now())), false)
      await assert.rejects(ledger.receive(debitNote('dn-1', 'act-1', 101n, clock.now())), code('Conflict'))
      assert.equal((await ledger.events.debitNoteEvents({ timeoutMs: 0, maxEvents: 10 })).length, 1)
      assert.equal(ledger.documents.debitNoteRecord('dn-1').document.totalAmountDue, '100')
    })

    it('take one invoice per agreement', async () => {
      await ledger.receive(invoice('inv-1', 10n, clock.now()))
      await assert.rejects(ledger.receive(invoice('inv-2', 10n, clock.now())), code('Conflict'))
    })

    it('pay only the excess of a later debit note above an accepted invoice', async () => {
      await allocate(1000n)
      await ledger.receive(invoice('inv-1', 300n, clock.now()))
      await ledger.accept('inv-1', 300n, 'alloc-1')
      await ledger.receive(debitNote('dn-1', 'act-1', 200n, clock.now() + 1))
      await ledger.receive(debitNote('dn-2', 'act-2', 150n, clock.now() + 2))
      assert.equal((await ledger.accept('dn-1', 200n, 'alloc-1')).cumulative, 300n)
      assert.equal((await ledger.accept('dn-2', 150n, 'alloc-1')).cumulative, 350n)
      assert.equal(ledger.allocations.get('alloc-1').spentAmount, 350n)
    })

    it('refuse an invoice below what was accepted', async () => {
      await allocate(1000n)
      await ledger.receive(debitNote('dn-1', 'act-1', 100n, clock.now()))
      await ledger.accept('dn-1', 100n, 'alloc-1')
      await assert.rejects(ledger.receive(invoice('inv-1', 99n, clock.now() + 1)), code('BadRequest'))
      assert.throws(() => ledger.documents.invoiceRecord('inv-1'), code('NotFound'))
    })

    it('accept again with the same amount as a no-op, another amount Conflict, an amount not the document’s BadRequest', async () => {
      await allocate(1000n)
      await ledger.receive(debitNote('dn-1', 'act-1', 100n, clock.now()))
      await assert.rejects(ledger.accept('dn-1', 99n, 'alloc-1'), code('BadRequest'))
      assert.equal((await ledger.accept('dn-1', 100n, 'alloc-1')).changed, true)
      assert.equal((await ledger.accept('dn-1', 100n, 'alloc-1')).changed, false)
      await assert.rejects(ledger.accept('dn-1', 101n, 'alloc-1'), code('BadRequest'))
      assert.equal(ledger.allocations.get('alloc-1').spentAmount, 100n)
      await ledger.settled(AGREEMENT, 'Requestor', 100n)
      assert.equal(ledger.documents.debitNoteRecord('dn-1').status, 'SETTLED')
      assert.equal((await ledger.accept('dn-1', 100n, 'alloc-1')).changed, false)
    })

    it('accept a REJECTED document later', async () => {
      await allocate(1000n)
      await ledger.receive(debitNote('dn-1', 'act-1', 100n, clock.now()))
      await ledger.reject('dn-1', { rejectionReason: 'INCORRECT_AMOUNT', totalAmountAccepted: 80n, message: 'too much' }, async ops => {
        await (store.sublevel('payment') as unknown as OutboxDb).batch(ops, { sync: true })
      })
      assert.equal(ledger.documents.debitNoteRecord('dn-1').status, 'REJECTED')
      await ledger.accept('dn-1', 100n, 'alloc-1')
      const record = ledger.documents.debitNoteRecord('dn-1')
      assert.equal(record.status, 'ACCEPTED')
      assert.equal(record.rejection, undefined)
    })

    it('do not let the other role accept: a provider’s own copy is Forbidden', async () => {
      await allocate(1000n)
      await ledger.issue(debitNote('dn-1', 'act-1', 100n, clock.now(), 'Provider'), async ops => {
        await (store.sublevel('payment') as unknown as OutboxDb).batch(ops, { sync: true })
      })
      await assert.rejects(ledger.accept('dn-1', 100n, 'alloc-1'), code('Forbidden'))
      assert.equal(await ledger.issuedAccepted('dn-1', 100n), true)
      assert.equal(await ledger.issuedAccepted('dn-1', 100n), false)
      assert.deepEqual(await ledger.settled(AGREEMENT, 'Provider', 99n), [])
      assert.deepEqual(await ledger.settled(AGREEMENT, 'Provider', 100n), ['dn-1'])
    })

    it('keep what was accepted across a restart, and what was not yet sent', async () => {
      await allocate(1000n)
      await ledger.receive(debitNote('dn-1', 'act-1', 100n, clock.now()))
      await ledger.accept('dn-1', 100n, 'alloc-1')
      await reopen()
      assert.deepEqual(
        ledger.unsent().map(r => r.document.agreementId),
        [AGREEMENT]
      )
      await ledger.markSent('dn-1', async ops => {
        await (store.sublevel('payment') as unknown as OutboxDb).batch(ops, { sync: true })
      })
      await reopen()
      assert.deepEqual(ledger.unsent(), [])
      assert.equal(ledger.allocations.get('alloc-1').spentAmount, 100n)
      assert.equal(ledger.documents.debitNoteRecord('dn-1').status, 'ACCEPTED')
    })

    it('set a bad record aside when loading, keep it, and load the rest', async () => {
      await ledger.receive(debitNote('dn-1', 'act-1', 100n, clock.now()))
      const db = store.sublevel('payment') as unknown as OutboxDb
      await db.batch([{ type: 'put', key: 'doc:dn-bad', value: { kind: 'debit-note', document: { totalAmountDue: '-1' } } }], { sync: true })
      await reopen()
      assert.equal(ledger.documents.debitNoteRecord('dn-1').status, 'RECEIVED')
      assert.throws(() => ledger.documents.debitNoteRecord('dn-bad'), code('NotFound'))
      assert.notEqual(await (store.sublevel('payment') as unknown as OutboxDb).get('~quarantine:doc:dn-bad'), undefined)
    })
  })

  describe('invoice mandates', () => {
    function mandate(maxAmount: bigint, extra: { sourceAllocationId?: string; expiresAt?: number; paymentPlatform?: string } = {}) {
      return ledger.createMandate({
        agreementId: AGREEMENT,
        maxAmount,
        allocationId: 'mandate-alloc',
        sourceAllocationId: extra.sourceAllocationId ?? 'alloc-1',
        paymentPlatform: extra.paymentPlatform ?? PLATFORM,
        expiresAt: extra.expiresAt ?? clock.now() + HOUR
      })
    }

    it('carve what the invoice may add out of the source allocation in one batch, which a restart keeps', async () => {
      await allocate(1000n)
      await ledger.receive(debitNote('dn-1', 'act-1', 100n, clock.now()))
      await ledger.accept('dn-1', 100n, 'alloc-1')
      const { mandate: made, created } = await mandate(250n)
      assert.equal(created, true)
      assert.equal(made.maxAmount, 250n)
      assert.equal(made.sourceAllocationId, 'alloc-1')
      assert.equal(made.outcome, undefined)
      assert.equal(ledger.allocations.get('alloc-1').totalAmount, 850n, 'lowered by the 150 the invoice may add')
      assert.equal(ledger.allocations.get('alloc-1').spentAmount, 100n)
      const carved = ledger.allocations.get('mandate-alloc')
      assert.equal(carved.totalAmount, 150n)
      assert.equal(carved.timeout, clock.now() + HOUR)
      // What the allocations hold against the balance is unchanged.
      assert.equal(ledger.allocations.reserved(PLATFORM, PAYER), 900n)
      await reopen()
      assert.equal(ledger.mandate(AGREEMENT)?.maxAmount, 250n)
      assert.equal(ledger.allocations.get('alloc-1').totalAmount, 850n)
      assert.equal(ledger.allocations.get('mandate-alloc').totalAmount, 150n)
      // The invoice is accepted from the carved allocation, which pays only what it adds.
      await ledger.receive(invoice('inv-1', 240n, clock.now()))
      await ledger.accept('inv-1', 240n, 'mandate-alloc')
      assert.equal(ledger.allocations.get('mandate-alloc').spentAmount, 140n)
      await ledger.mandateAnswered(AGREEMENT, 'inv-1', 'accepted')
      await reopen()
      assert.deepEqual(ledger.mandate(AGREEMENT)?.outcome, { invoiceId: 'inv-1', answer: 'accepted', at: clock.now() })
    })

    it('take the same mandate again as a no-op, and refuse another, one below what was accepted, beyond the allocation, after the invoice was answered, or of another platform; nothing changes', async () => {
      await allocate(1000n)
      await ledger.receive(debitNote('dn-1', 'act-1', 100n, clock.now()))
      await ledger.accept('dn-1', 100n, 'alloc-1')
      await assert.rejects(mandate(99n), code('BadRequest'))
      await assert.rejects(mandate(1001n), code('Conflict'), 'needs 901 of the 900 left')
      await assert.rejects(mandate(200n, { expiresAt: clock.now() }), code('BadRequest'))
      await assert.rejects(mandate(200n, { sourceAllocationId: 'missing' }), code('NotFound'))
      await assert.rejects(mandate(200n, { paymentPlatform: 'erc20-holesky-tglm' }), code('BadRequest'))
      assert.equal(ledger.mandate(AGREEMENT), undefined)
      assert.equal(ledger.allocations.get('alloc-1').totalAmount, 1000n)
      assert.throws(() => ledger.allocations.get('mandate-alloc'), code('NotFound'))

      assert.equal((await mandate(1000n)).created, true, 'all that is left: 900')
      assert.equal((await mandate(1000n)).created, false)
      await assert.rejects(mandate(500n), code('Conflict'))
      assert.equal(ledger.allocations.get('alloc-1').totalAmount, 100n)
      assert.equal(ledger.allocations.get('mandate-alloc').totalAmount, 900n)
    })

    it('refuse one for an invoice answered already', async () => {
      await allocate(1000n)
      await ledger.receive(invoice('inv-1', 40n, clock.now()))
      await ledger.accept('inv-1', 40n, 'alloc-1')
      await assert.rejects(mandate(100n), code('Conflict'))
      assert.equal(ledger.allocations.get('alloc-1').totalAmount, 1000n)
    })

    it('give the carved allocation the mandate’s end: released at it on the clock', async () => {
      await allocate(1000n)
      await mandate(300n, { expiresAt: clock.now() + 1000 })
      clock.advance(1000)
      assert.throws(() => ledger.allocations.get('mandate-alloc'), code('Gone'))
      assert.equal(ledger.allocations.get('alloc-1').totalAmount, 700n)
    })
  })

  describe('events', () => {
    it('have strictly increasing dates, the app session, and resume after afterTimestamp', async () => {
      await ledger.receive(debitNote('dn-1', 'act-1', 1n, clock.now()))
      await ledger.receive(debitNote('dn-2', 'act-1', 2n, clock.now()))
      await ledger.receive(invoice('inv-1', 2n, clock.now()))
      const notes = await ledger.events.debitNoteEvents({ timeoutMs: 0, maxEvents: 10 })
      const invoices = await ledger.events.invoiceEvents({ timeoutMs: 0, maxEvents: 10 })
      const dates = [...notes, ...invoices].map(e => e.eventDate)
      assert.deepEqual(dates, [clock.now(), clock.now() + 1, clock.now() + 2])
      assert.ok(notes.every(e => e.appSessionId === 'session-1'))
      const after = await ledger.events.debitNoteEvents({ timeoutMs: 0, maxEvents: 10, afterTimestamp: notes[0]!.eventDate })
      assert.deepEqual(
        after.map(e => e.debitNoteId),
        ['dn-2']
      )
      assert.deepEqual(await ledger.events.debitNoteEvents({ timeoutMs: 0, maxEvents: 10, appSessionId: 'another' }), [])
      await reopen()
      await ledger.receive(debitNote('dn-3', 'act-1', 3n, clock.now()))
      const all = await ledger.events.debitNoteEvents({ timeoutMs: 0, maxEvents: 10 })
      assert.equal(all.at(-1)!.eventDate, clock.now() + 3)
    })

    it('long-poll until an event, the timeout (answering []) or the signal', async () => {
      const waiting = ledger.events.debitNoteEvents({ timeoutMs: 60_000, maxEvents: 10 })
      await ledger.receive(debitNote('dn-1', 'act-1', 1n, clock.now()))
      assert.deepEqual(
        (await waiting).map(e => e.debitNoteId),
        ['dn-1']
      )
      const after = (await ledger.events.debitNoteEvents({ timeoutMs: 0, maxEvents: 1 }))[0]!.eventDate
      const timingOut = ledger.events.debitNoteEvents({ timeoutMs: 5_000, maxEvents: 10, afterTimestamp: after })
      clock.advance(5_000)
      assert.deepEqual(await timingOut, [])
      const abort = new AbortController()
      const aborted = ledger.events.invoiceEvents({ timeoutMs: 60_000, maxEvents: 10, signal: abort.signal })
      abort.abort()
      assert.deepEqual(await aborted, [])
      // The aborted wait left no timer behind.
      assert.deepEqual(clock.pending(), [])
    })

    it('become visible in date order whatever order their batches land in; a failed one holds none back', async () => {
      const log = new EventLog(clock)
      const note = (documentId: string) => log.prepare({ kind: 'debit-note', eventType: 'DebitNoteReceivedEvent', documentId })
      const [first, second, third] = [note('dn-1'), note('dn-2'), note('dn-3')]
      third.commit()
      assert.deepEqual(await log.debitNoteEvents({ timeoutMs: 0, maxEvents: 10 }), [], 'held while those before it are written')
      first.commit()
      second.abandon()
      const seen = await log.debitNoteEvents({ timeoutMs: 0, maxEvents: 10 })
      assert.deepEqual(
        seen.map(e => e.debitNoteId),
        ['dn-1', 'dn-3']
      )
      assert.ok(seen[0]!.eventDate < seen[1]!.eventDate)
    })
  })
})
