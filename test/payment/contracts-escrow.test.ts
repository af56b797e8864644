import assert from 'node:assert/strict'
import { hexlify, parseEther, randomBytes, Signature } from 'ethers'
import { compactSignature, depositIdOf, escrowDomain, VOUCHER_TYPES } from '../../payment/index.ts'
import { advanceChainTime, chainTime, type Deployed, deployAll, type LiveContract, mined, type Party, party, revertsWith } from '../helpers/contracts.ts'
import { devChainFixture } from '../helpers/dev-chain.ts'

const HOUR = 3600

describe('payment contracts: escrow with cumulative vouchers (on the dev chain)', function () {
  this.timeout(120_000)
  const fixture = devChainFixture()
  let deployer: Party
  let requester: Party
  let provider: Party
  let stranger: Party
  let c: Deployed
  let otherToken: LiveContract

  const as = (contract: LiveContract, who: Party): LiveContract => contract.connect(who.signer)

  before(async () => {
    deployer = party(0, fixture.provider)
    requester = party(1, fixture.provider)
    provider = party(2, fixture.provider)
    stranger = party(3, fixture.provider)
    c = await deployAll(deployer.signer)
    otherToken = (await deployAll(deployer.signer)).token
    for (const token of [c.token, otherToken]) {
      for (const who of [requester, stranger]) {
        await mined(as(token, who).mint(who.address, parseEther('1000')))
        await mined(as(token, who).approve(await c.escrow.getAddress(), 2n ** 256n - 1n))
      }
    }
  })

  async function open(amount: bigint, options: { token?: LiveContract; deadlineIn?: number; from?: Party } = {}) {
    const token = options.token ?? c.token
    const from = options.from ?? requester
    const key = { requester: from.address, provider: provider.address, token: await token.getAddress(), salt: hexlify(randomBytes(32)) }
    const deadline = (await chainTime(fixture.provider)) + (options.deadlineIn ?? HOUR)
    await mined(as(c.escrow, from).create(key.provider, key.token, key.salt, amount, deadline))
    return { ...key, id: depositIdOf(key), deadline }
  }

  async function domain() {
    return escrowDomain((await fixture.provider.getNetwork()).chainId, await c.escrow.getAddress())
  }

  async function voucher(deposit: { id: string; requester: string; token: string; salt: string }, cumulative: bigint, signer: Party = requester) {
    const signature = await signer.wallet.signTypedData(await domain(), VOUCHER_TYPES, { depositId: deposit.id, cumulative })
    return { requester: deposit.requester, salt: deposit.salt, cumulative, ...compactSignature(signature) }
  }

  async function stored(id: string): Promise<{ amount: bigint; claimed: bigint; deadline: bigint }> {
    const [amount, claimed, deadline] = await c.escrow.deposits(id)
    return { amount, claimed, deadline }
  }

  const balance = (who: Party | string, token: LiveContract = c.token): Promise<bigint> => token.balanceOf(typeof who === 'string' ? who : who.address)

  it('opens a deposit in one slot under the id of requester, provider, token and salt, holding the tokens', async () => {
    const before = await balance(requester)
    const escrowBefore = await balance(await c.escrow.getAddress())
    const deposit = await open(parseEther('5'))
    assert.equal(await c.escrow.depositId(deposit.requester, deposit.provider, deposit.token, deposit.salt), deposit.id)
    assert.deepEqual(await stored(deposit.id), { amount: parseEther('5'), claimed: 0n, deadline: BigInt(deposit.deadline) })
    assert.equal(await balance(requester), before - parseEther('5'))
    assert.equal(await balance(await c.escrow.getAddress()), escrowBefore + parseEther('5'))
    assert.equal(await fixture.provider.getStorage(await c.escrow.getAddress(), BigInt(deposit.id) + 1n), '0x'.padEnd(66, '0'), 'nothing beside the slot')
  })

  it('createMany opens one deposit per provider with a single pull of the total', async () => {
    const providers = [provider, stranger, deployer]
    const salts = providers.map(() => hexlify(randomBytes(32)))
    const amounts = [1n, 20n, 300n]
    const deadline = (await chainTime(fixture.provider)) + HOUR
    const before = await balance(requester)
    const receipt = await mined(
      as(c.escrow, requester).createMany(
        await c.token.getAddress(),
        deadline,
        providers.map((p, i) => ({ provider: p.address, salt: salts[i], amount: amounts[i] }))
      )
    )
    assert.equal(await balance(requester), before - 321n)
    const transfers = receipt.logs.filter(log => log.topics[0] === c.token.interface.getEvent('Transfer')?.topicHash)
    assert.equal(transfers.length, 1, 'one transfer for the whole batch')
    for (const [i, p] of providers.entries()) {
      const id = depositIdOf({ requester: requester.address, provider: p.address, token: await c.token.getAddress(), salt: salts[i]! })
      assert.deepEqual(await stored(id), { amount: amounts[i], claimed: 0n, deadline: BigInt(deadline) })
    }
  })

  it('the provider claims the delta of each newer cumulative voucher', async () => {
    const deposit = await open(parseEther('3'))
    const start = await balance(provider)
    await mined(as(c.escrow, provider).claim(c.token.target, await voucher(deposit, parseEther('1'))))
    assert.equal(await balance(provider), start + parseEther('1'))
    await mined(as(c.escrow, provider).claim(c.token.target, await voucher(deposit, parseEther('2.5'))))
    assert.equal(await balance(provider), start + parseEther('2.5'))
    assert.equal((await stored(deposit.id)).claimed, parseEther('2.5'))
  })

  it('claimMany claims deposits of several requesters in one token with one transfer; another token’s deposits need their own call', async () => {
    const a = await open(100n)
    const b = await open(200n, { from: stranger })
    const d = await open(400n, { token: otherToken })
    const start = await balance(provider)
    const claimAll = as(c.escrow, provider).claimMany(c.token.target, [await voucher(a, 60n), await voucher(b, 200n, stranger)])
    const receipt = await mined(claimAll)
    assert.equal(await balance(provider), start + 260n)
    assert.equal(receipt.logs.filter(log => log.topics[0] === c.token.interface.getEvent('Transfer')?.topicHash).length, 1)
    assert.deepEqual([(await stored(a.id)).claimed, (await stored(b.id)).claimed], [60n, 200n])
    await revertsWith(as(c.escrow, provider).claimMany(c.token.target, [await voucher(d, 1n)]), 'UnknownDeposit')
    const startOther = await balance(provider, otherToken)
    await mined(as(c.escrow, provider).claimMany(otherToken.target, [await voucher(d, 1n)]))
    assert.equal(await balance(provider, otherToken), startOther + 1n)
  })

  it('refuses a replayed voucher and an older one, and changes nothing', async () => {
    const deposit = await open(100n)
    const first = await voucher(deposit, 40n)
    const older = await voucher(deposit, 30n)
    await mined(as(c.escrow, provider).claim(c.token.target, first))
    const before = await balance(provider)
    await revertsWith(as(c.escrow, provider).claim(c.token.target, first), 'VoucherAlreadyClaimed')
    await revertsWith(as(c.escrow, provider).claim(c.token.target, older), 'StaleVoucher')
    const fifty = await voucher(deposit, 50n)
    await revertsWith(as(c.escrow, provider).claimMany(c.token.target, [fifty, fifty]), 'VoucherAlreadyClaimed', [50n])
    await revertsWith(as(c.escrow, provider).claimMany(c.token.target, [fifty, first]), 'StaleVoucher', [40n, 50n])
    assert.equal(await balance(provider), before)
    assert.equal((await stored(deposit.id)).claimed, 40n)
  })

  it('refuses a voucher signed by anyone but the requester, for another deposit, or in its malleable form', async () => {
    const deposit = await open(100n)
    const other = await open(100n)
    await revertsWith(as(c.escrow, provider).claim(c.token.target, await voucher(deposit, 10n, provider)), 'BadSignature')
    await revertsWith(as(c.escrow, provider).claim(c.token.target, await voucher(deposit, 10n, stranger)), 'BadSignature')
    const forOther = await voucher(other, 10n)
    await revertsWith(as(c.escrow, provider).claim(c.token.target, { ...forOther, salt: deposit.salt }), 'BadSignature')
    const good = await voucher(deposit, 10n)
    await revertsWith(as(c.escrow, provider).claim(c.token.target, { ...good, cumulative: 11n }), 'BadSignature')
    // the same signature with s replaced by n - s and the parity flipped: valid for ecrecover, refused by EIP-2
    const sig = Signature.from({ r: good.r, yParityAndS: good.vs })
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n
    const twin = ((sig.yParity === 0 ? 1n : 0n) << 255n) | (n - BigInt(sig.s))
    await revertsWith(as(c.escrow, provider).claim(c.token.target, { ...good, vs: `0x${twin.toString(16).padStart(64, '0')}` }), 'BadSignature')
    assert.equal((await stored(deposit.id)).claimed, 0n)
    await mined(as(c.escrow, provider).claim(c.token.target, good))
    assert.equal((await stored(deposit.id)).claimed, 10n)
  })

  it('refuses a voucher for a deposit of another chain or escrow contract (EIP-712 domain)', async () => {
    const deposit = await open(100n)
    const elsewhere = escrowDomain(1n, await c.escrow.getAddress())
    const signature = await requester.wallet.signTypedData(elsewhere, VOUCHER_TYPES, { depositId: deposit.id, cumulative: 5n })
    const claim = { requester: deposit.requester, salt: deposit.salt, cumulative: 5n, ...compactSignature(signature) }
    await revertsWith(as(c.escrow, provider).claim(c.token.target, claim), 'BadSignature')
    const digest = await c.escrow.voucherDigest(deposit.id, 5n)
    const { TypedDataEncoder } = await import('ethers')
    assert.equal(digest, TypedDataEncoder.hash(await domain(), VOUCHER_TYPES, { depositId: deposit.id, cumulative: 5n }))
  })

  it('refuses a third party submitting the provider’s voucher: deposits are keyed by their provider', async () => {
    const deposit = await open(100n)
    const claim = await voucher(deposit, 10n)
    await revertsWith(as(c.escrow, stranger).claim(c.token.target, claim), 'UnknownDeposit')
    await revertsWith(as(c.escrow, requester).claim(c.token.target, claim), 'UnknownDeposit')
    assert.equal((await stored(deposit.id)).claimed, 0n)
  })

  it('refuses a cumulative total above the deposit', async () => {
    const deposit = await open(100n)
    await revertsWith(as(c.escrow, provider).claim(c.token.target, await voucher(deposit, 101n)), 'ExceedsDeposit')
    await mined(as(c.escrow, provider).claim(c.token.target, await voucher(deposit, 100n)))
    assert.equal((await stored(deposit.id)).claimed, 100n)
  })

  it('a top-up raises the deposit and may extend, never shorten, its deadline', async () => {
    const deposit = await open(100n)
    await revertsWith(as(c.escrow, provider).claim(c.token.target, await voucher(deposit, 150n)), 'ExceedsDeposit')
    await revertsWith(as(c.escrow, requester).topUp(deposit.provider, deposit.token, deposit.salt, 50n, deposit.deadline - 1), 'DeadlineShortened')
    await mined(as(c.escrow, requester).topUp(deposit.provider, deposit.token, deposit.salt, 50n, deposit.deadline + HOUR))
    assert.deepEqual(await stored(deposit.id), { amount: 150n, claimed: 0n, deadline: BigInt(deposit.deadline + HOUR) })
    await mined(as(c.escrow, provider).claim(c.token.target, await voucher(deposit, 150n)))
    await revertsWith(as(c.escrow, stranger).topUp(deposit.provider, deposit.token, deposit.salt, 1n, deposit.deadline + HOUR), 'UnknownDeposit')
  })

  it('refuses opening a deposit twice, with no amount, or with a deadline already passed', async () => {
    const deposit = await open(100n)
    const escrow = as(c.escrow, requester)
    await revertsWith(escrow.create(deposit.provider, deposit.token, deposit.salt, 1n, deposit.deadline), 'DepositExists')
    await revertsWith(escrow.create(deposit.provider, deposit.token, hexlify(randomBytes(32)), 0n, deposit.deadline), 'ZeroAmount')
    await revertsWith(escrow.create(deposit.provider, deposit.token, hexlify(randomBytes(32)), 1n, await chainTime(fixture.provider)), 'DeadlineInPast')
    await revertsWith(escrow.createMany(deposit.token, deposit.deadline, []), 'BatchSize')
    assert.equal((await stored(deposit.id)).amount, 100n)
  })

  it('before the deadline the requester cannot reclaim; after it the provider cannot claim and the requester takes the rest once', async () => {
    const deposit = await open(100n, { deadlineIn: 2 * HOUR })
    const late = await voucher(deposit, 70n)
    await mined(as(c.escrow, provider).claim(c.token.target, await voucher(deposit, 30n)))
    await revertsWith(as(c.escrow, requester).reclaim(deposit.provider, deposit.token, deposit.salt), 'DeadlineNotReached')
    await advanceChainTime(fixture.provider, 2 * HOUR)
    await revertsWith(as(c.escrow, provider).claim(c.token.target, late), 'DeadlinePassed')
    const before = await balance(requester)
    await mined(as(c.escrow, requester).reclaim(deposit.provider, deposit.token, deposit.salt))
    assert.equal(await balance(requester), before + 70n)
    assert.deepEqual(await stored(deposit.id), { amount: 30n, claimed: 30n, deadline: BigInt(deposit.deadline) })
    await revertsWith(as(c.escrow, requester).reclaim(deposit.provider, deposit.token, deposit.salt), 'NothingToReclaim')
    await revertsWith(as(c.escrow, stranger).reclaim(deposit.provider, deposit.token, deposit.salt), 'UnknownDeposit')
    // a top-up reopens it with the claimed total kept: the reclaimed voucher cannot pay again, a newer one pays its delta
    await mined(as(c.escrow, requester).topUp(deposit.provider, deposit.token, deposit.salt, 10n, (await chainTime(fixture.provider)) + HOUR))
    await revertsWith(as(c.escrow, provider).claim(c.token.target, await voucher(deposit, 30n)), 'VoucherAlreadyClaimed')
    await revertsWith(as(c.escrow, provider).claim(c.token.target, late), 'ExceedsDeposit')
    const providerBefore = await balance(provider)
    await mined(as(c.escrow, provider).claim(c.token.target, await voucher(deposit, 40n)))
    assert.equal(await balance(provider), providerBefore + 10n)
  })
})
