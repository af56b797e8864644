import assert from 'node:assert/strict'
import { parseEther } from 'ethers'
import { PaymentError } from '../../payment/index.ts'
import { advanceChainTime, chainTime } from '../helpers/contracts.ts'
import { devChainFixture } from '../helpers/dev-chain.ts'
import { ManualClock } from '../helpers/manual-clock.ts'
import { mintTo, nodeDir, SettlementNode, type SettlementWorld, settlementWorld, termsBetween } from '../helpers/settlement.ts'

const MINUTE = 60_000
/** Deposits end two minutes after the agreement is made; the provider claims up to ten seconds before. */
const SHORT = { depositDeadlineMarginMs: 0, claimDeadlineMarginMs: 10_000, claimWorthGasFactor: 1e15 }

describe('payment: the requester reclaims what is left after the deadline', function () {
  this.timeout(120_000)
  const fixture = devChainFixture()
  let world: SettlementWorld
  let clock: ManualClock
  let requester: SettlementNode
  let provider: SettlementNode
  before(async () => {
    world = await settlementWorld(fixture)
    clock = new ManualClock(Date.now())
    requester = new SettlementNode(world, { index: 1, dir: nodeDir(fixture.dir, 'requester'), clock, init: SHORT })
    provider = new SettlementNode(world, { index: 2, dir: nodeDir(fixture.dir, 'provider'), init: SHORT })
    await mintTo(world, requester.address, '100')
    await requester.start()
    await provider.start()
  })
  after(async () => {
    await requester?.stop()
    await provider?.stop()
  })

  /** Brings the requester's clock and the chain's to the same time (each test moves them on by different amounts). */
  async function clockToChain(): Promise<void> {
    const chainNow = (await chainTime(fixture.provider)) * 1000
    if (chainNow > clock.now()) clock.advance(chainNow - clock.now())
    else if (chainNow < clock.now()) await advanceChainTime(fixture.provider, Math.ceil((clock.now() - chainNow) / 1000))
  }

  /** Resolves with the Reclaimed event's log for `depositId` once the chain has it. */
  function reclaimedOnce(depositId: string): Promise<{ transactionHash: string; blockNumber: number }> {
    return new Promise(resolve => {
      void world.contracts.escrow.once(world.contracts.escrow.filters.Reclaimed(depositId), (...args: any[]) => resolve(args.at(-1).log))
    })
  }

  async function agreementWithClaim(): Promise<{ terms: ReturnType<typeof termsBetween>; depositId: string; deadlineMs: number }> {
    await clockToChain()
    const terms = termsBetween(requester, provider, { now: clock.now(), expiresInMs: 2 * MINUTE, paymentTimeoutMs: 0 })
    await requester.settlement.requester.prepare(terms, parseEther('2'))
    const proof = await requester.settlement.requester.settleAccepted(terms, 'inv-1', parseEther('0.5'))
    assert.ok(proof.kind === 'voucher')
    assert.deepEqual(await provider.settlement.provider.acceptVoucher(terms, proof.voucher), { ok: true })
    assert.deepEqual((await provider.settlement.claim({ all: true })).depositIds, [proof.voucher.depositId])
    const onChain = await world.contracts.escrow.deposits(proof.voucher.depositId)
    return { terms, depositId: proof.voucher.depositId, deadlineMs: Number(onChain.deadline) * 1000 }
  }

  it('reclaims once the deadline has passed on the chain, never before, and only once', async () => {
    const { terms, depositId, deadlineMs } = await agreementWithClaim()
    await requester.settlement.requester.finish(terms.agreementId)
    const nonce = await fixture.provider.getTransactionCount(requester.address)
    const balance: bigint = await world.contracts.token.balanceOf(requester.address)

    clock.advance(deadlineMs - clock.now() - 1_000)
    // Our clock past the deadline, the chain's not yet: the reclaim waits for the chain.
    clock.advance(5_000)
    const kept = await requester.settlement.requester.settleAccepted(terms, 'inv-1', parseEther('0.5'))
    assert.ok(kept.kind === 'voucher', 'the kept voucher (the deposit is busy until the reclaim check ended)')
    assert.equal(await fixture.provider.getTransactionCount(requester.address), nonce, 'nothing sent before the chain reached the deadline')

    const reclaimed = reclaimedOnce(depositId)
    await advanceChainTime(fixture.provider, 10 * 60)
    clock.advance(10 * MINUTE)
    const log = await reclaimed
    const block = await fixture.provider.getBlock(log.blockNumber)
    assert.ok(block !== null && block.timestamp * 1000 >= deadlineMs, 'mined after the deadline')
    assert.equal(await world.contracts.token.balanceOf(requester.address), balance + parseEther('1.5'))
    const onChain = await world.contracts.escrow.deposits(depositId)
    assert.equal(onChain.amount, onChain.claimed)

    await requester.restart()
    clock.advance(10 * MINUTE)
    await assert.rejects(
      requester.settlement.requester.settleAccepted(terms, 'inv-2', parseEther('1')),
      (err: unknown) => err instanceof PaymentError && err.code === 'Gone'
    )
    assert.equal(await fixture.provider.getTransactionCount(requester.address), nonce + 1, 'one reclaim, not another after the restart')
    const [view] = (await requester.settlement.deposits()).filter(d => d.depositId === depositId)
    assert.equal(view?.amount, parseEther('0.5'))
  })

  it('reclaims at start a deposit whose deadline passed while the requester was down', async () => {
    const { terms, depositId } = await agreementWithClaim()
    await requester.settlement.requester.finish(terms.agreementId)
    await requester.stop()
    await advanceChainTime(fixture.provider, 10 * 60)
    clock.advance(10 * MINUTE)
    const balance: bigint = await world.contracts.token.balanceOf(requester.address)
    const reclaimed = reclaimedOnce(depositId)
    await requester.start()
    clock.advance(0)
    await reclaimed
    assert.equal(await world.contracts.token.balanceOf(requester.address), balance + parseEther('1.5'))
  })
})
