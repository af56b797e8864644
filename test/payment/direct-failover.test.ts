import assert from 'node:assert/strict'
import { Wallet } from 'ethers'
import { devWallet, FailoverProvider, NonceLane, TxJournal } from '../../payment/index.ts'
import { devChainFixture } from '../helpers/dev-chain.ts'
import { type DirectRig, directRig, freshPayees } from '../helpers/direct-payouts.ts'
import { type Failure, flakyRpc } from '../helpers/flaky-rpc.ts'

/** Which of the calls other than broadcasts fail (`n` counts from 1). */
function readFailure(n: number): Failure | undefined {
  if (n === 1) return 'refuse'
  if (n === 2) return 'cut'
  return n % 3 === 0 ? (n % 2 === 0 ? 'refuse' : 'cut') : undefined
}

describe('payment: direct payouts over a failing RPC endpoint', function () {
  this.timeout(180_000)
  const fixture = devChainFixture()
  let rig: DirectRig

  before(async () => {
    rig = await directRig(fixture.provider, fixture.chain.rpcUrl)
  })
  after(async () => {
    await rig?.close()
  })

  it('a broadcast that reached the node but whose answer was cut stays journalled: the next URL finds it known', async () => {
    let cut = false
    const proxy = await flakyRpc(fixture.chain.rpcUrl, ({ method }) => {
      if (method !== 'eth_sendRawTransaction' || cut) return undefined
      cut = true
      return 'cut-after-forward'
    })
    const provider = new FailoverProvider({}, { rpcUrls: [proxy.url, fixture.chain.rpcUrl], chainId: fixture.chain.chainId, coolDownMs: 0 })
    try {
      const journal = new TxJournal({ db: (await rig.database('lane')) as never })
      const key = devWallet(1)
      const lane = new NonceLane({ provider, signer: key }, { chainId: fixture.chain.chainId, fees: rig.network.fees, journal })
      const to = Wallet.createRandom().address
      const sent = await lane.send({ to, value: 5n })
      assert.deepEqual(proxy.failed, [{ method: 'eth_sendRawTransaction', failure: 'cut-after-forward' }])
      assert.deepEqual(
        (await journal.pending()).map(tx => tx.hash),
        [sent.hash],
        'the journal keeps what the node holds'
      )
      assert.equal((await fixture.provider.waitForTransaction(sent.hash, 1, 60_000))?.status, 1)
      assert.equal(await fixture.provider.getBalance(to), 5n)
    } finally {
      provider.destroy()
      await proxy.close()
    }
  })

  it('an endpoint failing a share of calls, first of two URLs: every payout paid once, through the fallback', async () => {
    const index = 2
    await rig.mint(devWallet(index).address, 10n ** 21n)
    // Counted per kind of call, so which calls fail does not depend on how reads and broadcasts interleave:
    // the 1st, 3rd, … broadcast reaches the node and loses its answer; of the other calls the 1st is refused,
    // the 2nd cut, and from then on every third fails, refused and cut by turns.
    let sends = 0
    let reads = 0
    const proxy = await flakyRpc(fixture.chain.rpcUrl, ({ method }) => {
      if (method === 'eth_sendRawTransaction') return sends++ % 2 === 0 ? 'cut-after-forward' : undefined
      return readFailure(++reads)
    })
    const provider = new FailoverProvider(
      {},
      { rpcUrls: [proxy.url, fixture.chain.rpcUrl], chainId: fixture.chain.chainId, coolDownMs: 0, pollingIntervalMs: 50 }
    )
    try {
      const { payer, paid, failed } = rig.payer(index, (await rig.database('payer')) as never, { provider, init: { maxPayeesPerBatch: 3 } })
      const before = await fixture.provider.getTransactionCount(payer.address, 'latest')
      const payees = freshPayees(8)
      for (const [i, payee] of payees.entries()) {
        await payer.enqueue({ documentId: `f-${i}`, agreementId: 'agr-f', platform: rig.network.platform, payee, amount: BigInt(1_000 + i) })
        await payer.enqueue({ documentId: `g-${i}`, agreementId: 'agr-g', platform: rig.network.platform, payee, amount: 1n })
      }
      await payer.payNow()
      assert.deepEqual(failed, [])
      assert.equal(paid.length, 8)
      for (const [i, payee] of payees.entries()) assert.equal(await rig.balanceOf(payee), BigInt(1_001 + i), `payee ${i} is paid exactly once`)
      const batches = [...new Set(paid.map(p => p.batchId))]
      assert.equal(batches.length, 3)
      for (const batchId of batches) assert.equal(await rig.contracts.token.paid(batchId), true)
      assert.equal(await fixture.provider.getTransactionCount(payer.address, 'latest'), before + 3, 'one transaction per batch, none twice')
      const failures = (kind: Failure) => proxy.failed.filter(f => f.failure === kind).length
      assert.equal(failures('cut-after-forward'), Math.ceil(sends / 2), 'every other broadcast lost its answer')
      assert.ok(sends >= 3, `three batches broadcast at least once each, not ${sends} broadcasts`)
      assert.equal(failures('refuse') + failures('cut'), [...Array(reads).keys()].filter(i => readFailure(i + 1) !== undefined).length)
      assert.ok(failures('refuse') >= 1 && failures('cut') >= 1, 'both kinds of failure happened')
      assert.ok(proxy.seen.length > proxy.failed.length, 'the endpoint also served calls')
      assert.deepEqual(await payer.payNow(), [])
    } finally {
      provider.destroy()
      await proxy.close()
    }
  })
})
