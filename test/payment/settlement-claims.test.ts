import assert from 'node:assert/strict'
import { cp } from 'node:fs/promises'
import { parseEther } from 'ethers'
import { type ClaimCandidate, claimsDue } from '../../payment/index.ts'
import { devChainFixture } from '../helpers/dev-chain.ts'
import { ManualClock } from '../helpers/manual-clock.ts'
import { mintTo, nodeDir, SettlementNode, type SettlementWorld, settlementWorld, termsBetween, nextSettled } from '../helpers/settlement.ts'

const NEVER_WORTH = { claimWorthGasFactor: 1e15 }
const HOUR = 3_600_000

describe('payment: the claim policy', () => {
  const policy = { worthGasFactor: 10, deadlineMarginMs: HOUR }
  const costs = { feePerGas: 1_000n, gasAlone: 60_000n, gasEach: 18_000n }
  // Worth claiming alone: 10 × 60,000 × 1,000 = 600,000,000; riding along: 10 × 18,000 × 1,000 = 180,000,000.
  const now = 10 * HOUR
  const candidate = (depositId: string, unclaimed: bigint, deadlineMs = now + 5 * HOUR, ended = false): ClaimCandidate => ({
    depositId,
    unclaimed,
    deadlineMs,
    ended
  })

  it('claims what is worth the gas, and lets what is worth its share ride along', () => {
    assert.deepEqual(claimsDue([candidate('a', 599_999_999n)], now, policy, costs), new Map())
    assert.deepEqual(claimsDue([candidate('a', 600_000_000n)], now, policy, costs), new Map([['a', 'worth']]))
    const due = claimsDue([candidate('a', 600_000_000n), candidate('b', 180_000_000n), candidate('c', 179_999_999n)], now, policy, costs)
    assert.deepEqual(
      due,
      new Map([
        ['a', 'worth'],
        ['b', 'rides']
      ])
    )
  })

  it('claims at the agreement end and within the deadline margin whatever the gas, never after the deadline or with nothing unclaimed', () => {
    assert.deepEqual(claimsDue([candidate('a', 1n, now + 5 * HOUR, true)], now, policy, costs), new Map([['a', 'ended']]))
    assert.deepEqual(claimsDue([candidate('a', 1n, now + HOUR + 1)], now, policy, costs), new Map())
    assert.deepEqual(claimsDue([candidate('a', 1n, now + HOUR)], now, policy, costs), new Map([['a', 'deadline']]))
    assert.deepEqual(claimsDue([candidate('a', 10n ** 20n, now)], now, policy, costs), new Map(), 'past the deadline the claim would revert')
    assert.deepEqual(claimsDue([candidate('a', 0n, now, true)], now, policy, costs), new Map())
  })
})

