// One configured network as settlement uses it: a FailoverProvider over its
// RPC URLs, the node's wallet on its own nonce lane with a transaction journal
// (every signed transaction on disk before its broadcast), and the token and
// escrow contracts attached. Sends go through the lane; a transaction counts
// once mined with the network's confirmations and a successful status.
import { Contract, type InterfaceAbi, type TransactionReceipt, type Wallet } from 'ethers'
import type { Clock, Logger, RawRecordStore } from '../../net/index.ts'
import { FailoverProvider } from '../chain/failover-provider.ts'
import type { ChainNetwork } from '../chain/network-config.ts'
import { type LaneSigner, type LaneTransaction, NonceLane, type SignedTransaction } from '../chain/nonce-lane.ts'
import { TxJournal } from '../chain/tx-journal.ts'
import { escrowArtifact, testTokenArtifact } from '../contracts/index.ts'
import { PaymentError } from '../model/payment-error.ts'
import { prefixedStore } from './prefixed-store.ts'

export interface NetworkChainInit {
  /** How often receipts and blocks are polled (ms). */
  readonly pollingIntervalMs: number
  /** How long a transaction may take to be mined with its confirmations (ms). */
  readonly confirmTimeoutMs: number
}

export interface OnChainDeposit {
  readonly amount: bigint
  readonly claimed: bigint
  /** Seconds; 0 when there is no such deposit. */
  readonly deadline: number
}

export class NetworkChain {
  readonly network: ChainNetwork
  readonly provider: FailoverProvider
  readonly journal: TxJournal
  readonly lane: NonceLane
  readonly token: Contract
  readonly #escrow: Contract | undefined
  /** The network's own slice of the settlement store (journal and deposit records). */
  readonly db: RawRecordStore
  readonly #init: NetworkChainInit
  readonly #log: Logger

  constructor(components: { network: ChainNetwork; wallet: Wallet; db: RawRecordStore; logger: Logger; clock: Clock }, init: NetworkChainInit) {
    const { network } = components
    this.network = network
    this.#init = init
    this.#log = components.logger.child({ network: network.name })
    this.db = prefixedStore(components.db, `net:${network.name}:`)
    this.provider = new FailoverProvider(
      { logger: components.logger, clock: components.clock },
      { rpcUrls: network.rpcUrls, chainId: network.chainId, pollingIntervalMs: init.pollingIntervalMs }
    )
    this.journal = new TxJournal({ db: this.db, logger: components.logger })
    const signer: LaneSigner = components.wallet
    this.lane = new NonceLane(
      { provider: this.provider, signer, logger: components.logger },
      { chainId: network.chainId, fees: network.fees, journal: this.journal }
    )
    this.token = new Contract(network.token.address, testTokenArtifact.abi as InterfaceAbi, this.provider)
    this.#escrow =
      network.contracts.escrow === undefined ? undefined : new Contract(network.contracts.escrow, escrowArtifact.abi as InterfaceAbi, this.provider)
  }

  get tokenAddress(): string {
    return this.network.token.address.toLowerCase()
  }

  /** The escrow contract; Unavailable on a network configured without one. */
  get escrow(): Contract {
    if (this.#escrow === undefined) throw new PaymentError('Unavailable', `network ${this.network.name} has no escrow contract configured`)
    return this.#escrow
  }

  get escrowAddress(): string {
    return String(this.escrow.target).toLowerCase()
  }

  /** Signs and broadcasts through the lane (journalled first). */
  send(tx: LaneTransaction): Promise<SignedTransaction> {
    return this.lane.send(tx)
  }

  /** Waits until `tx` is mined with the network's confirmations; a reverted one is an error. Its journal record is settled either way. */
  async confirmed(tx: { readonly hash: string; readonly from: string; readonly nonce: number }): Promise<TransactionReceipt> {
    const receipt = await this.#minedReceipt(tx.hash)
    await this.journal.settle(tx.from, tx.nonce)
    if (receipt.status !== 1) throw new PaymentError('Conflict', `transaction ${tx.hash} was mined but reverted`)
    return receipt
  }

  /** Waits for a transaction someone sent (ours before a restart, found by its event) to have the network's confirmations. */
  async confirmedHash(hash: string): Promise<TransactionReceipt> {
    const receipt = await this.#minedReceipt(hash)
    if (receipt.status !== 1) throw new PaymentError('Conflict', `transaction ${hash} was mined but reverted`)
    return receipt
  }

  async #minedReceipt(hash: string): Promise<TransactionReceipt> {
    let receipt: TransactionReceipt | null
    try {
      receipt = await this.provider.waitForTransaction(hash, this.network.confirmations + 1, this.#init.confirmTimeoutMs)
    } catch (err) {
      throw new PaymentError('Unavailable', `transaction ${hash} was not confirmed in time; it stays journalled`, { cause: err })
    }
    if (receipt === null) throw new PaymentError('Unavailable', `transaction ${hash} was not confirmed in time; it stays journalled`)
    return receipt
  }

  async deposit(depositId: string): Promise<OnChainDeposit> {
    const [amount, claimed, deadline] = (await this.escrow.getFunction('deposits').staticCall(depositId)) as [bigint, bigint, bigint]
    return { amount, claimed, deadline: Number(deadline) }
  }

  async tokenBalance(address: string): Promise<bigint> {
    return (await this.token.getFunction('balanceOf').staticCall(address)) as bigint
  }

  async allowance(owner: string, spender: string): Promise<bigint> {
    return (await this.token.getFunction('allowance').staticCall(owner, spender)) as bigint
  }

  /** What one gas costs now: the latest base fee plus the tip a first attempt offers. */
  async feePerGas(): Promise<bigint> {
    const block = await this.provider.getBlock('latest')
    return (block?.baseFeePerGas ?? 0n) + this.network.fees.priorityFeePerGas
  }

  /** The chain's own time (ms), from its latest block. */
  async chainTimeMs(): Promise<number> {
    const block = await this.provider.getBlock('latest')
    if (block === null) throw new PaymentError('Unavailable', `network ${this.network.name} has no latest block`)
    return block.timestamp * 1000
  }

  /**
   * After a restart: what the journal holds is settled (mined) or sent again,
   * byte for byte, and awaited, so that the chain answers every later
   * question (deposit open? claimed total?) with those transactions counted.
   */
  async recover(): Promise<void> {
    const outcome = await this.journal.rebroadcastPending(this.provider)
    const pending = await this.journal.pending()
    for (const tx of pending) {
      try {
        await this.confirmed(tx)
      } catch (err) {
        this.#log.warn({ err, hash: tx.hash }, 'a journalled transaction did not confirm during recovery')
      }
    }
    if (outcome.rebroadcast.length > 0) this.#log.info({ rebroadcast: outcome.rebroadcast.length }, 'journalled transactions sent again')
  }

  /** Whether the journal still holds a transaction not known to be mined. */
  async hasPending(): Promise<boolean> {
    return (await this.journal.pending()).length > 0
  }

  stop(): void {
    this.provider.destroy()
  }
}
