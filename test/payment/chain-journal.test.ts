import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Transaction, Wallet } from 'ethers'
import { Level } from 'level'
import { ChainError, devNetworkConfig, devWallet, FailoverProvider, NonceLane, parseNetworkConfig, TxJournal } from '../../payment/index.ts'
import type { LaneJournal, SignedTransaction } from '../../payment/index.ts'
import { devChainFixture } from '../helpers/dev-chain.ts'

const fees = parseNetworkConfig(devNetworkConfig('http://127.0.0.1:1', '0x5FbDB2315678afecb367f032d93F642f64180aa3')).fees
const isCode = (code: string) => (err: unknown) => err instanceof ChainError && err.code === code

/** A LevelDB in the fixture's directory that a test closes and opens again, as a restart does. */
class Store {
  db: Level<string, string>
  readonly path: string
  constructor(path: string) {
    this.path = path
    this.db = new Level(path)
  }
  journal(): TxJournal {
    return new TxJournal({ db: this.db as never })
  }
  async restart(): Promise<TxJournal> {
    await this.db.close()
    this.db = new Level(this.path)
    await this.db.open()
    return this.journal()
  }
}

/** A journal that records and then stops, as a daemon killed between the record and the broadcast. */
function crashingAfterRecord(journal: TxJournal): LaneJournal {
  return {
    record: async tx => {
      await journal.record(tx)
      throw new Error('killed before the broadcast')
    },
    forget: journal.forget
  }
}