describe('payment: claims on the dev chain (manual clock, restarts)', function () {
  this.timeout(120_000)
  const fixture = devChainFixture()
  let world: SettlementWorld
  let requester: SettlementNode
  before(async () => {
    world = await settlementWorld(fixture)
    requester = new SettlementNode(world, { index: 1, dir: nodeDir(fixture.dir, 'requester') })
    await mintTo(world, requester.address, '1000')
    await requester.start()
  })
  after(async () => {
    await requester?.stop()
  })

  async function voucherFor(provider: SettlementNode, cumulative: bigint) {
    const terms = termsBetween(requester, provider, { now: Date.now() })
    await requester.settlement.requester.prepare(terms, parseEther('5'))
    const proof = await requester.settlement.requester.settleAccepted(terms, 'dn-1', cumulative)
    assert.ok(proof.kind === 'voucher')
    return { terms, voucher: proof.voucher }
  }

  async function claimedEvents(depositId: string): Promise<number> {
    return (await world.contracts.escrow.queryFilter(world.contracts.escrow.filters.Claimed(depositId))).length
  }

  it('claims by itself when the deadline margin is reached on its clock, and not before', async () => {
    const clock = new ManualClock(Date.now())
    const provider = new SettlementNode(world, { index: 2, dir: nodeDir(fixture.dir, 'margin'), clock, init: NEVER_WORTH })
    await provider.start()
    try {
      const { terms, voucher } = await voucherFor(provider, parseEther('1'))
      assert.deepEqual(await provider.settlement.provider.acceptVoucher(terms, voucher), { ok: true })
      assert.deepEqual((await provider.settlement.claim({})).depositIds, [], 'not worth the gas, not near the deadline')
      const [view] = (await provider.settlement.deposits()).filter(d => d.depositId === voucher.depositId)
      assert.ok(view !== undefined)
      const margin = 6 * HOUR
      clock.advance(view.deadline - margin - clock.now() - 1_000)
      assert.deepEqual((await provider.settlement.claim({})).depositIds, [], 'a second before the margin')
      assert.equal(await claimedEvents(voucher.depositId), 0)
      const settled = nextSettled(provider.settlement.provider, terms.agreementId)
      clock.advance(1_000)
      assert.equal((await settled).settled, parseEther('1'))
      assert.equal(await claimedEvents(voucher.depositId), 1)
    } finally {
      await provider.stop()
    }
  })

  it('claims by itself once the unclaimed value is worth the gas, and leaves a sliver that is not', async () => {
    const clock = new ManualClock(Date.now())
    const provider = new SettlementNode(world, { index: 3, dir: nodeDir(fixture.dir, 'worth'), clock, init: { claimWorthGasFactor: 1 } })
    await provider.start()
    try {
      const { terms, voucher } = await voucherFor(provider, parseEther('1'))
      const settled = nextSettled(provider.settlement.provider, terms.agreementId)
      assert.deepEqual(await provider.settlement.provider.acceptVoucher(terms, voucher), { ok: true })
      assert.equal((await settled).settled, parseEther('1'))
      const sliver = await requester.settlement.requester.settleAccepted(terms, 'dn-2', parseEther('1') + 1_000n)
      assert.ok(sliver.kind === 'voucher')
      assert.deepEqual(await provider.settlement.provider.acceptVoucher(terms, sliver.voucher), { ok: true })
      assert.deepEqual((await provider.settlement.claim({})).depositIds, [], '1,000 base units are not worth a claim')
      assert.equal(await claimedEvents(voucher.depositId), 1)
      const all = await provider.settlement.claim({ all: true })
      assert.deepEqual(all.depositIds, [voucher.depositId])
      assert.equal(all.amount, 1_000n)
    } finally {
      await provider.stop()
    }
  })

  it('a restart between accepting a voucher and claiming it still claims exactly once', async () => {
    const provider = new SettlementNode(world, { index: 4, dir: nodeDir(fixture.dir, 'restart'), init: NEVER_WORTH })
    await provider.start()
    try {
      const { terms, voucher } = await voucherFor(provider, parseEther('2'))
      assert.deepEqual(await provider.settlement.provider.acceptVoucher(terms, voucher), { ok: true })
      await provider.restart()
      const before: bigint = await world.contracts.token.balanceOf(provider.address)
      const settled = nextSettled(provider.settlement.provider, terms.agreementId)
      await provider.settlement.provider.agreementEnded(terms.agreementId)
      assert.equal((await settled).settled, parseEther('2'))
      await provider.restart()
      await provider.settlement.provider.agreementEnded(terms.agreementId)
      assert.deepEqual((await provider.settlement.claim({ all: true })).depositIds, [])
      assert.equal(await claimedEvents(voucher.depositId), 1)
      assert.equal(await world.contracts.token.balanceOf(provider.address), before + parseEther('2'))
    } finally {
      await provider.stop()
    }
  })

  it('a claim mined but lost from the records (a crash before they were written) is read from the chain at start: reported once, never sent again', async () => {
    const provider = new SettlementNode(world, { index: 5, dir: nodeDir(fixture.dir, 'lost'), init: NEVER_WORTH })
    await provider.start()
    try {
      const { terms, voucher } = await voucherFor(provider, parseEther('3'))
      assert.deepEqual(await provider.settlement.provider.acceptVoucher(terms, voucher), { ok: true })
      await provider.stop()
      const beforeClaim = `${provider.dir}-before-claim`
      await cp(provider.dir, beforeClaim, { recursive: true })
      await provider.start()
      const claimed = await provider.settlement.claim({ all: true })
      assert.deepEqual(claimed.depositIds, [voucher.depositId])
      await provider.stop()
      // The records as they were before the claim: the chain knows better.
      const { rm } = await import('node:fs/promises')
      await rm(provider.dir, { recursive: true, force: true })
      await cp(beforeClaim, provider.dir, { recursive: true })
      const service = await provider.open()
      const reported = nextSettled(service.provider, terms.agreementId)
      await service.start()
      const detail = await reported
      assert.equal(detail.settled, parseEther('3'))
      assert.equal(detail.txHash, claimed.txHash)
      const nonce = await fixture.provider.getTransactionCount(provider.address)
      await service.provider.agreementEnded(terms.agreementId)
      assert.deepEqual((await service.claim({ all: true })).depositIds, [])
      assert.equal(await fixture.provider.getTransactionCount(provider.address), nonce, 'nothing sent again')
      assert.equal(await claimedEvents(voucher.depositId), 1)
    } finally {
      await provider.stop()
    }
  })
})
