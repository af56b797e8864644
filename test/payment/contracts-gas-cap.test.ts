import assert from 'node:assert/strict'
import { hexlify, parseEther, randomBytes, Wallet } from 'ethers'
import {
  compactSignature,
  depositIdOf,
  documentsHashOf,
  escrowDomain,
  MAX_BATCH,
  MAX_TRANSACTION_GAS,
  packPayment,
  VOUCHER_TYPES
} from '../../payment/index.ts'
import { chainTime, type Deployed, deployAll, mined, type Party, party } from '../helpers/contracts.ts'
import { devChainFixture } from '../helpers/dev-chain.ts'

// The dev chain does not enforce EIP-7825's cap of 2^24 gas per transaction; the contracts bound their
// batches (MAX_BATCH) so that the largest batch, in its most expensive form (fresh payees, fresh slots), fits.
describe('payment contracts: the largest batches fit the 2^24 gas cap per transaction (on the dev chain)', function () {
  this.timeout(300_000)
  const fixture = devChainFixture()
  let requester: Party
  let provider: Party
  let c: Deployed

  before(async () => {
    requester = party(1, fixture.provider)
    provider = party(2, fixture.provider)
    c = await deployAll(party(0, fixture.provider).signer)
    const token = c.token.connect(requester.signer)
    await mined(token.mint(requester.address, parseEther('1000000')))
    await mined(token.approve(c.escrow.target, parseEther('1000000')))
    await mined(token.approve(c.payouts.target, parseEther('1000000')))
  })

  const amount = (): bigint => 10n ** 17n + (BigInt(hexlify(randomBytes(12))) % 10n ** 18n)
  const fresh = (): bigint[] => Array.from({ length: MAX_BATCH }, () => packPayment({ payee: Wallet.createRandom().address, amount: amount() }))
  const documents = (tag: string): string => documentsHashOf(Array.from({ length: MAX_BATCH }, (_, i) => `${tag}-${i}`))

  async function withinCap(send: Promise<any>): Promise<bigint> {
    const receipt = await mined(send)
    assert.ok(receipt.gasUsed <= MAX_TRANSACTION_GAS, `${receipt.gasUsed} gas is above the cap`)
    return receipt.gasUsed
  }

  it('a full payout batch to fresh payees, on both paths', async () => {
    await withinCap(c.payouts.connect(requester.signer).payBatch(c.token.target, documents('any'), fresh()))
    await withinCap(c.token.connect(requester.signer).payBatch(documents('cheapest'), fresh()))
  })

  it('a full createMany and a full claimMany', async () => {
    const deadline = (await chainTime(fixture.provider)) + 86_400
    const openings = Array.from({ length: MAX_BATCH }, () => ({ provider: provider.address, salt: hexlify(randomBytes(32)), amount: amount() }))
    await withinCap(c.escrow.connect(requester.signer).createMany(c.token.target, deadline, openings))
    const domain = escrowDomain(BigInt(fixture.chain.chainId), String(c.escrow.target))
    const claims = []
    for (const o of openings) {
      const depositId = depositIdOf({ requester: requester.address, provider: provider.address, token: String(c.token.target), salt: o.salt })
      const signature = await requester.wallet.signTypedData(domain, VOUCHER_TYPES, { depositId, cumulative: o.amount })
      claims.push({ requester: requester.address, salt: o.salt, cumulative: o.amount, ...compactSignature(signature) })
    }
    const before: bigint = await c.token.balanceOf(provider.address)
    await withinCap(c.escrow.connect(provider.signer).claimMany(c.token.target, claims))
    assert.equal(await c.token.balanceOf(provider.address), before + openings.reduce((sum, o) => sum + o.amount, 0n))
  })
})
