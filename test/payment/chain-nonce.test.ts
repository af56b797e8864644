import assert from 'node:assert/strict'
import { NonceManager, Wallet } from 'ethers'
import { ChainError, devNetworkConfig, devWallet, MAX_TRANSACTION_GAS, NonceLane, NonceLanes, parseNetworkConfig } from '../../payment/index.ts'
import type { SignedTransaction } from '../../payment/index.ts'
import { devChainFixture } from '../helpers/dev-chain.ts'

// Runtime code that reverts on every call: PUSH1 0 PUSH1 0 REVERT.
const ALWAYS_REVERTS = '0x60006000fd'
const REVERTER = '0x00000000000000000000000000000000000dead1'
const fees = parseNetworkConfig(devNetworkConfig('http://127.0.0.1:1', '0x5FbDB2315678afecb367f032d93F642f64180aa3')).fees
const isCode = (code: string) => (err: unknown) => err instanceof ChainError && err.code === code

describe('payment: nonce lanes', function () {
  this.timeout(120_000)

  describe('with a chain that mines each transaction', () => {
    const fixture = devChainFixture()
    before(async () => {
      await fixture.provider.send('anvil_setCode', [REVERTER, ALWAYS_REVERTS])
    })

    it('a reverting transaction between two good ones takes no nonce: no gap, both mined', async () => {
      const key = devWallet(3)
      const lane = new NonceLane({ provider: fixture.provider, signer: key }, { chainId: fixture.chain.chainId, fees })
      const first = await lane.send({ to: Wallet.createRandom().address, value: 1n })
      await assert.rejects(lane.send({ to: REVERTER, data: '0x01' }), isCode('Conflict'))
      const second = await lane.send({ to: Wallet.createRandom().address, value: 1n })
      assert.deepEqual([first.nonce, second.nonce], [0, 1])
      assert.equal((await fixture.provider.waitForTransaction(second.hash, 1, 60_000))?.status, 1)
      assert.equal(await fixture.provider.getTransactionCount(key.address, 'latest'), 2)
    })

    it('(why: ethers’ NonceManager burns the nonce of a reverting estimate, leaving a gap)', async () => {
      const key = devWallet(4).connect(fixture.provider)
      const manager = new NonceManager(key)
      await assert.rejects(manager.sendTransaction({ to: REVERTER, data: '0x01' }))
      const next = await manager.sendTransaction({ to: Wallet.createRandom().address, value: 1n })
      assert.equal(next.nonce, 1)
      assert.equal(await fixture.provider.getTransactionCount(key.address, 'latest'), 0)
    })

    it('concurrent sends get consecutive nonces in call order, also with failures among them', async () => {
      const key = devWallet(5)
      const lane = new NonceLanes({ provider: fixture.provider }, { chainId: fixture.chain.chainId, fees }).laneFor(key)
      const sends = Array.from({ length: 12 }, (_, i) =>
        lane.send(i % 4 === 2 ? { to: REVERTER, data: '0x01' } : { to: Wallet.createRandom().address, value: BigInt(i + 1) })
      )
      const outcomes = await Promise.allSettled(sends)
      const sent = outcomes.filter((o): o is PromiseFulfilledResult<SignedTransaction> => o.status === 'fulfilled').map(o => o.value)
      assert.equal(outcomes.filter(o => o.status === 'rejected').length, 3)
      assert.deepEqual(
        sent.map(s => s.nonce),
        Array.from({ length: 9 }, (_, i) => i)
      )
      await fixture.provider.waitForTransaction(sent.at(-1)!.hash, 1, 60_000)
      assert.equal(await fixture.provider.getTransactionCount(key.address, 'latest'), 9)
    })

    it('refuses a recipient that is not an address, before anything else', async () => {
      const lane = new NonceLane({ provider: fixture.provider, signer: devWallet(8) }, { chainId: fixture.chain.chainId, fees })
      await assert.rejects(lane.send({ to: '0x00000000000000000000000000000000000DeAd1' }), isCode('BadRequest'))
      await assert.rejects(lane.send({ to: 'nobody' }), isCode('BadRequest'))
    })

    it('one key has one lane', () => {
      const lanes = new NonceLanes({ provider: fixture.provider }, { chainId: fixture.chain.chainId, fees })
      assert.equal(lanes.laneFor(devWallet(6)), lanes.laneFor(new Wallet(devWallet(6).privateKey)))
      assert.notEqual(lanes.laneFor(devWallet(6)), lanes.laneFor(devWallet(7)))
    })

    it('refuses a gas limit above the per-transaction cap of 2^24 before signing anything', async () => {
      let signed = 0
      const key = devWallet(8)
      const signer = {
        address: key.address,
        signTransaction: async (tx: any) => {
          signed++
          return key.signTransaction(tx)
        }
      }
      const lane = new NonceLane({ provider: fixture.provider, signer }, { chainId: fixture.chain.chainId, fees })
      await assert.rejects(lane.send({ to: REVERTER, gasLimit: MAX_TRANSACTION_GAS + 1n }), isCode('BadRequest'))
      assert.equal(signed, 0)
    })

    it('a failure to record the transaction sends nothing and takes no nonce', async () => {
      const key = devWallet(9)
      let fail = true
      const journal = {
        record: async () => {
          if (fail) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' })
        },
        forget: async () => {}
      }
      const lane = new NonceLane({ provider: fixture.provider, signer: key }, { chainId: fixture.chain.chainId, fees, journal })
      await assert.rejects(
        lane.send({ to: Wallet.createRandom().address, value: 1n }),
        (err: unknown) => (err as { code?: string }).code === 'InsufficientStorage'
      )
      assert.equal(await fixture.provider.getTransactionCount(key.address, 'pending'), 0)
      fail = false
      assert.equal((await lane.send({ to: Wallet.createRandom().address, value: 1n })).nonce, 0)
    })
  })

  describe('with mining off (transactions wait in the pool)', () => {
    const fixture = devChainFixture({ noMining: true })

    it('a new lane for the same key (a restart) resumes from the pending count, not the mined one', async () => {
      const key = devWallet(1)
      const init = { chainId: fixture.chain.chainId, fees }
      const before = new NonceLane({ provider: fixture.provider, signer: key }, init)
      for (let i = 0; i < 3; i++) await before.send({ to: Wallet.createRandom().address, value: 1n })
      assert.equal(await fixture.provider.getTransactionCount(key.address, 'latest'), 0)

      const after = new NonceLane({ provider: fixture.provider, signer: key }, init)
      const resumed = await after.send({ to: Wallet.createRandom().address, value: 1n })
      assert.equal(resumed.nonce, 3)
      await fixture.provider.send('evm_mine', [])
      assert.equal((await fixture.provider.getTransactionReceipt(resumed.hash))?.status, 1)
      assert.equal(await fixture.provider.getTransactionCount(key.address, 'latest'), 4)
    })
  })
})
