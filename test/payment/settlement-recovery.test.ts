import assert from 'node:assert/strict'
import { parseEther } from 'ethers'
import { PaymentError } from '../../payment/index.ts'
import { devChainFixture } from '../helpers/dev-chain.ts'
import { waitFor } from '../helpers/wait.ts'
import { mintTo, nodeDir, SettlementNode, type SettlementWorld, settlementWorld, termsBetween, nextSettled } from '../helpers/settlement.ts'

describe('payment: escrow transactions across a restart while they wait to be mined', function () {
  this.timeout(120_000)
  const fixture = devChainFixture()
  let world: SettlementWorld
  let requester: SettlementNode
  let provider: SettlementNode
  before(async () => {
    world = await settlementWorld(fixture)
    requester = new SettlementNode(world, { index: 1, dir: nodeDir(fixture.dir, 'requester') })
    provider = new SettlementNode(world, { index: 2, dir: nodeDir(fixture.dir, 'provider'), init: { claimWorthGasFactor: 1e15 } })
    await mintTo(world, requester.address, '100')
    await requester.start()
    await provider.start()
    // The standing allowance first, so that each test's transaction is the only one.
    await requester.settlement.requester.prepare(termsBetween(requester, provider, { now: Date.now() }), 1n)
  })
  afterEach(async () => {
    await fixture.provider.send('evm_setAutomine', [true])
  })
  after(async () => {
    await requester?.stop()
    await provider?.stop()
  })

  /** Resolves once the chain's node holds a transaction of `address` not yet mined (automine off). */
  function nextPending(address: string, nonce: number): Promise<void> {
    return waitFor(`a pending transaction of ${address}`, async () => (await fixture.provider.getTransactionCount(address, 'pending')) > nonce)
  }

  it('a createMany signed and broadcast before a stop is taken up after the restart: mined once, never sent again', async () => {
    const terms = termsBetween(requester, provider, { now: Date.now() })
    const nonce = await fixture.provider.getTransactionCount(requester.address)
    await fixture.provider.send('evm_setAutomine', [false])
    const pending = nextPending(requester.address, nonce)
    const preparing = requester.settlement.requester.prepare(terms, parseEther('2')).then(
      () => undefined,
      (err: unknown) => err
    )
    await pending
    await requester.stop()
    const stopped = await preparing
    assert.ok(stopped instanceof PaymentError && stopped.code === 'Unavailable', 'the prepare ends with the stop')
    await requester.start()
    await fixture.provider.send('evm_mine', [])
    await fixture.provider.send('evm_setAutomine', [true])
    await requester.settlement.requester.prepare(terms, parseEther('2'))
    const [deposit] = (await requester.settlement.deposits()).filter(d => d.agreementIds.includes(terms.agreementId))
    assert.equal(deposit?.amount, parseEther('2'))
    const opened = await world.contracts.escrow.queryFilter(world.contracts.escrow.filters.DepositOpened(deposit.depositId))
    assert.equal(opened.length, 1)
    assert.equal(await fixture.provider.getTransactionCount(requester.address), nonce + 1, 'one transaction')
  })

  it('a top-up broadcast before a stop is taken up after the restart: the deposit is topped up once and the voucher signed then', async () => {
    const terms = termsBetween(requester, provider, { now: Date.now() })
    await requester.settlement.requester.prepare(terms, parseEther('1'))
    const nonce = await fixture.provider.getTransactionCount(requester.address)
    await fixture.provider.send('evm_setAutomine', [false])
    const pending = nextPending(requester.address, nonce)
    const accepting = requester.settlement.requester.settleAccepted(terms, 'dn-1', parseEther('4')).then(
      () => undefined,
      (err: unknown) => err
    )
    await pending
    await requester.stop()
    const stopped = await accepting
    assert.ok(stopped instanceof PaymentError && stopped.code === 'Unavailable', 'the acceptance ends with the stop')
    await requester.start()
    await fixture.provider.send('evm_mine', [])
    await fixture.provider.send('evm_setAutomine', [true])
    const proof = await requester.settlement.requester.settleAccepted(terms, 'dn-1', parseEther('4'))
    assert.ok(proof.kind === 'voucher' && proof.voucher.cumulative === parseEther('4'))
    assert.equal((await world.contracts.escrow.deposits(proof.voucher.depositId)).amount, parseEther('4'), 'topped up once')
    assert.equal(await fixture.provider.getTransactionCount(requester.address), nonce + 1, 'one transaction')
    await requester.restart()
    assert.deepEqual(await requester.settlement.requester.settleAccepted(terms, 'dn-1', parseEther('4')), proof, 'the kept voucher after a restart')
  })

  it('a claimMany broadcast before a stop is reported after the restart once it is mined, and never sent again', async () => {
    const terms = termsBetween(requester, provider, { now: Date.now() })
    await requester.settlement.requester.prepare(terms, parseEther('2'))
    const proof = await requester.settlement.requester.settleAccepted(terms, 'inv-1', parseEther('1.25'))
    assert.ok(proof.kind === 'voucher')
    assert.deepEqual(await provider.settlement.provider.acceptVoucher(terms, proof.voucher), { ok: true })
    const nonce = await fixture.provider.getTransactionCount(provider.address)
    await fixture.provider.send('evm_setAutomine', [false])
    const pending = nextPending(provider.address, nonce)
    const claiming = provider.settlement.claim({ all: true }).then(
      () => undefined,
      (err: unknown) => err
    )
    await pending
    await provider.stop()
    const stopped = await claiming
    assert.ok(stopped instanceof PaymentError && stopped.code === 'Unavailable', 'the claim ends with the stop')
    const service = await provider.open()
    const settled = nextSettled(service.provider, terms.agreementId)
    await service.start()
    await fixture.provider.send('evm_mine', [])
    await fixture.provider.send('evm_setAutomine', [true])
    assert.equal((await settled).settled, parseEther('1.25'))
    assert.deepEqual((await service.claim({ all: true })).depositIds, [])
    await service.provider.agreementEnded(terms.agreementId)
    const claimed = await world.contracts.escrow.queryFilter(world.contracts.escrow.filters.Claimed(proof.voucher.depositId))
    assert.equal(claimed.length, 1)
    assert.equal(await fixture.provider.getTransactionCount(provider.address), nonce + 1, 'one transaction')
  })

  it('a voucher accepted while a claim waits to be mined is kept, and claimed next', async () => {
    const terms = termsBetween(requester, provider, { now: Date.now() })
    await requester.settlement.requester.prepare(terms, parseEther('3'))
    const first = await requester.settlement.requester.settleAccepted(terms, 'dn-1', parseEther('1'))
    assert.ok(first.kind === 'voucher')
    assert.deepEqual(await provider.settlement.provider.acceptVoucher(terms, first.voucher), { ok: true })
    const nonce = await fixture.provider.getTransactionCount(provider.address)
    await fixture.provider.send('evm_setAutomine', [false])
    const pending = nextPending(provider.address, nonce)
    const settled = nextSettled(provider.settlement.provider, terms.agreementId)
    const claiming = provider.settlement.claim({ all: true })
    await pending
    const second = await requester.settlement.requester.settleAccepted(terms, 'dn-2', parseEther('2'))
    assert.ok(second.kind === 'voucher')
    assert.deepEqual(await provider.settlement.provider.acceptVoucher(terms, second.voucher), { ok: true })
    await fixture.provider.send('evm_mine', [])
    await fixture.provider.send('evm_setAutomine', [true])
    assert.equal((await claiming).amount, parseEther('1'))
    assert.equal((await settled).settled, parseEther('1'))
    const [view] = (await provider.settlement.deposits()).filter(d => d.depositId === first.voucher.depositId)
    assert.equal(view?.voucherCumulative, parseEther('2'), 'the newer voucher is kept')
    const next = nextSettled(provider.settlement.provider, terms.agreementId)
    await provider.settlement.provider.agreementEnded(terms.agreementId)
    assert.equal((await next).settled, parseEther('2'))
  })
})
