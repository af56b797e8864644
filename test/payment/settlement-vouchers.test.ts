import assert from 'node:assert/strict'
import { parseEther, Signature, type Wallet } from 'ethers'
import { devWallet, escrowDomain, type SignedVoucher, VOUCHER_TYPES } from '../../payment/index.ts'
import { devChainFixture } from '../helpers/dev-chain.ts'
import { mintTo, nodeDir, SettlementNode, type SettlementWorld, settlementWorld, termsBetween } from '../helpers/settlement.ts'

const NEVER_WORTH = { claimWorthGasFactor: 1e15 }
/** `voucher` with its cumulative changed and signed by `signer` over the domain given. */
async function resigned(
  voucher: SignedVoucher,
  signer: Wallet,
  change: { cumulative?: bigint; chainId?: number; escrow?: string } = {}
): Promise<SignedVoucher> {
  const cumulative = change.cumulative ?? voucher.cumulative
  const domain = escrowDomain(BigInt(change.chainId ?? voucher.chainId), change.escrow ?? voucher.escrow)
  const signature = Signature.from(await signer.signTypedData(domain, VOUCHER_TYPES, { depositId: voucher.depositId, cumulative })).compactSerialized
  return {
    ...voucher,
    cumulative,
    signature,
    ...(change.chainId === undefined ? {} : { chainId: change.chainId }),
    ...(change.escrow === undefined ? {} : { escrow: change.escrow })
  }
}

