// One configured network as settlement uses it: a FailoverProvider over its
// RPC URLs, the node's wallet behind one exactly-once sender (intents on disk
// before signing, every signed transaction journalled before its broadcast,
// replacements at higher fees up to the cap; shared by escrow and direct
// payouts, so one key's nonces have one owner), and the token and escrow
// contracts attached.
import { Contract, type InterfaceAbi, type TransactionReceipt, type Wallet } from 'ethers'
import type { Clock, Logger, RawRecordStore } from '../../net/index.ts'
import { FailoverProvider } from '../chain/failover-provider.ts'
import type { ChainNetwork } from '../chain/network-config.ts'
import { prefixedStore } from '../chain/prefixed-store.ts'
import { type EffectCheck, TxSender } from '../chain/tx-sender.ts'
import { escrowArtifact, testTokenArtifact } from '../contracts/index.ts'
import { PaymentError } from '../model/payment-error.ts'

export interface NetworkChainInit {
  /** How often receipts and blocks are polled (ms). */
  readonly pollingIntervalMs: number
  /** How long a transaction found by its event may take to reach its confirmations (ms). */
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
  readonly sender: TxSender
  readonly token: Contract
  readonly #escrow: Contract | undefined
  /** The network's own slice of the settlement store (deposit records); the sender keeps its own prefix. */
  readonly db: RawRecordStore
  readonly #init: NetworkChainInit

  constructor(components: { network: ChainNetwork; wallet: Wallet; db: RawRecordStore; logger: Logger; clock: Clock }, init: NetworkChainInit) {
    const { network } = components
    this.network = network
    this.#init = init
    this.db = prefixedStore(components.db, `net:${network.name}:`)
    this.provider = new FailoverProvider(
      { logger: components.logger, clock: components.clock },
      { rpcUrls: network.rpcUrls, chainId: network.chainId, pollingIntervalMs: init.pollingIntervalMs }
    )
    this.sender = new TxSender(
      { provider: this.provider, signer: components.wallet, db: components.db, logger: components.logger, clock: components.clock },
      { chainId: network.chainId, fees: network.fees, confirmations: network.confirmations, pollMs: init.pollingIntervalMs }
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

  /**
   * Carries out the intent `id` exactly once through the sender and resolves
   * with the hash of the transaction that did it (undefined when `isDone`
   * found its effect already on chain). The same id again joins it.
   */
  async carryOut(id: string, call: { to: string; data: string; value?: bigint }, isDone: EffectCheck): Promise<string | undefined> {
    const outcome = await this.sender.send({ id, ...call }, { isDone })
    return outcome.kind === 'mined' ? outcome.hash : undefined
  }

  /** Waits for a transaction found by its event (ours, before a restart) to have the network's confirmations. */
  async confirmedHash(hash: string): Promise<TransactionReceipt> {
    let receipt: TransactionReceipt | null
    try {
      receipt = await this.provider.waitForTransaction(hash, this.network.confirmations + 1, this.#init.confirmTimeoutMs)
    } catch (err) {
      throw new PaymentError('Unavailable', `transaction ${hash} was not confirmed in time`, { cause: err })
    }
    if (receipt === null) throw new PaymentError('Unavailable', `transaction ${hash} was not confirmed in time`)
    if (receipt.status !== 1) throw new PaymentError('Conflict', `transaction ${hash} was mined but reverted`)
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

  /** Stops the sender (idempotent) and closes the RPC connections. */
  async stop(): Promise<void> {
    await this.sender.stop()
    this.provider.destroy()
  }
}
