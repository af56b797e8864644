import assert from 'node:assert/strict'
import type { Level } from 'level'
import type { RawRecordStore } from '../../net/index.ts'
import { batchIdOf, devWallet, documentsHashOf, PaymentError } from '../../payment/index.ts'
import type { AgreementTerms, SignedTransaction } from '../../payment/index.ts'
import { devChainFixture } from '../helpers/dev-chain.ts'
import { type DirectRig, directRig, freshPayees } from '../helpers/direct-payouts.ts'
import { ManualClock } from '../helpers/manual-clock.ts'
import { crashingStore } from '../helpers/crashing-store.ts'
import { eventually } from '../helpers/wait.ts'

const TOKEN = 10n ** 18n
const isCode = (code: string) => (err: unknown) => err instanceof PaymentError && err.code === code

describe('payment: the direct batch payer', function () {
  this.timeout(180_000)
  // An account of its own for each test.
  const fixture = devChainFixture({ accounts: 20 })
  let rig: DirectRig
  let db: Level<string, string>
  let account = 1

  before(async () => {
    rig = await directRig(fixture.provider, fixture.chain.rpcUrl)
  })
  after(async () => {
    await rig?.close()
  })
  beforeEach(async () => {
    db = await rig.database('payer')
  })
  afterEach(async () => {
    await fixture.provider.send('evm_setAutomine', [true])
  })

  /** A dev account of its own for each test, funded with tokens. */
  async function fundedAccount(amount = 1_000n * TOKEN): Promise<number> {
    const index = account++
    await rig.mint(devWallet(index).address, amount)
    return index
  }

  const payout = (documentId: string, payee: string, amount: bigint, agreementId = 'agreement-1') => ({
    documentId,
    agreementId,
    platform: rig.network.platform,
    payee,
    amount
  })

  it('refuses bad payouts with a clear error before anything is written; the same payout again changes nothing', async () => {
    const index = await fundedAccount()
    const { payer } = rig.payer(index, db as never)
    const [payee] = freshPayees(1) as [string]
    await assert.rejects(payer.enqueue({ ...payout('d-1', payee, 5n), platform: 'erc20-mainnet-glm' }), isCode('BadRequest'))
    await assert.rejects(payer.enqueue(payout('d-1', '0x1234', 5n)), isCode('BadRequest'))
    await assert.rejects(payer.enqueue(payout('d-1', payee, 0n)), isCode('BadRequest'))
    await assert.rejects(payer.enqueue(payout('d-1', payee, -1n)), isCode('BadRequest'))
    await assert.rejects(payer.enqueue(payout('d-1', payee, 1n << 96n)), isCode('BadRequest'))
    await assert.rejects(payer.enqueue(payout('d:1', payee, 5n)), isCode('BadRequest'))
    assert.deepEqual(await payer.queued(), [])

    await payer.enqueue(payout('d-1', payee, 5n))
    await payer.enqueue(payout('d-1', payee, 5n))
    await assert.rejects(payer.enqueue(payout('d-1', payee, 6n)), isCode('Conflict'))
    assert.deepEqual(
      (await payer.queued()).map(p => [p.documentId, p.amount]),
      [['d-1', '5']]
    )
  })

  it('every interval one batch: amounts to one payee summed, the batch id over the sorted documents, each payee confirmed', async () => {
    const index = await fundedAccount()
    const clock = new ManualClock(Date.now())
    const { payer, paid } = rig.payer(index, db as never, { clock, init: { directBatchIntervalMs: 5_000 } })
    await payer.start()
    const [a, b, c] = freshPayees(3) as [string, string, string]
    await payer.enqueue(payout('doc-3', a, 30n))
    await payer.enqueue(payout('doc-1', a, 12n, 'agreement-2'))
    await payer.enqueue(payout('doc-2', b, 7n))
    await payer.enqueue(payout('doc-5', c, 100n))
    await payer.enqueue(payout('doc-4', b, 1n))
    const nonceBefore = await fixture.provider.getTransactionCount(payer.address, 'latest')
    assert.equal(payer.nextBatchAt, clock.now() + 5_000)

    clock.advance(4_999)
    assert.equal(paid.length, 0, 'nothing is paid before the interval')
    clock.advance(1)
    await eventually('three payees confirmed', async () => paid.length === 3)

    const expectedId = batchIdOf(payer.address, rig.token, documentsHashOf(['doc-1', 'doc-2', 'doc-3', 'doc-4', 'doc-5'])).toLowerCase()
    assert.deepEqual(new Set(paid.map(p => p.batchId)), new Set([expectedId]))
    assert.equal(new Set(paid.map(p => p.txHash)).size, 1)
    const toA = paid.find(p => p.payee === a)!
    assert.deepEqual(
      toA.documents.map(d => [d.documentId, d.amount]),
      [
        ['doc-1', 12n],
        ['doc-3', 30n]
      ]
    )
    assert.deepEqual(toA.batchDocumentIds, ['doc-1', 'doc-2', 'doc-3', 'doc-4', 'doc-5'])
    assert.deepEqual([await rig.balanceOf(a), await rig.balanceOf(b), await rig.balanceOf(c)], [42n, 8n, 100n])
    assert.equal(await rig.contracts.token.paid(expectedId), true, 'the cheapest path (the token) recorded the batch')
    assert.equal(await fixture.provider.getTransactionCount(payer.address, 'latest'), nonceBefore + 1, 'one transaction')
    assert.deepEqual(await payer.queued(), [])

    // Paid documents stay paid: queued again, they are not paid twice.
    await payer.enqueue(payout('doc-3', a, 30n))
    assert.deepEqual(await payer.payNow(), [])
    assert.equal(await rig.balanceOf(a), 42n)
  })

  it('pays through the any-ERC20 payouts contract, approving it first', async () => {
    const index = await fundedAccount()
    const { payer, paid } = rig.payer(index, db as never, { init: { path: 'any-erc20' } })
    const [a, b] = freshPayees(2) as [string, string]
    await payer.enqueue(payout('e-1', a, 11n))
    await payer.enqueue(payout('e-2', b, 22n))
    const confirmations = await payer.payNow()
    assert.equal(confirmations.length, 2)
    assert.deepEqual(paid, confirmations)
    assert.deepEqual([await rig.balanceOf(a), await rig.balanceOf(b)], [11n, 22n])
    assert.equal(await rig.contracts.payouts.paid(confirmations[0]!.batchId), true)
    assert.equal(await rig.contracts.token.paid(confirmations[0]!.batchId), false)
    const receipt = await fixture.provider.getTransactionReceipt(confirmations[0]!.txHash)
    assert.equal(receipt?.to?.toLowerCase(), rig.payouts.toLowerCase())
  })

  it('splits batches at the payee limit and under the gas cap, each document paid once', async () => {
    const index = await fundedAccount()
    const byCount = rig.payer(index, db as never, { init: { maxPayeesPerBatch: 2 } })
    const payees = freshPayees(5)
    for (const [i, payee] of payees.entries()) await byCount.payer.enqueue(payout(`s-${i}`, payee, BigInt(i + 1)))
    const confirmations = await byCount.payer.payNow()
    assert.equal(new Set(confirmations.map(c => c.batchId)).size, 3)
    for (const [i, payee] of payees.entries()) assert.equal(await rig.balanceOf(payee), BigInt(i + 1))

    const db2 = await rig.database('payer-gas')
    const gasCap = 150_000n
    const byGas = rig.payer(index, db2 as never, { init: { gasCap } })
    const more = freshPayees(6)
    for (const [i, payee] of more.entries()) await byGas.payer.enqueue(payout(`g-${i}`, payee, 10n))
    const split = await byGas.payer.payNow()
    const hashes = [...new Set(split.map(c => c.txHash))]
    assert.ok(hashes.length >= 2, `split into ${hashes.length} transactions`)
    for (const hash of hashes) {
      const receipt = await fixture.provider.getTransactionReceipt(hash)
      assert.ok(receipt !== null && receipt.gasUsed <= gasCap, `a batch used ${receipt?.gasUsed} gas, above the cap`)
    }
    for (const payee of more) assert.equal(await rig.balanceOf(payee), 10n)
  })

  it('a batch that fails leaves its documents queued and emits failed; the next cycle pays them', async () => {
    const index = account++
    const { payer, failed, paid } = rig.payer(index, db as never)
    const [a] = freshPayees(1) as [string]
    await payer.enqueue(payout('f-1', a, 5n * TOKEN))
    assert.deepEqual(await payer.payNow(), [])
    assert.deepEqual(failed, [{ documentIds: ['f-1'], code: 'Conflict' }])
    assert.deepEqual(
      (await payer.queued()).map(p => p.documentId),
      ['f-1']
    )
    await rig.mint(devWallet(index).address, 5n * TOKEN)
    await payer.payNow()
    assert.equal(paid.length, 1)
    assert.equal(await rig.balanceOf(a), 5n * TOKEN)
  })

  it('a start whose recovery fails leaves the payer unstarted: the next start recovers and schedules the cycle', async () => {
    const index = await fundedAccount()
    let broken = true
    const store = db as unknown as RawRecordStore
    const failing: RawRecordStore = {
      iterator: options => {
        if (broken) throw new Error('the disk is unreadable')
        return store.iterator(options)
      },
      put: async (key, value, options) => await store.put(key, value, options),
      del: async (key, options) => await store.del(key, options)
    }
    const clock = new ManualClock(Date.now())
    const { payer, paid } = rig.payer(index, failing, { clock, init: { directBatchIntervalMs: 5_000 } })
    await assert.rejects(payer.start(), /the disk is unreadable/)
    assert.deepEqual(clock.pending(), [], 'no cycle is scheduled after a failed start')

    broken = false
    await payer.start()
    assert.deepEqual(clock.pending(), [clock.now() + 5_000], 'the second start schedules the cycle')
    const [a] = freshPayees(1) as [string]
    await payer.enqueue(payout('r-1', a, 9n))
    clock.advance(5_000)
    await eventually('the payout is paid by the scheduled cycle', async () => paid.length === 1)
    assert.equal(await rig.balanceOf(a), 9n)
  })

  it('settles accepted cumulative amounts: each document queues what earlier ones did not', async () => {
    const index = await fundedAccount()
    const { payer } = rig.payer(index, db as never)
    const [payee] = freshPayees(1) as [string]
    const terms: AgreementTerms = {
      agreementId: 'agr-c',
      platform: 'erc20-holesky-tglm',
      requester: devWallet(index).address.toLowerCase(),
      provider: payee,
      payee,
      mode: 'direct',
      expiresAt: Date.now() + 3_600_000,
      paymentTimeoutMs: 60_000
    }
    const proof = await payer.settleAccepted(terms, 'dn-1', 100n)
    assert.equal(proof.kind, 'direct')
    await payer.settleAccepted(terms, 'dn-2', 250n)
    await payer.settleAccepted(terms, 'dn-2', 250n)
    await payer.settleAccepted(terms, 'inv-1', 250n)
    await assert.rejects(payer.settleAccepted(terms, 'dn-3', 200n), isCode('Conflict'))
    assert.deepEqual(
      (await payer.queued()).map(p => [p.documentId, p.amount]),
      [
        ['dn-1', '100'],
        ['dn-2', '150']
      ]
    )
    await payer.payNow()
    assert.equal(await rig.balanceOf(payee), 250n)
    await payer.settleAccepted(terms, 'inv-2', 300n)
    assert.deepEqual(
      (await payer.queued()).map(p => [p.documentId, p.amount]),
      [['inv-2', '50']]
    )
  })

  it('a restart between journal and broadcast: paid exactly once (balances and paid[batchId] on chain)', async () => {
    const index = await fundedAccount()
    const crashing = crashingStore(db as never, key => key.includes(':tx:'))
    const before = rig.payer(index, crashing)
    const [a, b] = freshPayees(2) as [string, string]
    await before.payer.enqueue(payout('r-1', a, 70n))
    await before.payer.enqueue(payout('r-2', b, 80n))
    await before.payer.payNow()
    assert.equal(before.paid.length, 0)
    await before.payer.stop()
    await before.sender.stop()
    assert.equal(await rig.balanceOf(a), 0n)

    await db.close()
    await db.open()
    const after = rig.payer(index, db as never)
    await after.payer.start()
    const confirmations = await after.payer.payNow()
    assert.equal(confirmations.length, 2)
    assert.deepEqual([await rig.balanceOf(a), await rig.balanceOf(b)], [70n, 80n])
    assert.equal(await rig.contracts.token.paid(confirmations[0]!.batchId), true)
    assert.deepEqual(await after.payer.payNow(), [])
    assert.deepEqual([await rig.balanceOf(a), await rig.balanceOf(b)], [70n, 80n])
  })

  it('a restart between broadcast and receipt (automine off): the mined batch is found, never sent again', async () => {
    const index = await fundedAccount()
    const before = rig.payer(index, db as never)
    const broadcast: SignedTransaction[] = []
    before.sender.addEventListener('tx:broadcast', event => broadcast.push(event.detail))
    const [a] = freshPayees(1) as [string]
    await before.payer.enqueue(payout('b-1', a, 90n))
    await fixture.provider.send('evm_setAutomine', [false])
    const cycle = before.payer.payNow()
    await eventually('the batch broadcast', async () => broadcast.length > 0)
    await before.sender.stop()
    await before.payer.stop()
    await cycle
    assert.equal(before.paid.length, 0)
    await fixture.provider.send('evm_mine', [])

    await db.close()
    await db.open()
    const after = rig.payer(index, db as never)
    const again: SignedTransaction[] = []
    after.sender.addEventListener('tx:broadcast', event => again.push(event.detail))
    await after.payer.start()
    const confirmations = await after.payer.payNow()
    assert.equal(confirmations.length, 1)
    assert.equal(confirmations[0]!.txHash, broadcast[0]!.hash.toLowerCase())
    assert.deepEqual(again, [], 'nothing was sent after the restart')
    assert.equal(await rig.balanceOf(a), 90n)
    assert.equal(await rig.contracts.token.paid(confirmations[0]!.batchId), true)
  })

  it('with automine off, a batch dropped from the pool is replaced at higher fees and paid once', async () => {
    const index = await fundedAccount()
    const { payer, sender, paid } = rig.payer(index, db as never, { sender: { replaceAfterBlocks: 2 } })
    const sent: SignedTransaction[] = []
    sender.addEventListener('tx:broadcast', event => sent.push(event.detail))
    const [a, b] = freshPayees(2) as [string, string]
    await payer.enqueue(payout('x-1', a, 17n))
    await payer.enqueue(payout('x-2', b, 18n))
    await fixture.provider.send('evm_setAutomine', [false])
    const cycle = payer.payNow()
    const first = await eventually('the batch broadcast', async () => sent[0])
    await fixture.provider.send('anvil_dropTransaction', [first.hash])
    await eventually('a replacement', async () => {
      await fixture.provider.send('evm_mine', [])
      return sent.length > 1
    })
    assert.equal(sent[1]!.nonce, first.nonce)
    assert.ok(sent[1]!.fees.maxFeePerGas > first.fees.maxFeePerGas)
    await fixture.provider.send('evm_mine', [])
    const confirmations = await cycle
    assert.equal(confirmations.length, 2)
    assert.deepEqual(paid, confirmations)
    assert.equal(confirmations[0]!.txHash, sent[1]!.hash.toLowerCase())
    assert.deepEqual([await rig.balanceOf(a), await rig.balanceOf(b)], [17n, 18n])
    assert.equal(await rig.contracts.token.paid(confirmations[0]!.batchId), true)
  })

  it('a batch paid while the daemon was down is found by paid[batchId] and its event, not sent again', async () => {
    const index = await fundedAccount()
    // Killed right after the batch record was written, before any intent.
    const crashing = crashingStore(db as never, key => key.includes(':batch:'))
    const before = rig.payer(index, crashing)
    const [a] = freshPayees(1) as [string]
    await before.payer.enqueue(payout('p-1', a, 33n))
    await assert.rejects(before.payer.payNow(), /killed/)
    await before.payer.stop()
    await before.sender.stop()
    // The same batch paid by other means meanwhile (a second daemon with the key, say).
    const documentsHash = documentsHashOf(['p-1'])
    const word = (BigInt(a) << 96n) | 33n
    const paidElsewhere = await (await rig.contracts.token.connect(devWallet(index).connect(fixture.provider)).payBatch(documentsHash, [word])).wait()

    await db.close()
    await db.open()
    const after = rig.payer(index, db as never)
    const sent: SignedTransaction[] = []
    after.sender.addEventListener('tx:broadcast', event => sent.push(event.detail))
    await after.payer.start()
    const confirmations = await after.payer.payNow()
    assert.equal(confirmations.length, 1)
    assert.deepEqual(sent, [])
    assert.equal(await rig.balanceOf(a), 33n)
    assert.equal(confirmations[0]!.txHash, paidElsewhere.hash.toLowerCase())
  })
})
