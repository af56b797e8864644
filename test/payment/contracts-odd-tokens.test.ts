import assert from 'node:assert/strict'
import { ContractFactory, hexlify, type InterfaceAbi, randomBytes, Wallet } from 'ethers'
import { compileSources } from '../../payment/contracts/compile.ts'
import { documentsHashOf, packPayment } from '../../payment/index.ts'
import { chainTime, type Deployed, deployAll, type LiveContract, mined, type Party, party, revertsWith } from '../helpers/contracts.ts'
import { devChainFixture } from '../helpers/dev-chain.ts'

// Tokens as some deployed ones behave: one whose transfer functions return nothing (USDT-style), and one
// that answers false instead of reverting. Compiled here with the project's pinned compiler.
const ODD_TOKENS = `// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;
contract SilentToken {
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;
    function mint(address to, uint256 v) external { balanceOf[to] += v; }
    function approve(address s, uint256 v) external { allowance[msg.sender][s] = v; }
    function transfer(address to, uint256 v) external { balanceOf[msg.sender] -= v; balanceOf[to] += v; }
    function transferFrom(address f, address to, uint256 v) external { allowance[f][msg.sender] -= v; balanceOf[f] -= v; balanceOf[to] += v; }
}
contract FalseToken {
    function approve(address, uint256) external pure returns (bool) { return true; }
    function transfer(address, uint256) external pure returns (bool) { return false; }
    function transferFrom(address, address, uint256) external pure returns (bool) { return false; }
}
`

describe('payment contracts: tokens that return nothing or false (on the dev chain)', function () {
  this.timeout(180_000)
  const fixture = devChainFixture()
  let payer: Party
  let c: Deployed
  let silent: LiveContract
  let falsy: LiveContract

  before(async () => {
    payer = party(1, fixture.provider)
    c = await deployAll(party(0, fixture.provider).signer)
    const compiled = compileSources({ 'OddTokens.sol': { content: ODD_TOKENS } })['OddTokens.sol']!
    const deploy = async (name: string): Promise<LiveContract> => {
      const artifact = compiled[name]!
      const contract = await new ContractFactory(artifact.abi as InterfaceAbi, artifact.bytecode, payer.signer).deploy()
      await contract.waitForDeployment()
      return contract
    }
    silent = await deploy('SilentToken')
    falsy = await deploy('FalseToken')
    await mined(silent.mint(payer.address, 1000n))
    await mined(silent.approve(c.payouts.target, 1000n))
    await mined(silent.approve(c.escrow.target, 1000n))
  })

  it('pays a batch and opens a deposit in a token that returns nothing', async () => {
    const [a, b] = [Wallet.createRandom().address, Wallet.createRandom().address]
    await mined(
      c.payouts
        .connect(payer.signer)
        .payBatch(silent.target, documentsHashOf(['silent']), [packPayment({ payee: a, amount: 3n }), packPayment({ payee: b, amount: 4n })])
    )
    assert.deepEqual([await silent.balanceOf(a), await silent.balanceOf(b), await silent.balanceOf(payer.address)], [3n, 4n, 993n])
    const deadline = (await chainTime(fixture.provider)) + 3600
    await mined(c.escrow.connect(payer.signer).create(a, silent.target, hexlify(randomBytes(32)), 10n, deadline))
    assert.equal(await silent.balanceOf(c.escrow.target), 10n)
  })

  it('refuses a token that answers false, and an address with no code, as TokenTransferFailed', async () => {
    const payee = Wallet.createRandom().address
    const words = [packPayment({ payee, amount: 1n })]
    await revertsWith(c.payouts.connect(payer.signer).payBatch(falsy.target, documentsHashOf(['false']), words), 'TokenTransferFailed', [falsy.target])
    const noCode = Wallet.createRandom().address
    await revertsWith(c.payouts.connect(payer.signer).payBatch(noCode, documentsHashOf(['no code']), words), 'TokenTransferFailed', [noCode])
    const deadline = (await chainTime(fixture.provider)) + 3600
    await revertsWith(c.escrow.connect(payer.signer).create(payee, falsy.target, hexlify(randomBytes(32)), 1n, deadline), 'TokenTransferFailed')
    assert.equal(await c.payouts.paid(await c.payouts.batchIdOf(payer.address, falsy.target, documentsHashOf(['false']))), false)
  })
})
