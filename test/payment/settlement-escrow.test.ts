import assert from 'node:assert/strict'
import { once } from 'node:events'
import { parseEther } from 'ethers'
import { saltOf } from '../../payment/index.ts'
import { devChainFixture } from '../helpers/dev-chain.ts'
import { mintTo, nodeDir, SettlementNode, type SettlementWorld, settlementWorld, termsBetween } from '../helpers/settlement.ts'

describe('payment: escrow settlement through the service', function () {
  this.timeout(120_000)
  const fixture = devChainFixture()
  let world: SettlementWorld
  let requester: SettlementNode
  let provider: SettlementNode
  before(async () => {
    world = await settlementWorld(fixture)
    requester = new SettlementNode(world, { index: 1, dir: nodeDir(fixture.dir, 'requester') })
    provider = new SettlementNode(world, { index: 2, dir: nodeDir(fixture.dir, 'provider') })
    await mintTo(world, requester.address, '1000')
    await requester.start()
    await provider.start()
  })
  after(async () => {
    await requester?.stop()
    await provider?.stop()
  })

  it('opens a deposit, signs vouchers, and the provider claims them at the agreement end with balances checked on chain', async () => {
    const terms = termsBetween(requester, provider, { now: Date.now(), platform: 'erc20-holesky-tglm' })
    const token = world.contracts.token
    const requesterBefore: bigint = await token.balanceOf(requester.address)
    const providerBefore: bigint = await token.balanceOf(provider.address)
    await requester.settlement.requester.prepare(terms, parseEther('5'))
    const [deposit] = await requester.settlement.deposits()
    assert.ok(deposit !== undefined)
    assert.equal(deposit.amount, parseEther('5'))
    assert.equal(await token.balanceOf(requester.address), requesterBefore - parseEther('5'))
    const nonceBefore = await fixture.provider.getTransactionCount(requester.address)
    const first = await requester.settlement.requester.settleAccepted(terms, 'dn-1', parseEther('1'))
    const second = await requester.settlement.requester.settleAccepted(terms, 'dn-2', parseEther('2'))
    assert.equal(await fixture.provider.getTransactionCount(requester.address), nonceBefore, 'signing vouchers sends nothing')
    assert.ok(first.kind === 'voucher' && second.kind === 'voucher')
    assert.equal(second.voucher.salt, saltOf(terms.agreementId))
    assert.deepEqual(await provider.settlement.provider.acceptVoucher(terms, first.voucher), { ok: true })
    assert.deepEqual(await provider.settlement.provider.acceptVoucher(terms, second.voucher), { ok: true })
    const settled = once(provider.settlement.provider as unknown as EventTarget, 'settled')
    await provider.settlement.provider.agreementEnded(terms.agreementId)
    const [event] = (await settled) as [CustomEvent<{ agreementId: string; settled: bigint; txHash: string }>]
    assert.equal(event.detail.agreementId, terms.agreementId)
    assert.equal(event.detail.settled, parseEther('2'))
    assert.equal(await token.balanceOf(provider.address), providerBefore + parseEther('2'))
    const receipt = await fixture.provider.getTransactionReceipt(event.detail.txHash)
    assert.equal(receipt?.status, 1)
  })
})