describe('payment: the provider checks vouchers against the chain', function () {
  this.timeout(120_000)
  const fixture = devChainFixture()
  let world: SettlementWorld
  let requester: SettlementNode
  let provider: SettlementNode
  before(async () => {
    world = await settlementWorld(fixture)
    requester = new SettlementNode(world, { index: 1, dir: nodeDir(fixture.dir, 'requester') })
    provider = new SettlementNode(world, { index: 2, dir: nodeDir(fixture.dir, 'provider'), init: NEVER_WORTH })
    await mintTo(world, requester.address, '1000')
    await requester.start()
    await provider.start()
  })
  after(async () => {
    await requester?.stop()
    await provider?.stop()
  })

  async function agreementWithVoucher(cumulative: bigint, budget = parseEther('5')) {
    const terms = termsBetween(requester, provider, { now: Date.now() })
    await requester.settlement.requester.prepare(terms, budget)
    const proof = await requester.settlement.requester.settleAccepted(terms, 'dn-1', cumulative)
    assert.ok(proof.kind === 'voucher')
    return { terms, voucher: proof.voucher }
  }

  async function bestKept(depositId: string): Promise<bigint | undefined> {
    return (await provider.settlement.deposits()).find(d => d.depositId === depositId)?.voucherCumulative
  }

  it('refuses a bad signature, another signer, another deposit, another chain or escrow, and keeps none of them', async () => {
    const { terms, voucher } = await agreementWithVoucher(parseEther('1'))
    const provider$ = provider.settlement.provider
    const flipped = `${voucher.signature.slice(0, 10)}${voucher.signature[10] === '0' ? '1' : '0'}${voucher.signature.slice(11)}`
    const cases: Array<[string, SignedVoucher, string, RegExp]> = [
      ['a corrupted signature', { ...voucher, signature: flipped }, 'Forbidden', /signed by|not a valid/],
      ['a signature of the wrong length', { ...voucher, signature: `${voucher.signature}00` }, 'Forbidden', /not a valid/],
      ['a signer who is not the requester', await resigned(voucher, devWallet(3) as unknown as Wallet), 'Forbidden', /signed by/],
      ['another chain', await resigned(voucher, requester.wallet, { chainId: 1 }), 'BadRequest', /chain 1/],
      ['another escrow', await resigned(voucher, requester.wallet, { escrow: String(world.contracts.payouts.target) }), 'BadRequest', /escrow/],
      ['a zero cumulative', { ...voucher, cumulative: 0n }, 'BadRequest', /cumulative/]
    ]
    for (const [what, bad, code, reason] of cases) {
      const result = await provider$.acceptVoucher(terms, bad)
      assert.equal(result.ok, false, what)
      assert.ok(!result.ok && result.code === code && reason.test(result.reason), `${what}: ${JSON.stringify(result)}`)
    }
    // Someone else's deposit: a valid voucher of another agreement presented under these terms.
    const other = await agreementWithVoucher(parseEther('1'))
    const foreign = await provider$.acceptVoucher(terms, other.voucher)
    assert.ok(!foreign.ok && foreign.code === 'Forbidden' && /not for agreement/.test(foreign.reason))
    // A deposit of this requester for another provider, under terms naming that provider: not this node's.
    const elsewhere = await provider$.acceptVoucher({ ...terms, payee: devWallet(3).address.toLowerCase() }, voucher)
    assert.ok(!elsewhere.ok && elsewhere.code === 'Forbidden')
    assert.equal(await bestKept(voucher.depositId), undefined, 'nothing kept')
    assert.deepEqual(await provider$.acceptVoucher(terms, voucher), { ok: true })
    assert.equal(await bestKept(voucher.depositId), parseEther('1'))
  })

  it('refuses a cumulative above the deposit on chain, and reads the chain again when a voucher asks more than the cached amount', async () => {
    const { terms, voucher } = await agreementWithVoucher(parseEther('1'), parseEther('2'))
    assert.deepEqual(await provider.settlement.provider.acceptVoucher(terms, voucher), { ok: true })
    const above = await resigned(voucher, requester.wallet, { cumulative: parseEther('2') + 1n })
    const refused = await provider.settlement.provider.acceptVoucher(terms, above)
    assert.ok(!refused.ok && refused.code === 'Conflict' && /above the deposit/.test(refused.reason))
    // The requester tops up (its own next voucher does it); the provider's cache holds 2 and must look again.
    const topped = await requester.settlement.requester.settleAccepted(terms, 'dn-2', parseEther('3'))
    assert.ok(topped.kind === 'voucher')
    assert.deepEqual(await provider.settlement.provider.acceptVoucher(terms, topped.voucher), { ok: true })
    assert.equal(await bestKept(voucher.depositId), parseEther('3'))
  })

  it('keeps the best voucher: the same one again is fine, an older lower one is taken and the best one stays', async () => {
    const { terms, voucher } = await agreementWithVoucher(parseEther('2'))
    assert.deepEqual(await provider.settlement.provider.acceptVoucher(terms, voucher), { ok: true })
    assert.deepEqual(await provider.settlement.provider.acceptVoucher(terms, voucher), { ok: true }, 'idempotent')
    const lower = await resigned(voucher, requester.wallet, { cumulative: parseEther('1') })
    // Delivered after the later one (its acceptance was retried): covered by the best one, which stays.
    assert.deepEqual(await provider.settlement.provider.acceptVoucher(terms, lower), { ok: true })
    assert.equal(await bestKept(voucher.depositId), parseEther('2'))
    await provider.restart()
    assert.equal(await bestKept(voucher.depositId), parseEther('2'), 'kept across a restart')
    assert.deepEqual(await provider.settlement.provider.acceptVoucher(terms, lower), { ok: true })
    assert.equal(await bestKept(voucher.depositId), parseEther('2'))
    // A lower one is still checked: signed by another key, it is refused.
    const forged = await resigned(voucher, provider.wallet, { cumulative: parseEther('1') })
    const refused = await provider.settlement.provider.acceptVoucher(terms, forged)
    assert.ok(!refused.ok && refused.code === 'Forbidden')
  })

  it('refuses a voucher on a deposit whose deadline is nearer than the claim margin', async () => {
    // The provider wants two days of margin; the deposit ends about a day after the agreement.
    const cautious = new SettlementNode(world, {
      index: 3,
      dir: nodeDir(fixture.dir, 'cautious'),
      init: { ...NEVER_WORTH, claimDeadlineMarginMs: 48 * 3_600_000 }
    })
    await cautious.start()
    try {
      const terms = termsBetween(requester, cautious, { now: Date.now() })
      await requester.settlement.requester.prepare(terms, parseEther('1'))
      const proof = await requester.settlement.requester.settleAccepted(terms, 'dn-1', parseEther('1'))
      assert.ok(proof.kind === 'voucher')
      const refused = await cautious.settlement.provider.acceptVoucher(terms, proof.voucher)
      assert.ok(!refused.ok && refused.code === 'Conflict' && /deadline/.test(refused.reason))
    } finally {
      await cautious.stop()
    }
  })

  it('refuses a voucher for a deposit that is not on chain, and for a platform or mode it does not settle', async () => {
    const terms = termsBetween(requester, provider, { now: Date.now() })
    const { voucher } = await agreementWithVoucher(parseEther('1'))
    // A voucher the requester signs for this agreement's id without ever opening the deposit.
    const { depositIdOf, saltOf } = await import('../../payment/index.ts')
    const salt = saltOf(terms.agreementId)
    const depositId = depositIdOf({ requester: requester.address, provider: provider.address, token: voucher.token, salt }).toLowerCase()
    const unopened = await resigned({ ...voucher, depositId, salt }, requester.wallet)
    const missing = await provider.settlement.provider.acceptVoucher(terms, unopened)
    assert.ok(!missing.ok && missing.code === 'Conflict' && /not on chain/.test(missing.reason))
    const unknown = await provider.settlement.provider.acceptVoucher({ ...terms, platform: 'erc20-nowhere-tglm' }, voucher)
    assert.ok(!unknown.ok && unknown.code === 'BadRequest')
    const direct = await provider.settlement.provider.acceptVoucher({ ...terms, mode: 'direct' }, voucher)
    assert.ok(!direct.ok && direct.code === 'BadRequest')
  })
})
