// Direct payouts on a real dev chain for tests and benchmarks: the contracts
// deployed, a funded payer with its exactly-once sender and direct payer over a
// LevelDB in a temp dir, and the payee's verifier.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type JsonRpcProvider, type Provider, Wallet } from 'ethers'
import { Level } from 'level'
import type { Clock, RawRecordStore } from '../../net/index.ts'
import {
  type ChainNetwork,
  DirectPayer,
  type DirectPayerInit,
  DirectPayoutVerifier,
  devNetworkConfig,
  devWallet,
  parseNetworkConfig,
  type PayoutConfirmation,
  TxSender,
  type TxSenderInit
} from '../../payment/index.ts'
import { type Deployed, deployAll } from './contracts.ts'

export interface DirectRig {
  readonly contracts: Deployed
  readonly network: ChainNetwork
  readonly token: string
  readonly payouts: string
  readonly dir: string
  /** A fresh LevelDB under the rig's directory; closed by close(). */
  database(name: string): Promise<Level<string, string>>
  /** A sender and payer for the dev account `index`, over `db`; stopped by close(). */
  payer(
    index: number,
    db: RawRecordStore,
    options?: { provider?: Provider; init?: DirectPayerInit; clock?: Clock; sender?: Partial<TxSenderInit> }
  ): { sender: TxSender; payer: DirectPayer; paid: PayoutConfirmation[]; failed: Array<{ documentIds: readonly string[]; code: string }> }
  verifier(db: RawRecordStore, network?: ChainNetwork): DirectPayoutVerifier
  balanceOf(who: string): Promise<bigint>
  mint(to: string, amount: bigint): Promise<void>
  /** Stops every payer and sender and closes every database. */
  close(): Promise<void>
}

export async function directRig(provider: JsonRpcProvider, rpcUrl: string): Promise<DirectRig> {
  const deployer = devWallet(0).connect(provider)
  const contracts = await deployAll(deployer)
  const token = String(contracts.token.target)
  const payouts = String(contracts.payouts.target)
  const network = parseNetworkConfig(devNetworkConfig(rpcUrl, token, { batchPayout: payouts }))
  const dir = await mkdtemp(join(tmpdir(), 'agora-direct-'))
  const databases: Level<string, string>[] = []
  const running: Array<{ stop(): Promise<void> }> = []
  let dbs = 0
  return {
    contracts,
    network,
    token,
    payouts,
    dir,
    async database(name) {
      const db = new Level<string, string>(join(dir, `${name}-${dbs++}`))
      await db.open()
      databases.push(db)
      return db
    },
    payer(index, db, options = {}) {
      const chain = options.provider ?? provider
      const sender = new TxSender(
        { provider: chain, signer: devWallet(index), db },
        { chainId: network.chainId, fees: network.fees, confirmations: network.confirmations, pollMs: 20, ...options.sender }
      )
      const payer = new DirectPayer(
        { network, provider: chain, sender, db, ...(options.clock === undefined ? {} : { clock: options.clock }) },
        { directBatchIntervalMs: 1_000, ...options.init }
      )
      const paid: PayoutConfirmation[] = []
      const failed: Array<{ documentIds: readonly string[]; code: string }> = []
      payer.addEventListener('paid', event => paid.push(event.detail))
      payer.addEventListener('failed', event => failed.push(event.detail))
      running.push(payer, sender)
      return { sender, payer, paid, failed }
    },
    verifier(db, on = network) {
      return new DirectPayoutVerifier({ network: on, provider, db })
    },
    async balanceOf(who) {
      return (await contracts.token.balanceOf(who)) as bigint
    },
    async mint(to, amount) {
      await (await contracts.token.mint(to, amount)).wait()
    },
    async close() {
      for (const part of running.splice(0)) await part.stop()
      for (const db of databases.splice(0)) await db.close()
      await rm(dir, { recursive: true, force: true })
    }
  }
}

/** `count` fresh payee addresses, lower case. */
export function freshPayees(count: number): string[] {
  return Array.from({ length: count }, () => Wallet.createRandom().address.toLowerCase())
}