describe('payment: the transaction journal', function () {
  this.timeout(120_000)
  let dir: string
  let store: Store
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agora-tx-journal-'))
  })
  after(async () => {
    await rm(dir, { recursive: true, force: true })
  })
  let n = 0
  beforeEach(async () => {
    store = new Store(join(dir, `db-${n++}`))
    await store.db.open()
  })
  afterEach(async () => {
    await store.db.close()
  })

  describe('with a chain that mines each transaction', () => {
    const fixture = devChainFixture()

    it('a transaction recorded but never broadcast (a crash) is sent after the restart, exactly once', async () => {
      const key = devWallet(1)
      const to = Wallet.createRandom().address
      const lane = new NonceLane(
        { provider: fixture.provider, signer: key },
        { chainId: fixture.chain.chainId, fees, journal: crashingAfterRecord(store.journal()) }
      )
      await assert.rejects(lane.send({ to, value: 4_242n }), /killed before the broadcast/)
      assert.equal(await fixture.provider.getTransactionCount(key.address, 'pending'), 0)

      const journal = await store.restart()
      const [recorded] = await journal.pending()
      const first = await journal.rebroadcastPending(fixture.provider)
      assert.deepEqual(first, { rebroadcast: [recorded!.hash], settled: 0 })
      assert.equal((await fixture.provider.waitForTransaction(recorded!.hash, 1, 60_000))?.status, 1)

      const second = await (await store.restart()).rebroadcastPending(fixture.provider)
      assert.deepEqual(second, { rebroadcast: [], settled: 1 })
      assert.deepEqual(await store.journal().pending(), [])
      assert.equal(await fixture.provider.getBalance(to), 4_242n)
      assert.equal(await fixture.provider.getTransactionCount(key.address, 'latest'), 1)
    })

    it('a transaction that was mined before the crash is settled, not sent again', async () => {
      const key = devWallet(2)
      const to = Wallet.createRandom().address
      const lane = new NonceLane({ provider: fixture.provider, signer: key }, { chainId: fixture.chain.chainId, fees, journal: store.journal() })
      const sent = await lane.send({ to, value: 99n })
      await fixture.provider.waitForTransaction(sent.hash, 1, 60_000)
      assert.equal((await store.journal().pending()).length, 1)

      const outcome = await (await store.restart()).rebroadcastPending(fixture.provider)
      assert.deepEqual(outcome, { rebroadcast: [], settled: 1 })
      assert.equal(await fixture.provider.getBalance(to), 99n)
    })

    it('a broadcast that did not get through keeps its nonce; the journal fills the gap', async () => {
      const key = devWallet(3)
      let failNext = true
      const flaky = createServer((req, res) => {
        let body = ''
        req.setEncoding('utf8').on('data', (chunk: string) => {
          body += chunk
        })
        req.on('end', async () => {
          if (failNext && body.includes('eth_sendRawTransaction')) {
            failNext = false
            res.writeHead(502).end()
            return
          }
          const answer = await fetch(fixture.chain.rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
          res.writeHead(answer.status, { 'content-type': 'application/json' }).end(await answer.text())
        })
      })
      await new Promise<void>(resolve => flaky.listen(0, '127.0.0.1', resolve))
      const provider = new FailoverProvider({}, { rpcUrls: [`http://127.0.0.1:${(flaky.address() as AddressInfo).port}/`], chainId: fixture.chain.chainId })
      try {
        const journal = store.journal()
        const lane = new NonceLane({ provider, signer: key }, { chainId: fixture.chain.chainId, fees, journal })
        await assert.rejects(lane.send({ to: Wallet.createRandom().address, value: 1n }), isCode('Unavailable'))
        const next = await lane.send({ to: Wallet.createRandom().address, value: 2n })
        assert.equal(next.nonce, 1)
        assert.equal(await fixture.provider.getTransactionCount(key.address, 'latest'), 0)

        const [lost, queued] = await journal.pending()
        assert.deepEqual([lost?.nonce, queued?.hash], [0, next.hash])
        // The node already holds nonce 1 (waiting behind the gap): only nonce 0 goes out again.
        const outcome = await journal.rebroadcastPending(fixture.provider)
        assert.deepEqual(outcome.rebroadcast, [lost!.hash])
        await fixture.provider.waitForTransaction(next.hash, 1, 60_000)
        assert.equal(await fixture.provider.getTransactionCount(key.address, 'latest'), 2)
      } finally {
        provider.destroy()
        await new Promise<void>(resolve => flaky.close(() => resolve()))
      }
    })

    it('a transaction the node refuses is forgotten and takes no nonce', async () => {
      const key = Wallet.createRandom()
      const journal = store.journal()
      const lane = new NonceLane({ provider: fixture.provider, signer: key }, { chainId: fixture.chain.chainId, fees, journal })
      // A fresh key has no ether for gas: the node refuses the broadcast.
      await assert.rejects(lane.send({ to: Wallet.createRandom().address, value: 1n, gasLimit: 21_000n }), isCode('Conflict'))
      assert.deepEqual(await journal.pending(), [])
    })

    it('a record whose bytes do not match it is set aside, never broadcast', async () => {
      const key = devWallet(4)
      const good = await key.signTransaction({
        type: 2,
        chainId: 31337n,
        nonce: 0,
        to: key.address,
        gasLimit: 21_000n,
        maxFeePerGas: 10n ** 10n,
        maxPriorityFeePerGas: 1n
      })
      const other = await key.signTransaction({
        type: 2,
        chainId: 31337n,
        nonce: 0,
        to: key.address,
        value: 1n,
        gasLimit: 21_000n,
        maxFeePerGas: 10n ** 10n,
        maxPriorityFeePerGas: 1n
      })
      const journal = store.journal()
      const tx: SignedTransaction = {
        from: key.address,
        nonce: 0,
        hash: Transaction.from(good).hash!,
        raw: other,
        gasLimit: 21_000n,
        fees: { maxFeePerGas: 10n ** 10n, maxPriorityFeePerGas: 1n }
      }
      await journal.record(tx)
      assert.deepEqual(await journal.rebroadcastPending(fixture.provider), { rebroadcast: [], settled: 0 })
      assert.equal(await fixture.provider.getTransactionCount(key.address, 'pending'), 0)
      const keys: string[] = []
      for await (const k of store.db.keys()) keys.push(k)
      assert.equal(keys.length, 1)
      assert.ok(keys[0]!.startsWith('~quarantine:tx:'))
    })
  })

  describe('with mining off', () => {
    const fixture = devChainFixture({ noMining: true })

    it('a transaction dropped from the pool is sent again from the journal and mined once', async () => {
      const key = devWallet(5)
      const to = Wallet.createRandom().address
      const journal = store.journal()
      const lane = new NonceLane({ provider: fixture.provider, signer: key }, { chainId: fixture.chain.chainId, fees, journal })
      const sent = await lane.send({ to, value: 31n })
      await fixture.provider.send('anvil_dropTransaction', [sent.hash])
      assert.equal(await fixture.provider.getTransaction(sent.hash), null)

      assert.deepEqual(await (await store.restart()).rebroadcastPending(fixture.provider), { rebroadcast: [sent.hash], settled: 0 })
      await fixture.provider.send('evm_mine', [])
      assert.equal((await fixture.provider.getTransactionReceipt(sent.hash))?.status, 1)
      assert.equal(await fixture.provider.getBalance(to), 31n)
    })
  })
})
