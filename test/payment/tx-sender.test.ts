import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Wallet } from 'ethers'
import { Level } from 'level'
import type { RawRecordStore } from '../../net/index.ts'
import { ChainError, devNetworkConfig, devWallet, parseNetworkConfig, TxSender } from '../../payment/index.ts'
import type { FeePolicy, SignedTransaction, TxIntent, TxSenderInit } from '../../payment/index.ts'
import { deployAll, type Deployed } from '../helpers/contracts.ts'
import { devChainFixture } from '../helpers/dev-chain.ts'
import { crashingStore } from '../helpers/crashing-store.ts'
import { eventually } from '../helpers/wait.ts'

const devFees = parseNetworkConfig(devNetworkConfig('http://127.0.0.1:1', '0x5FbDB2315678afecb367f032d93F642f64180aa3')).fees
const GWEI = 1_000_000_000n

describe('payment: the exactly-once transaction sender', function () {
  this.timeout(180_000)
  const fixture = devChainFixture({ accounts: 20 })
  let contracts: Deployed
  let dir: string
  let db: Level<string, string>
  let n = 0
  const senders: TxSender[] = []

  before(async () => {
    contracts = await deployAll(fixture.wallet(0))
    dir = await mkdtemp(join(tmpdir(), 'agora-tx-sender-'))
  })
  after(async () => {
    await rm(dir, { recursive: true, force: true })
  })
  beforeEach(async () => {
    db = new Level(join(dir, `db-${n++}`))
    await db.open()
  })
  afterEach(async () => {
    for (const sender of senders.splice(0)) await sender.stop()
    await fixture.provider.send('evm_setAutomine', [true])
    await db.close()
  })

  function senderFor(index: number, init: Partial<TxSenderInit> = {}, store: RawRecordStore = db as never): TxSender {
    const sender = new TxSender(
      { provider: fixture.provider, signer: devWallet(index), db: store },
      { chainId: fixture.chain.chainId, fees: devFees, confirmations: 0, pollMs: 20, replaceAfterBlocks: 2, replaceAfterMs: 3_600_000, ...init }
    )
    senders.push(sender)
    return sender
  }

  function mintIntent(id: string, to: string, amount: bigint): TxIntent {
    return { id, to: contracts.token.target as string, data: contracts.token.interface.encodeFunctionData('mint', [to, amount]) }
  }

  const balanceOf = async (who: string): Promise<bigint> => (await contracts.token.balanceOf(who)) as bigint
  const mine = async (): Promise<void> => {
    await fixture.provider.send('evm_mine', [])
  }
  /** The transactions the sender hands to the node, in order. */
  function broadcasts(sender: TxSender): SignedTransaction[] {
    const seen: SignedTransaction[] = []
    sender.addEventListener('tx:broadcast', event => seen.push(event.detail))
    return seen
  }

  it('mines an intent once; asking again with its id answers from the record and sends nothing', async () => {
    const sender = senderFor(1)
    const to = Wallet.createRandom().address
    const first = await sender.send(mintIntent('mint-1', to, 500n))
    assert.equal(first.kind, 'mined')
    assert.equal(first.kind === 'mined' && first.receipt.status, 1)
    const again = await sender.send(mintIntent('mint-1', to, 500n))
    assert.equal(again.kind === 'mined' && again.hash, first.kind === 'mined' && first.hash)
    assert.equal(await balanceOf(to), 500n)
    assert.equal(await fixture.provider.getTransactionCount(sender.address, 'latest'), 1)
  })

  it('two sends of one new id at once start it once', async () => {
    const sender = senderFor(9)
    const to = Wallet.createRandom().address
    const [first, second] = await Promise.all([sender.send(mintIntent('twice', to, 3n)), sender.send(mintIntent('twice', to, 3n))])
    assert.equal(first.kind === 'mined' && first.hash, second.kind === 'mined' && second.hash)
    assert.equal(await balanceOf(to), 3n)
    assert.equal(await fixture.provider.getTransactionCount(sender.address, 'latest'), 1)
  })

  it('refuses an id reused for another call, and bad intents, before anything is signed', async () => {
    const sender = senderFor(2)
    const to = Wallet.createRandom().address
    await sender.send(mintIntent('mint-2', to, 1n))
    await assert.rejects(sender.send(mintIntent('mint-2', to, 2n)), (err: unknown) => err instanceof ChainError && err.code === 'Conflict')
    await assert.rejects(sender.send({ id: 'has space', to, data: '0x' }), (err: unknown) => err instanceof ChainError && err.code === 'BadRequest')
    await assert.rejects(sender.send({ id: 'x', to: '0x1234', data: '0x' }), (err: unknown) => err instanceof ChainError && err.code === 'BadRequest')
    assert.equal(await fixture.provider.getTransactionCount(sender.address, 'latest'), 1)
  })

  it('a reverting intent fails clearly and takes no nonce', async () => {
    const sender = senderFor(2)
    // Minting above the faucet limit reverts at the estimate.
    const intent = mintIntent('too-much', Wallet.createRandom().address, 10n ** 40n)
    await assert.rejects(sender.send(intent), (err: unknown) => err instanceof ChainError && err.code === 'Conflict')
    assert.equal(await fixture.provider.getTransactionCount(sender.address, 'pending'), 1)
  })

  it('resolves once the confirmations (blocks after the one that mined it) are on top', async () => {
    await fixture.provider.send('evm_setAutomine', [false])
    let polls = 0
    // Counts the sender's looks at the head: after two of them, it has decided on the block just mined.
    const counting = new Proxy(fixture.provider, {
      get(target, property) {
        if (property === 'getBlockNumber') {
          return async () => {
            polls++
            return await target.getBlockNumber()
          }
        }
        const value = Reflect.get(target, property)
        return typeof value === 'function' ? value.bind(target) : value
      }
    })
    const sender = new TxSender(
      { provider: counting, signer: devWallet(10), db: db as never },
      { chainId: fixture.chain.chainId, fees: devFees, confirmations: 2, pollMs: 20 }
    )
    senders.push(sender)
    const sent = broadcasts(sender)
    const outcome = sender.send(mintIntent('confirmed', Wallet.createRandom().address, 4n))
    await eventually('the broadcast', async () => sent[0])
    let settled = false
    outcome.then(
      () => {
        settled = true
      },
      () => {
        settled = true
      }
    )
    const settledYet = async () => settled
    for (const blocksOnTop of [0, 1]) {
      await mine()
      const seen = polls
      await eventually('two looks at the chain, or the intent resolved', async () => polls >= seen + 2 || (await settledYet()))
      assert.equal(await settledYet(), false, `resolved with ${blocksOnTop} of 2 blocks on top`)
    }
    await mine()
    const done = await outcome
    assert.ok(done.kind === 'mined')
    assert.equal((await fixture.provider.getBlockNumber()) - done.blockNumber, 2)
  })

  it('with automine off, a transaction dropped from the pool is replaced and paid once', async () => {
    await fixture.provider.send('evm_setAutomine', [false])
    const sender = senderFor(3)
    const sent = broadcasts(sender)
    const to = Wallet.createRandom().address
    const outcome = sender.send(mintIntent('dropped', to, 700n))
    const first = await eventually('the first broadcast', async () => sent[0])
    await fixture.provider.send('anvil_dropTransaction', [first.hash])
    const replacement = await eventually('a replacement', async () => {
      await mine()
      return sent.find(tx => tx.hash !== first.hash)
    })
    assert.equal(replacement.nonce, first.nonce)
    assert.ok(replacement.fees.maxFeePerGas > first.fees.maxFeePerGas)
    await mine()
    const done = await outcome
    assert.ok(done.kind === 'mined')
    assert.ok(done.hashes.includes(first.hash.toLowerCase()) && done.hashes.includes(done.hash))
    assert.equal(await balanceOf(to), 700n)
    assert.equal(await fixture.provider.getTransactionCount(sender.address, 'latest'), 1)
  })

  it('a fee spike: the transaction is replaced at higher fees, every hash tracked, one mined, paid once', async () => {
    await fixture.provider.send('evm_setAutomine', [false])
    const sender = senderFor(4)
    const sent = broadcasts(sender)
    const to = Wallet.createRandom().address
    const outcome = sender.send(mintIntent('spike', to, 800n))
    const first = await eventually('the first broadcast', async () => sent[0])
    const spike = first.fees.maxFeePerGas * 4n
    assert.ok(spike < devFees.maxFeePerGas / 2n, 'the spike stays under the cap')
    await fixture.provider.send('anvil_setNextBlockBaseFeePerGas', [`0x${spike.toString(16)}`])
    await mine()
    assert.equal(await fixture.provider.getTransactionReceipt(first.hash), null, 'the first bid is under the spiked base fee')
    const done = await eventually('the intent mined', async () => {
      const settled = await Promise.race([outcome, Promise.resolve(undefined)])
      if (settled === undefined) await mine()
      return settled
    })
    assert.ok(done.kind === 'mined')
    assert.ok(done.hashes.length >= 2)
    assert.deepEqual(
      done.hashes,
      sent.map(tx => tx.hash.toLowerCase())
    )
    const minedTx = sent.find(tx => tx.hash.toLowerCase() === done.hash)!
    assert.ok(minedTx.fees.maxFeePerGas > first.fees.maxFeePerGas)
    assert.equal(await fixture.provider.getTransactionReceipt(first.hash), null)
    assert.equal(await balanceOf(to), 800n)
    assert.equal(await fixture.provider.getTransactionCount(sender.address, 'latest'), 1)
  })

  it('the fee cap stops the bumping: it waits at the cap until the base fee falls, then pays once', async () => {
    await fixture.provider.send('evm_setAutomine', [false])
    const base = (await fixture.provider.getBlock('latest'))!.baseFeePerGas!
    const cap = base * 3n + 2n * GWEI
    const fees: FeePolicy = { ...devFees, maxFeePerGas: cap, maxPriorityFeePerGas: GWEI, priorityFeePerGas: GWEI / 2n }
    const sender = senderFor(5, { fees })
    const sent = broadcasts(sender)
    const to = Wallet.createRandom().address
    const outcome = sender.send(mintIntent('capped', to, 900n))
    await eventually('the first broadcast', async () => sent[0])
    await fixture.provider.send('anvil_setNextBlockBaseFeePerGas', [`0x${(cap * 4n).toString(16)}`])
    let blocks = 0
    const done = await eventually(
      'the intent mined once the base fee fell',
      async () => {
        const settled = await Promise.race([outcome, Promise.resolve(undefined)])
        if (settled === undefined) {
          await mine()
          blocks++
        }
        return settled
      },
      120_000
    )
    assert.ok(done.kind === 'mined')
    assert.ok(blocks > 8, 'it waited for the base fee to fall')
    for (const tx of sent) assert.ok(tx.fees.maxFeePerGas <= cap, `a bid of ${tx.fees.maxFeePerGas} is above the cap ${cap}`)
    const bids = new Set(sent.map(tx => tx.fees.maxFeePerGas))
    assert.ok(bids.has(cap), 'it bid up to the cap')
    assert.ok(sent.length <= 4, `it stopped bumping at the cap (${sent.length} bids)`)
    assert.equal(await balanceOf(to), 900n)
    assert.equal(await fixture.provider.getTransactionCount(sender.address, 'latest'), 1)
  })

  it('a crash between journal and broadcast: the restarted sender sends the journalled bytes, once', async () => {
    const crashing = crashingStore(db as never, key => key.includes(':tx:'))
    const before = senderFor(6, {}, crashing)
    const to = Wallet.createRandom().address
    await assert.rejects(before.send(mintIntent('crash-journal', to, 1_000n)), /killed/)
    await before.stop()
    assert.equal(await fixture.provider.getTransactionCount(devWallet(6).address, 'pending'), 0, 'nothing was broadcast')

    await db.close()
    await db.open()
    const after = senderFor(6)
    await after.recover()
    const done = await after.send(mintIntent('crash-journal', to, 1_000n))
    assert.ok(done.kind === 'mined')
    assert.equal(await balanceOf(to), 1_000n)
    assert.equal(await fixture.provider.getTransactionCount(after.address, 'latest'), 1)
  })

  it('a crash between broadcast and receipt: the restarted sender finds the mined hash and sends nothing new', async () => {
    await fixture.provider.send('evm_setAutomine', [false])
    const before = senderFor(7)
    const sent = broadcasts(before)
    const to = Wallet.createRandom().address
    const outcome = before.send(mintIntent('crash-receipt', to, 1_100n))
    await eventually('the broadcast', async () => sent[0])
    await before.stop()
    await assert.rejects(outcome, (err: unknown) => err instanceof ChainError && err.code === 'Unavailable')
    await mine()

    await db.close()
    await db.open()
    const after = senderFor(7)
    const afterSent = broadcasts(after)
    const done = await after.send(mintIntent('crash-receipt', to, 1_100n))
    assert.ok(done.kind === 'mined')
    assert.equal(done.hash, sent[0]!.hash.toLowerCase())
    assert.deepEqual(afterSent, [])
    assert.equal(await balanceOf(to), 1_100n)
    assert.equal(await fixture.provider.getTransactionCount(after.address, 'latest'), 1)
  })

  it('an intent whose effect is already on chain is never sent again', async () => {
    const crashing = crashingStore(db as never, key => key.includes(':tx:'))
    const key = devWallet(8)
    const before = senderFor(8, {}, crashing)
    const to = Wallet.createRandom().address
    await assert.rejects(before.send(mintIntent('done-elsewhere', to, 1_200n)), /killed/)
    await before.stop()
    // The same key pays by other means meanwhile, taking the journalled nonce.
    await (await contracts.token.connect(key.connect(fixture.provider)).mint(to, 1_200n)).wait()

    await db.close()
    await db.open()
    const after = senderFor(8)
    const afterSent = broadcasts(after)
    after.checkEffectWith('done-', async () => (await balanceOf(to)) >= 1_200n)
    await after.recover()
    const done = await after.send(mintIntent('done-elsewhere', to, 1_200n))
    assert.equal(done.kind, 'already-done')
    assert.deepEqual(afterSent, [])
    assert.equal(await balanceOf(to), 1_200n)
    assert.equal(await fixture.provider.getTransactionCount(after.address, 'latest'), 1)
  })
})
