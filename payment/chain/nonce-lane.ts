// One lane per key: Agora gives each transaction its nonce itself, in the
// order sends are called. A nonce is taken only once the transaction is
// estimated and signed and the node took it; a reverting estimate or a
// refused broadcast takes none, so no later transaction waits behind a gap
// (ethers' NonceManager counts a nonce before estimating, and burns it when
// the estimate reverts). The first send, and any send after a failed
// broadcast, reads the next nonce from the chain's pending count, which is how
// a lane resumes after a restart.
import { getAddress, Transaction } from 'ethers'
import type { Provider } from 'ethers'
import { codedSystemError, silentLogger } from '../../net/index.ts'
import type { Logger } from '../../net/index.ts'
import { ChainError } from './chain-error.ts'
import { type Eip1559Fees, initialFees } from './fees.ts'
import type { FeePolicy } from './network-config.ts'

/** EIP-7825's per-transaction gas cap: a chain that does not enforce it yet (the dev chain) must not see more. */
export const MAX_TRANSACTION_GAS = 1n << 24n

export interface LaneSigner {
  readonly address: string
  signTransaction: (tx: Transaction) => Promise<string>
}

export interface LaneTransaction {
  to: string
  data?: string
  value?: bigint
  /** A fixed gas limit; otherwise the estimate plus the lane's headroom. */
  gasLimit?: bigint
  /** The intent the transaction carries out (a TxSender's), kept with it in the journal. */
  intent?: string
}

export interface SignedTransaction {
  readonly from: string
  readonly nonce: number
  readonly hash: string
  readonly raw: string
  readonly gasLimit: bigint
  readonly fees: Eip1559Fees
  /** The intent it carries out, when it was sent for one. */
  readonly intent?: string
}

export interface NonceLaneComponents {
  provider: Provider
  signer: LaneSigner
  logger?: Logger
}

export interface NonceLaneInit {
  chainId: number
  fees: FeePolicy
  /** The gas limit is the estimate times this share (default 120 %), at most MAX_TRANSACTION_GAS. */
  gasHeadroomPercent?: number
  /**
   * Where each signed transaction is recorded before its broadcast (a
   * TxJournal). A failed record sends nothing; a transaction the node refused
   * is forgotten again; one whose broadcast did not get through keeps its nonce,
   * as it is sent again from the journal.
   */
  journal?: LaneJournal
}

export interface LaneJournal {
  record: (tx: SignedTransaction) => Promise<void>
  forget: (tx: SignedTransaction) => Promise<void>
}

export class NonceLane {
  readonly #provider: Provider
  readonly #signer: LaneSigner
  readonly #log: Logger
  readonly #init: NonceLaneInit
  /** The next nonce to give, or undefined to read it from the chain first. */
  #next: number | undefined
  #queue: Promise<unknown> = Promise.resolve()

  constructor(components: NonceLaneComponents, init: NonceLaneInit) {
    this.#provider = components.provider
    this.#signer = components.signer
    this.#log = (components.logger ?? silentLogger).child({ component: 'payment:nonce-lane', address: components.signer.address })
    this.#init = init
  }

  get address(): string {
    return this.#signer.address
  }

  /** Estimates, signs and broadcasts `tx` with this lane's next nonce; sends run one at a time, in call order. */
  send(tx: LaneTransaction): Promise<SignedTransaction> {
    if (tx.gasLimit !== undefined && (tx.gasLimit <= 0n || tx.gasLimit > MAX_TRANSACTION_GAS)) {
      return Promise.reject(new ChainError('BadRequest', `a transaction's gas limit must be from 1 to ${MAX_TRANSACTION_GAS}, not ${tx.gasLimit}`))
    }
    let to: string
    try {
      to = getAddress(tx.to)
    } catch {
      return Promise.reject(new ChainError('BadRequest', "a transaction's recipient is not a valid address (a mixed-case address must carry its checksum)"))
    }
    const sent = this.#queue.then(() => this.#sendNow({ ...tx, to }))
    this.#queue = sent.catch(() => undefined)
    return sent
  }

