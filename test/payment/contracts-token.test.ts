import assert from 'node:assert/strict'
import { MaxUint256, parseEther, Wallet } from 'ethers'
import { deployAll, type LiveContract, mined, type Party, party, revertsWith } from '../helpers/contracts.ts'
import { devChainFixture } from '../helpers/dev-chain.ts'

describe('payment contracts: the test token (on the dev chain)', function () {
  this.timeout(120_000)
  const fixture = devChainFixture()
  let alice: Party
  let bob: Party
  let token: LiveContract

  const as = (who: Party): LiveContract => token.connect(who.signer)

  before(async () => {
    alice = party(1, fixture.provider)
    bob = party(2, fixture.provider)
    token = (await deployAll(party(0, fixture.provider).signer)).token
  })

  it('is an ERC-20 with 18 decimals whose faucet mints to anyone, up to a bound per call', async () => {
    assert.equal(await token.decimals(), 18n)
    assert.equal(await token.symbol(), 'tAGR')
    await mined(as(bob).mint(alice.address, parseEther('100')))
    assert.equal(await token.balanceOf(alice.address), parseEther('100'))
    assert.equal(await token.totalSupply(), parseEther('100'))
    const limit: bigint = await token.FAUCET_LIMIT()
    await revertsWith(as(bob).mint(alice.address, limit + 1n), 'FaucetLimitExceeded', [limit])
    await revertsWith(as(bob).mint('0x0000000000000000000000000000000000000000', 1n), 'InvalidReceiver')
    assert.equal(await token.totalSupply(), parseEther('100'))
  })

  it('transfers, and refuses a transfer above the balance', async () => {
    const to = Wallet.createRandom().address
    await mined(as(alice).transfer(to, 5n))
    assert.equal(await token.balanceOf(to), 5n)
    const holds: bigint = await token.balanceOf(alice.address)
    await revertsWith(as(alice).transfer(to, holds + 1n), 'InsufficientBalance', [holds, holds + 1n])
    assert.equal(await token.balanceOf(to), 5n)
  })

  it('transferFrom spends the allowance (an unlimited one stays), and refuses beyond it', async () => {
    const to = Wallet.createRandom().address
    await mined(as(alice).approve(bob.address, 10n))
    await mined(as(bob).transferFrom(alice.address, to, 4n))
    assert.equal(await token.allowance(alice.address, bob.address), 6n)
    await revertsWith(as(bob).transferFrom(alice.address, to, 7n), 'InsufficientAllowance', [6n, 7n])
    await mined(as(alice).approve(bob.address, MaxUint256))
    await mined(as(bob).transferFrom(alice.address, to, 6n))
    assert.equal(await token.allowance(alice.address, bob.address), MaxUint256)
    assert.equal(await token.balanceOf(to), 10n)
  })
})
