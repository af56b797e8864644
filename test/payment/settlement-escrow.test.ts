import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type InterfaceAbi, Interface, parseEther } from 'ethers'
import { devNetworkConfig, escrowArtifact, parseNetworkConfig, PaymentError, type PayoutConfirmation, saltOf } from '../../payment/index.ts'
import { devChainFixture } from '../helpers/dev-chain.ts'
import { mintTo, nodeDir, SettlementNode, type SettlementWorld, settlementWorld, termsBetween, nextSettled } from '../helpers/settlement.ts'

/** Vouchers are claimed only when the test says so (agreement end, claim()), never because they are worth the gas. */
const NEVER_WORTH = { claimWorthGasFactor: 1e15 }
const escrowInterface = new Interface(escrowArtifact.abi as InterfaceAbi)

describe('payment: escrow settlement through the service', function () {
  this.timeout(120_000)
  const fixture = devChainFixture()
  let world: SettlementWorld
  let requester: SettlementNode
  let provider: SettlementNode
  before(async () => {
    world = await settlementWorld(fixture)
    requester = new SettlementNode(world, { index: 1, dir: nodeDir(fixture.dir, 'requester'), init: { directBatchIntervalMs: 200 } })
    provider = new SettlementNode(world, { index: 2, dir: nodeDir(fixture.dir, 'provider'), init: NEVER_WORTH })
    await mintTo(world, requester.address, '1000')
    await requester.start()
    await provider.start()
  })
  after(async () => {
    await requester?.stop()
    await provider?.stop()
  })

  /** The transaction hashes that opened each deposit (its DepositOpened event). */
  async function openedBy(depositIds: readonly string[]): Promise<string[]> {
    const hashes: string[] = []
    for (const id of depositIds) {
      const logs = await world.contracts.escrow.queryFilter(world.contracts.escrow.filters.DepositOpened(id))
      assert.equal(logs.length, 1, `deposit ${id} opened once`)
      hashes.push(logs[0].transactionHash)
    }
    return hashes
  }

  it('opens a deposit, signs vouchers (no gas), and the provider claims them at the agreement end, balances checked on chain', async () => {
    const terms = termsBetween(requester, provider, { now: Date.now(), platform: 'erc20-holesky-tglm' })
    const token = world.contracts.token
    const requesterBefore: bigint = await token.balanceOf(requester.address)
    const providerBefore: bigint = await token.balanceOf(provider.address)
    await requester.settlement.requester.prepare(terms, parseEther('5'))
    const deposit = (await requester.settlement.deposits()).find(d => d.agreementIds.includes(terms.agreementId))
    assert.ok(deposit !== undefined)
    assert.equal(deposit.amount, parseEther('5'))
    assert.equal(deposit.role, 'Requestor')
    assert.equal(await token.balanceOf(requester.address), requesterBefore - parseEther('5'))
    const nonceBefore = await fixture.provider.getTransactionCount(requester.address)
    const first = await requester.settlement.requester.settleAccepted(terms, 'dn-1', parseEther('1'))
    const second = await requester.settlement.requester.settleAccepted(terms, 'dn-2', parseEther('2'))
    assert.equal(await fixture.provider.getTransactionCount(requester.address), nonceBefore, 'signing vouchers sends nothing')
    assert.ok(first.kind === 'voucher' && second.kind === 'voucher')
    assert.equal(second.voucher.salt, saltOf(terms.agreementId))
    assert.equal(second.voucher.depositId, deposit.depositId)
    const again = await requester.settlement.requester.settleAccepted(terms, 'dn-1', parseEther('1'))
    assert.deepEqual(again, second, 'a lower cumulative gives the kept voucher')
    assert.deepEqual(await provider.settlement.provider.acceptVoucher(terms, first.voucher), { ok: true })
    assert.deepEqual(await provider.settlement.provider.acceptVoucher(terms, second.voucher), { ok: true })
    const seen = (await provider.settlement.deposits()).find(d => d.depositId === deposit.depositId)
    assert.equal(seen?.role, 'Provider')
    assert.equal(seen?.voucherCumulative, parseEther('2'))
    assert.equal(seen?.claimed, 0n)
    const settled = nextSettled(provider.settlement.provider, terms.agreementId)
    await provider.settlement.provider.agreementEnded(terms.agreementId)
    const detail = await settled
    assert.equal(detail.settled, parseEther('2'))
    assert.equal(await token.balanceOf(provider.address), providerBefore + parseEther('2'))
    const receipt = await fixture.provider.getTransactionReceipt(detail.txHash)
    assert.equal(receipt?.status, 1)
    const onChain = await world.contracts.escrow.deposits(deposit.depositId)
    assert.equal(onChain.claimed, parseEther('2'))
  })

  it('opens the deposits of prepares that arrive together in one createMany, and preparing again changes nothing', async () => {
    const now = Date.now()
    const all = Array.from({ length: 6 }, () => termsBetween(requester, provider, { now }))
    const nonceBefore = await fixture.provider.getTransactionCount(requester.address)
    await Promise.all(all.map(terms => requester.settlement.requester.prepare(terms, parseEther('1'))))
    const ids = (await requester.settlement.deposits()).filter(d => all.some(t => d.agreementIds.includes(t.agreementId))).map(d => d.depositId)
    assert.equal(ids.length, all.length)
    const hashes = await openedBy(ids)
    assert.equal(new Set(hashes).size, 1, 'all in one transaction')
    const tx = await fixture.provider.getTransaction(hashes[0]!)
    assert.equal(escrowInterface.parseTransaction({ data: tx!.data })?.name, 'createMany')
    assert.equal(await fixture.provider.getTransactionCount(requester.address), nonceBefore + 1, 'one transaction (the allowance stands)')
    await Promise.all(all.map(terms => requester.settlement.requester.prepare(terms, parseEther('3'))))
    assert.equal(await fixture.provider.getTransactionCount(requester.address), nonceBefore + 1, 'preparing again sends nothing')
    for (const id of ids) assert.equal((await world.contracts.escrow.deposits(id)).amount, parseEther('1'))
  })

  it('after a restart a deposit the chain holds is not opened again', async () => {
    const terms = termsBetween(requester, provider, { now: Date.now() })
    await requester.settlement.requester.prepare(terms, parseEther('1'))
    await requester.restart()
    const nonceBefore = await fixture.provider.getTransactionCount(requester.address)
    await requester.settlement.requester.prepare(terms, parseEther('1'))
    assert.equal(await fixture.provider.getTransactionCount(requester.address), nonceBefore)
  })

  it('tops the deposit up before signing a voucher above it, and refuses one the wallet cannot cover, changing nothing', async () => {
    const terms = termsBetween(requester, provider, { now: Date.now() })
    await requester.settlement.requester.prepare(terms, parseEther('1'))
    const proof = await requester.settlement.requester.settleAccepted(terms, 'dn-1', parseEther('3'))
    assert.ok(proof.kind === 'voucher')
    assert.equal((await world.contracts.escrow.deposits(proof.voucher.depositId)).amount, parseEther('3'))
    assert.deepEqual(await provider.settlement.provider.acceptVoucher(terms, proof.voucher), { ok: true })

    const balance: bigint = await world.contracts.token.balanceOf(requester.address)
    const nonceBefore = await fixture.provider.getTransactionCount(requester.address)
    await assert.rejects(
      requester.settlement.requester.settleAccepted(terms, 'dn-2', parseEther('3') + balance + 1n),
      (err: unknown) => err instanceof PaymentError && err.code === 'Conflict' && /wallet holds/.test(err.message)
    )
    assert.equal(await fixture.provider.getTransactionCount(requester.address), nonceBefore, 'nothing sent')
    assert.equal((await world.contracts.escrow.deposits(proof.voucher.depositId)).amount, parseEther('3'))
    const kept = await requester.settlement.requester.settleAccepted(terms, 'dn-1', parseEther('3'))
    assert.deepEqual(kept, proof, 'the kept voucher is unchanged')

    const settled = nextSettled(provider.settlement.provider, terms.agreementId)
    await provider.settlement.provider.agreementEnded(terms.agreementId)
    assert.equal((await settled).settled, parseEther('3'))
  })

  it('tops up by doubling within the room it is given: a growing agreement costs a few top-ups, not one per note', async () => {
    const terms = termsBetween(requester, provider, { now: Date.now() })
    await requester.settlement.requester.prepare(terms, parseEther('1'))
    const amountOf = async (depositId: string): Promise<bigint> => (await world.contracts.escrow.deposits(depositId)).amount
    const room = (): bigint => parseEther('10')
    const first = await requester.settlement.requester.settleAccepted(terms, 'dn-1', parseEther('1.5'), room)
    assert.ok(first.kind === 'voucher')
    assert.equal(await amountOf(first.voucher.depositId), parseEther('2'), 'doubled, not just what the voucher needs')
    const nonce = await fixture.provider.getTransactionCount(requester.address)
    await requester.settlement.requester.settleAccepted(terms, 'dn-2', parseEther('2'), room)
    assert.equal(await fixture.provider.getTransactionCount(requester.address), nonce, 'within the deposit: nothing sent')
    // Doubling would pass the room: capped at the cumulative plus the room.
    const third = await requester.settlement.requester.settleAccepted(terms, 'dn-3', parseEther('2.5'), () => parseEther('0.5'))
    assert.ok(third.kind === 'voucher')
    assert.equal(await amountOf(third.voucher.depositId), parseEther('3'))
    // No room at all: what the voucher needs.
    await requester.settlement.requester.settleAccepted(terms, 'dn-4', parseEther('3.25'), () => 0n)
    assert.equal(await amountOf(third.voucher.depositId), parseEther('3.25'))
    assert.deepEqual(requester.settlement.requester.held(terms.agreementId), { amount: parseEther('3.25'), vouchered: parseEther('3.25'), finished: false })
    await requester.settlement.requester.finish(terms.agreementId)
    assert.equal(requester.settlement.requester.held(terms.agreementId)?.finished, true)
  })

  it('refuses bad budgets and terms before anything is written or sent', async () => {
    const terms = termsBetween(requester, provider, { now: Date.now() })
    const isCode = (code: string) => (err: unknown) => err instanceof PaymentError && err.code === code
    await assert.rejects(requester.settlement.requester.prepare(terms, 0n), isCode('BadRequest'))
    await assert.rejects(requester.settlement.requester.prepare(terms, 1n << 96n), isCode('BadRequest'))
    await assert.rejects(requester.settlement.requester.prepare({ ...terms, platform: 'erc20-nowhere-tglm' }, 1n), isCode('NotFound'))
    await assert.rejects(requester.settlement.requester.prepare({ ...terms, requester: provider.address }, 1n), isCode('Forbidden'))
    await assert.rejects(requester.settlement.requester.prepare({ ...terms, expiresAt: 0, paymentTimeoutMs: 0 }, 1n), isCode('BadRequest'))
    assert.ok(!(await requester.settlement.deposits()).some(d => d.agreementIds.includes(terms.agreementId)))
  })

  it('sends direct agreements to the direct payer on the same sender, and the provider verifies the payout on chain', async () => {
    const terms = { ...termsBetween(requester, provider, { now: Date.now() }), mode: 'direct' as const }
    await requester.settlement.requester.prepare(terms, parseEther('1'))
    assert.ok(!(await requester.settlement.deposits()).some(d => d.agreementIds.includes(terms.agreementId)), 'no deposit for a direct agreement')
    const paid = new Promise<PayoutConfirmation>(resolve => {
      const listener = (event: CustomEvent<PayoutConfirmation>): void => {
        if (!event.detail.documents.some(d => d.agreementId === terms.agreementId)) return
        requester.settlement.requester.removeEventListener('paid', listener)
        resolve(event.detail)
      }
      requester.settlement.requester.addEventListener('paid', listener)
    })
    const before: bigint = await world.contracts.token.balanceOf(provider.address)
    const proof = await requester.settlement.requester.settleAccepted(terms, 'inv-direct', parseEther('0.25'))
    assert.equal(proof.kind, 'direct')
    const confirmation = await paid
    assert.equal(await world.contracts.token.balanceOf(provider.address), before + parseEther('0.25'))
    const settled = nextSettled(provider.settlement.provider, terms.agreementId)
    assert.deepEqual(await provider.settlement.provider.verifyPayout(terms, confirmation), { ok: true })
    assert.equal((await settled).settled, parseEther('0.25'))
    const asEscrow = await provider.settlement.provider.verifyPayout({ ...terms, mode: 'escrow' }, confirmation)
    assert.ok(!asEscrow.ok && asEscrow.code === 'BadRequest')
  })

  it('with the requester gone for good, the provider still claims', async () => {
    const gone = new SettlementNode(world, { index: 4, dir: nodeDir(fixture.dir, 'gone') })
    await mintTo(world, gone.address, '10')
    await gone.start()
    const terms = termsBetween(gone, provider, { now: Date.now() })
    await gone.settlement.requester.prepare(terms, parseEther('2'))
    const proof = await gone.settlement.requester.settleAccepted(terms, 'inv-1', parseEther('1.5'))
    await gone.stop()
    assert.ok(proof.kind === 'voucher')
    assert.deepEqual(await provider.settlement.provider.acceptVoucher(terms, proof.voucher), { ok: true })
    const before: bigint = await world.contracts.token.balanceOf(provider.address)
    const settled = nextSettled(provider.settlement.provider, terms.agreementId)
    await provider.settlement.provider.agreementEnded(terms.agreementId)
    assert.equal((await settled).settled, parseEther('1.5'))
    assert.equal(await world.contracts.token.balanceOf(provider.address), before + parseEther('1.5'))
  })

  it('claims several deposits in one claimMany and reports each agreement', async () => {
    const now = Date.now()
    const all = Array.from({ length: 3 }, () => termsBetween(requester, provider, { now }))
    await Promise.all(all.map(terms => requester.settlement.requester.prepare(terms, parseEther('1'))))
    const ids: string[] = []
    for (const terms of all) {
      const proof = await requester.settlement.requester.settleAccepted(terms, 'dn', parseEther('0.5'))
      assert.ok(proof.kind === 'voucher')
      ids.push(proof.voucher.depositId)
      assert.deepEqual(await provider.settlement.provider.acceptVoucher(terms, proof.voucher), { ok: true })
    }
    const reports = all.map(terms => nextSettled(provider.settlement.provider, terms.agreementId))
    const outcome = await provider.settlement.claim({ depositIds: ids })
    assert.deepEqual([...outcome.depositIds].sort(), [...ids].sort())
    assert.equal(outcome.amount, parseEther('1.5'))
    for (const detail of await Promise.all(reports)) {
      assert.equal(detail.txHash, outcome.txHash)
      assert.equal(detail.settled, parseEther('0.5'))
    }
    const again = await provider.settlement.claim({ depositIds: ids })
    assert.deepEqual(again.depositIds, [], 'nothing left to claim')
    await assert.rejects(
      provider.settlement.claim({ depositIds: [`0x${'ab'.repeat(32)}`] }),
      (err: unknown) => err instanceof PaymentError && err.code === 'NotFound'
    )
  })

  it('reports token and gas balances, and funds this node from the dev faucet', async () => {
    const fresh = new SettlementNode(world, { index: 5, dir: nodeDir(fixture.dir, 'fresh') })
    await fresh.start()
    try {
      const before = await fresh.settlement.balances('erc20-dev-tglm', fresh.address)
      const funded = await fresh.settlement.fund('erc20-holesky-tglm')
      assert.equal(funded.txHashes.length, 2)
      const after = await fresh.settlement.balances('erc20-dev-tglm', fresh.address)
      assert.equal(after.token, before.token + funded.token)
      assert.ok(after.gas > before.gas, 'gas arrived (less what the mint cost)')
      await assert.rejects(fresh.settlement.balances('erc20-dev-tglm', 'nope'), (err: unknown) => err instanceof PaymentError && err.code === 'BadRequest')
    } finally {
      await fresh.stop()
    }
    const noFaucet = parseNetworkConfig({
      ...devNetworkConfig(fixture.chain.rpcUrl, String(world.contracts.token.target)),
      name: 'closed',
      aliases: [],
      faucet: false
    })
    const closed = new SettlementNode(world, { index: 5, dir: nodeDir(fixture.dir, 'closed'), networks: [noFaucet] })
    await closed.start()
    try {
      await assert.rejects(
        closed.settlement.fund('erc20-closed-tglm'),
        (err: unknown) => err instanceof PaymentError && err.code === 'Forbidden' && /closed/.test(err.message)
      )
    } finally {
      await closed.stop()
    }
  })

  it('funds several nodes at once from the one dev account: each gets its gas and tokens', async () => {
    const nodes = [3, 8, 9].map(index => new SettlementNode(world, { index, dir: nodeDir(fixture.dir, `funded-${index}`) }))
    try {
      for (const node of nodes) await node.start()
      const before = await Promise.all(nodes.map(node => node.settlement.balances('erc20-dev-tglm', node.address)))
      const funded = await Promise.all(nodes.map(node => node.settlement.fund('erc20-holesky-tglm')))
      for (const [i, node] of nodes.entries()) {
        assert.equal(funded[i]!.txHashes.length, 2)
        const after = await node.settlement.balances('erc20-dev-tglm', node.address)
        assert.equal(after.token, before[i]!.token + funded[i]!.token)
        assert.ok(after.gas > before[i]!.gas, 'gas arrived (less what the mint cost)')
      }
    } finally {
      for (const node of nodes) await node.stop()
    }
  })

  it('starts with a network whose chain does not answer: the others settle, its platform answers Unavailable', async () => {
    const server = createServer()
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as AddressInfo).port
    await new Promise<void>(resolve => server.close(() => resolve()))
    const dead = parseNetworkConfig({ ...devNetworkConfig(`http://127.0.0.1:${port}`, String(world.contracts.token.target)), name: 'dead', aliases: [] })
    const node = new SettlementNode(world, { index: 7, dir: nodeDir(fixture.dir, 'dead'), networks: [dead, world.network] })
    await mintTo(world, node.address, '10')
    await node.start()
    try {
      const live = termsBetween(node, provider, { now: Date.now() })
      await node.settlement.requester.prepare(live, parseEther('1'))
      const isUnavailable = (err: unknown) => err instanceof PaymentError && err.code === 'Unavailable' && /dead/.test(err.message)
      await assert.rejects(node.settlement.requester.prepare({ ...live, platform: 'erc20-dead-tglm' }, parseEther('1')), isUnavailable)
      const proof = await node.settlement.requester.settleAccepted(live, 'dn-1', 1n)
      assert.ok(proof.kind === 'voucher')
      const deferred = await node.settlement.provider.acceptVoucher({ ...live, platform: 'erc20-dead-tglm' }, proof.voucher)
      assert.ok(!deferred.ok && deferred.code === 'Unavailable')
      assert.equal((await node.settlement.deposits()).length, 1)
    } finally {
      await node.stop()
    }
  })

  it('refuses every call before start', async () => {
    const cold = new SettlementNode(world, { index: 6, dir: nodeDir(fixture.dir, 'cold') })
    const service = await cold.open()
    try {
      const terms = termsBetween(requester, provider, { now: Date.now() })
      await assert.rejects(service.requester.prepare(terms, 1n), (err: unknown) => err instanceof PaymentError && err.code === 'Unavailable')
      await assert.rejects(service.deposits(), (err: unknown) => err instanceof PaymentError && err.code === 'Unavailable')
    } finally {
      await cold.stop()
    }
  })
})