  async #sendNow(tx: LaneTransaction): Promise<SignedTransaction> {
    const gasLimit = tx.gasLimit ?? (await this.#estimate(tx))
    const nonce = this.#next ?? (await this.#provider.getTransactionCount(this.#signer.address, 'pending'))
    const block = await this.#provider.getBlock('latest')
    if (block === null) throw new ChainError('Unavailable', 'the chain has no latest block to price a transaction from')
    const fees = initialFees(this.#init.fees, block.baseFeePerGas ?? 0n)
    const unsigned = Transaction.from({
      type: 2,
      chainId: BigInt(this.#init.chainId),
      nonce,
      to: tx.to,
      data: tx.data ?? '0x',
      value: tx.value ?? 0n,
      gasLimit,
      maxFeePerGas: fees.maxFeePerGas,
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas
    })
    const raw = await this.#signer.signTransaction(unsigned)
    const signed: SignedTransaction = {
      from: this.#signer.address,
      nonce,
      hash: Transaction.from(raw).hash!,
      raw,
      gasLimit,
      fees,
      ...(tx.intent === undefined ? {} : { intent: tx.intent })
    }
    const journal = this.#init.journal
    try {
      await journal?.record(signed)
    } catch (err) {
      // Nothing was sent and no nonce taken; a full disk says so by its code.
      throw codedSystemError(err) ?? err
    }
    try {
      await this.#broadcast(raw, signed.hash)
    } catch (err) {
      if (isTransportFailure(err) && journal !== undefined) {
        // It may have reached a node; if not, the journal sends these same bytes again.
        this.#next = nonce + 1
        this.#log.warn({ err, nonce, hash: signed.hash }, 'a broadcast did not get through; the journal sends it again')
        throw new ChainError('Unavailable', 'the transaction is recorded but its broadcast did not get through; it is sent again from the journal', {
          cause: err
        })
      }
      // Refused by the node, or unknown without a journal: the chain's pending count says what the next nonce is.
      this.#next = undefined
      if (!isTransportFailure(err)) await journal?.forget(signed)
      this.#log.warn({ err, nonce, hash: signed.hash }, 'a broadcast failed; the next nonce is read from the chain')
      throw isTransportFailure(err)
        ? new ChainError('Unavailable', 'the transaction could not be broadcast', { cause: err })
        : new ChainError('Conflict', 'the node refused the transaction (e.g. too little balance for its gas)', { cause: err })
    }
    this.#next = nonce + 1
    return signed
  }

  /**
   * A replacement of `previous`: the same nonce, recipient, calldata, value and
   * gas limit signed at `fees`, journalled, then broadcast. It takes no new
   * nonce; when the node refuses it (say, the nonce is mined meanwhile) it is
   * forgotten again and the refusal is the answer.
   */
  replace(previous: SignedTransaction, fees: Eip1559Fees): Promise<SignedTransaction> {
    const sent = this.#queue.then(() => this.#replaceNow(previous, fees))
    this.#queue = sent.catch(() => undefined)
    return sent
  }

  async #replaceNow(previous: SignedTransaction, fees: Eip1559Fees): Promise<SignedTransaction> {
    const before = Transaction.from(previous.raw)
    const unsigned = Transaction.from({
      type: 2,
      chainId: BigInt(this.#init.chainId),
      nonce: previous.nonce,
      to: before.to,
      data: before.data,
      value: before.value,
      gasLimit: previous.gasLimit,
      maxFeePerGas: fees.maxFeePerGas,
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas
    })
    const raw = await this.#signer.signTransaction(unsigned)
    const signed: SignedTransaction = {
      ...previous,
      hash: Transaction.from(raw).hash!,
      raw,
      fees
    }
    const journal = this.#init.journal
    try {
      await journal?.record(signed)
    } catch (err) {
      throw codedSystemError(err) ?? err
    }
    try {
      await this.#broadcast(raw, signed.hash)
    } catch (err) {
      if (isTransportFailure(err)) {
        throw new ChainError('Unavailable', 'the replacement is recorded but its broadcast did not get through', { cause: err })
      }
      await journal?.forget(signed)
      throw new ChainError('Conflict', 'the node refused the replacement', { cause: err })
    }
    return signed
  }

  /**
   * Hands `raw` to the node. A refusal from a node that already holds this very
   * transaction (a retry on another URL after a first answer was lost, or it
   * was mined meanwhile) is no refusal: the node's own record of the hash says so.
   */
  async #broadcast(raw: string, hash: string): Promise<void> {
    try {
      await this.#provider.broadcastTransaction(raw)
    } catch (err) {
      if (isTransportFailure(err)) throw err
      let known: boolean
      try {
        known = (await this.#provider.getTransaction(hash)) !== null
      } catch (lookupErr) {
        // Whether the node holds it is unknown: as with a lost answer, the journal keeps it.
        throw new ChainError('Unavailable', 'the node refused a broadcast and could not say whether it holds the transaction', { cause: lookupErr })
      }
      if (!known) throw err
      this.#log.debug({ hash }, 'the node already holds the transaction')
    }
  }

  async #estimate(tx: LaneTransaction): Promise<bigint> {
    let estimate: bigint
    try {
      estimate = await this.#provider.estimateGas({ from: this.#signer.address, to: tx.to, data: tx.data ?? '0x', value: tx.value ?? 0n })
    } catch (err) {
      if (isTransportFailure(err)) throw new ChainError('Unavailable', 'the chain could not estimate the transaction; nothing was sent', { cause: err })
      throw new ChainError('Conflict', 'the transaction would fail (its gas estimate reverted); nothing was sent', { cause: err })
    }
    const withHeadroom = (estimate * BigInt(this.#init.gasHeadroomPercent ?? 120)) / 100n
    if (estimate > MAX_TRANSACTION_GAS) {
      throw new ChainError('BadRequest', `the transaction needs ${estimate} gas, above the per-transaction cap of ${MAX_TRANSACTION_GAS}`)
    }
    return withHeadroom > MAX_TRANSACTION_GAS ? MAX_TRANSACTION_GAS : withHeadroom
  }
}

/** Whether `err` means no node answered (so a broadcast may or may not have arrived), as opposed to a node's refusal. */
export function isTransportFailure(err: unknown): boolean {
  if (err instanceof ChainError) return err.code === 'Unavailable' || err.code === 'Timeout'
  const code = (err as { code?: unknown } | null)?.code
  return code === 'TIMEOUT' || code === 'NETWORK_ERROR' || code === 'SERVER_ERROR'
}

/** The lanes of one chain: one per key, so two callers with the same key share its nonces. */
export class NonceLanes {
  readonly #lanes = new Map<string, NonceLane>()
  readonly #provider: Provider
  readonly #init: NonceLaneInit
  readonly #logger: Logger | undefined

  constructor(components: { provider: Provider; logger?: Logger }, init: NonceLaneInit) {
    this.#provider = components.provider
    this.#logger = components.logger
    this.#init = init
  }

  laneFor(signer: LaneSigner): NonceLane {
    const key = signer.address.toLowerCase()
    let lane = this.#lanes.get(key)
    if (lane === undefined) {
      lane = new NonceLane({ provider: this.#provider, signer, ...(this.#logger === undefined ? {} : { logger: this.#logger }) }, this.#init)
      this.#lanes.set(key, lane)
    }
    return lane
  }
}
