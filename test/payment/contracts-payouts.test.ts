import assert from 'node:assert/strict'
import { parseEther, Wallet } from 'ethers'
import { CodedError } from '../../net/index.ts'
import { batchIdOf, documentsHashOf, MAX_BATCH, packPayment, unpackPayment } from '../../payment/index.ts'
import { type Deployed, deployAll, type LiveContract, mined, type Party, party, revertsWith } from '../helpers/contracts.ts'
import { devChainFixture } from '../helpers/dev-chain.ts'

const isBadRequest = (err: unknown): boolean => err instanceof CodedError && err.code === 'BadRequest'

describe('payment contracts: packed payout words and batch ids', () => {
  it('packs payee << 96 | amount and unpacks it again', () => {
    const payee = Wallet.createRandom().address
    const word = packPayment({ payee, amount: 2n ** 96n - 1n })
    assert.equal(word >> 96n, BigInt(payee))
    assert.deepEqual(unpackPayment(word), { payee, amount: 2n ** 96n - 1n })
  })

  it('refuses amounts that are not positive or do not fit 96 bits, and a payee that is no address', () => {
    const payee = Wallet.createRandom().address
    assert.throws(() => packPayment({ payee, amount: 0n }), isBadRequest)
    assert.throws(() => packPayment({ payee, amount: -1n }), isBadRequest)
    assert.throws(() => packPayment({ payee, amount: 2n ** 96n }), isBadRequest)
    assert.throws(() => packPayment({ payee: '0x1234', amount: 1n }), isBadRequest)
  })

  it('hashes a set of document ids whatever their order, and refuses none or a repeated one', () => {
    assert.equal(documentsHashOf(['b', 'a', 'c']), documentsHashOf(['c', 'b', 'a']))
    assert.notEqual(documentsHashOf(['a', 'b']), documentsHashOf(['a', 'b', 'c']))
    assert.throws(() => documentsHashOf([]), isBadRequest)
    assert.throws(() => documentsHashOf(['a', 'b', 'a']), isBadRequest)
  })
})

describe('payment contracts: batch payouts (on the dev chain)', function () {
  this.timeout(120_000)
  const fixture = devChainFixture()
  let payer: Party
  let c: Deployed
  let documentNo = 0

  const as = (contract: LiveContract, who: Party): LiveContract => contract.connect(who.signer)
  const payees = (n: number): string[] => Array.from({ length: n }, () => Wallet.createRandom().address)
  const documents = (): string => documentsHashOf([`invoice-${++documentNo}`, `debit-note-${documentNo}`])

  before(async () => {
    payer = party(1, fixture.provider)
    c = await deployAll(party(0, fixture.provider).signer)
    await mined(as(c.token, payer).mint(payer.address, parseEther('1000')))
    await mined(as(c.token, payer).approve(await c.payouts.getAddress(), parseEther('1000')))
  })

  for (const path of ['any ERC-20 (pull the total, then transfer)', 'the token’s own payBatch (cheapest)'] as const) {
    describe(path, () => {
      const cheapest = path.startsWith('the token')
      const pay = (hash: string, words: bigint[], by: Party = payer) =>
        cheapest ? as(c.token, by).payBatch(hash, words) : as(c.payouts, by).payBatch(c.token.target, hash, words)
      const contract = (): LiveContract => (cheapest ? c.token : c.payouts)

      it('pays every payee its amount once, with one event whose batch id commits to payer, token and documents', async () => {
        const to = payees(3)
        const amounts = [1n, parseEther('0.5'), 123_456_789n]
        const hash = documents()
        const before = await c.token.balanceOf(payer.address)
        const receipt = await mined(
          pay(
            hash,
            to.map((payee, i) => packPayment({ payee, amount: amounts[i]! }))
          )
        )
        for (const [i, payee] of to.entries()) assert.equal(await c.token.balanceOf(payee), amounts[i])
        const total = amounts.reduce((a, b) => a + b)
        assert.equal(await c.token.balanceOf(payer.address), before - total)
        assert.equal(await c.token.balanceOf(c.payouts.target), 0n, 'nothing stays in the payouts contract')
        const batchId = batchIdOf(payer.address, c.token.target, hash)
        assert.equal(await contract().batchIdOf(payer.address, c.token.target, hash), batchId)
        assert.equal(await contract().paid(batchId), true)
        const events = receipt.logs.map(log => contract().interface.parseLog(log)).filter(e => e?.name === 'BatchPaid')
        assert.equal(events.length, 1)
        assert.equal(events[0].args.batchId, batchId)
        assert.equal(events[0].args.total, total)
        assert.equal(events[0].args.documentsHash, hash)
      })

      it('never pays a batch twice', async () => {
        const [payee] = payees(1)
        const hash = documents()
        await mined(pay(hash, [packPayment({ payee: payee!, amount: 7n })]))
        const before = await c.token.balanceOf(payer.address)
        await revertsWith(pay(hash, [packPayment({ payee: payee!, amount: 7n })]), 'BatchAlreadyPaid', [batchIdOf(payer.address, c.token.target, hash)])
        await revertsWith(pay(hash, [packPayment({ payee: payees(1)[0]!, amount: 1n })]), 'BatchAlreadyPaid')
        assert.equal(await c.token.balanceOf(payee!), 7n)
        assert.equal(await c.token.balanceOf(payer.address), before)
      })

      it('the same documents paid by another payer are another batch', async () => {
        const other = party(2, fixture.provider)
        await mined(as(c.token, other).mint(other.address, 10n))
        await mined(as(c.token, other).approve(c.payouts.target, 10n))
        const hash = documents()
        const [payee] = payees(1)
        await mined(pay(hash, [packPayment({ payee: payee!, amount: 1n })]))
        await mined(pay(hash, [packPayment({ payee: payee!, amount: 2n })], other))
        assert.equal(await c.token.balanceOf(payee!), 3n)
      })

      it('refuses an empty batch and one above the per-transaction bound, changing nothing', async () => {
        const hash = documents()
        await revertsWith(pay(hash, []), 'BatchSize', [0n])
        const [payee] = payees(1)
        const words = Array.from({ length: MAX_BATCH + 1 }, () => packPayment({ payee: payee!, amount: 1n }))
        await revertsWith(pay(hash, words), 'BatchSize', [BigInt(MAX_BATCH + 1)])
        assert.equal(await contract().paid(batchIdOf(payer.address, c.token.target, hash)), false)
        assert.equal(BigInt(await contract().MAX_BATCH()), BigInt(MAX_BATCH))
      })

      it('refuses a batch above what the payer holds (or allows), changing nothing', async () => {
        const poor = party(3, fixture.provider)
        await mined(as(c.token, poor).mint(poor.address, 5n))
        const holds: bigint = await c.token.balanceOf(poor.address)
        await mined(as(c.token, poor).approve(c.payouts.target, holds + 100n))
        const [a, b] = payees(2)
        const hash = documents()
        const words = [packPayment({ payee: a!, amount: 3n }), packPayment({ payee: b!, amount: holds - 2n })]
        await revertsWith(pay(hash, words, poor), cheapest ? 'InsufficientBalance' : 'TokenTransferFailed')
        assert.equal(await c.token.balanceOf(a!), 0n)
        assert.equal(await c.token.balanceOf(poor.address), holds)
        assert.equal(await contract().paid(batchIdOf(poor.address, c.token.target, hash)), false)
      })
    })
  }

  it('the cheapest path refuses a word with no payee (the zero address)', async () => {
    await revertsWith(as(c.token, payer).payBatch(documents(), [5n]), 'InvalidReceiver')
  })
})
