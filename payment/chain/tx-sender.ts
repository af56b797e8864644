// The exactly-once transaction sender, one per key and network. A caller names
// an intent (an id it chooses, and the call); the intent is on disk before
// anything is signed, and each signed transaction (nonce, fees, raw bytes,
// hash) is in the journal before it is broadcast. A transaction not mined
// within a bound (blocks, or time on the injected clock) is replaced: the same
// nonce and calldata signed again at higher fees, up to the policy's cap (then
// it waits), every hash kept and watched. The intent resolves when one of them
// is mined with the network's confirmations; a reverted receipt is a failure.
// After a restart recover() sends again what the journal holds, finds mined
// transactions by their hashes, and asks the caller's check before an intent
// needs a new nonce, so an effect already on chain is never sent twice.
import { TypedEventEmitter } from '@libp2p/interface'
import { getAddress, isHexString, type Provider, type TransactionReceipt } from 'ethers'
import { type Clock, silentLogger, systemClock } from '../../net/index.ts'
import type { Logger, RawRecordStore } from '../../net/index.ts'
import { ChainError } from './chain-error.ts'
import { replacementFees } from './fees.ts'
import { INTENT_ID_MAX, type IntentRecord, IntentStore } from './intent-store.ts'
import type { FeePolicy } from './network-config.ts'
import { type LaneSigner, NonceLane, type SignedTransaction } from './nonce-lane.ts'
import { prefixedStore } from './prefixed-store.ts'
import { TxJournal } from './tx-journal.ts'

/** What a caller asks to happen on chain, under an id of its choosing (e.g. a batch id). */
export interface TxIntent {
  readonly id: string
  readonly to: string
  readonly data: string
  readonly value?: bigint
  /** A fixed gas limit; otherwise the estimate plus headroom. */
  readonly gasLimit?: bigint
}

/** Whether the intent's effect is already on chain (e.g. `paid[batchId]`): asked before it would take a new nonce. */
export type EffectCheck = (intent: IntentRecord) => Promise<boolean>

export type TxOutcome =
  | {
      readonly kind: 'mined'
      readonly intentId: string
      readonly hash: string
      readonly blockNumber: number
      readonly receipt: TransactionReceipt
      /** Every hash signed for the intent's last attempt (replacements included), in signing order. */
      readonly hashes: readonly string[]
    }
  | { readonly kind: 'already-done'; readonly intentId: string }

export interface TxSenderEvents {
  /** A transaction (first or replacement) is journalled and was handed to the node. */
  'tx:broadcast': CustomEvent<SignedTransaction & { readonly replacement: boolean }>
  /** An intent resolved (mined with confirmations, or found done). */
  'intent:settled': CustomEvent<TxOutcome>
}

export interface TxSenderComponents {
  provider: Provider
  signer: LaneSigner
  /** The sender's store (utf8 values); the sender keeps its keys under `chain:<chainId>:<address>:`. */
  db: RawRecordStore
  logger?: Logger
  clock?: Clock
}

export interface TxSenderInit {
  chainId: number
  fees: FeePolicy
  /** Blocks after the one that mined it before it counts (0: mined is enough), as the network config says. */
  confirmations: number
  /** Replace a transaction not mined after this many new blocks (default 3). */
  replaceAfterBlocks?: number
  /** …or after this long on the clock (default 60 s). */
  replaceAfterMs?: number
  /** How often the chain is asked about transactions in flight (default 1 s). */
  pollMs?: number
}

const ID_PATTERN = /^[\x21-\x7e]+$/

export class TxSender extends TypedEventEmitter<TxSenderEvents> {
  readonly #provider: Provider
  readonly #from: string
  readonly #log: Logger
  readonly #clock: Clock
  readonly #init: Required<TxSenderInit>
  readonly #journal: TxJournal
  readonly #intents: IntentStore
  readonly #lane: NonceLane
  readonly #inFlight = new Map<string, Promise<TxOutcome>>()
  readonly #checks: Array<{ prefix: string; check: EffectCheck }> = []
  readonly #timers = new Set<{ handle: unknown; resolve: () => void }>()
  #recovery: Promise<void> | undefined
  #admitting: Promise<unknown> = Promise.resolve()
  #stopped = false

  constructor(components: TxSenderComponents, init: TxSenderInit) {
    super()
    this.#provider = components.provider
    this.#from = getAddress(components.signer.address)
    this.#clock = components.clock ?? systemClock
    this.#log = (components.logger ?? silentLogger).child({ component: 'payment:tx-sender', address: this.#from })
    this.#init = { replaceAfterBlocks: 3, replaceAfterMs: 60_000, pollMs: 1_000, ...init }
    const db = prefixedStore(components.db, `chain:${init.chainId}:${this.#from.toLowerCase()}:`)
    this.#journal = new TxJournal({ db, ...(components.logger === undefined ? {} : { logger: components.logger }) })
    this.#intents = new IntentStore({ db, ...(components.logger === undefined ? {} : { logger: components.logger }) })
    this.#lane = new NonceLane(
      { provider: this.#provider, signer: components.signer, ...(components.logger === undefined ? {} : { logger: components.logger }) },
      { chainId: init.chainId, fees: init.fees, journal: this.#journal }
    )
  }

  get address(): string {
    return this.#from
  }

  /** The check recovery asks for intents whose id starts with `prefix`; register before recover(). */
  checkEffectWith(prefix: string, check: EffectCheck): void {
    this.#checks.push({ prefix, check })
  }

  /**
   * Carries out `intent` exactly once and resolves when it is mined with the
   * confirmations. Asking again with the same id (also after a restart) joins
   * the same intent: a mined one answers at once, a pending one is watched,
   * a failed one is tried afresh (after `isDone` says its effect is not there).
   */
  async send(intent: TxIntent, options: { isDone?: EffectCheck } = {}): Promise<TxOutcome> {
    const wanted = this.#recordOf(intent)
    await this.recover()
    // Admitted one at a time: two sends of one new id must not both start it.
    const admitted = this.#admitting.then(async () => await this.#admit(wanted, options.isDone ?? this.#checkFor(intent.id)))
    this.#admitting = admitted.catch(() => undefined)
    return await (await admitted)()
  }

  /** What send() then awaits: the intent's run, joined or started, or its stored outcome. */
  async #admit(wanted: Omit<IntentRecord, 'attempt'>, isDone: EffectCheck): Promise<() => Promise<TxOutcome>> {
    if (this.#stopped) throw stoppedError()
    const stored = await this.#intents.get(wanted.id)
    if (stored !== undefined && (stored.to.toLowerCase() !== wanted.to.toLowerCase() || stored.data !== wanted.data || stored.value !== wanted.value)) {
      throw new ChainError('Conflict', `intent ${wanted.id} was made for a different call`)
    }
    const running = this.#inFlight.get(wanted.id)
    if (running !== undefined) return () => running
    if (stored?.state === 'mined') return () => this.#minedOutcome(stored)
    if (stored?.state === 'done') return async () => ({ kind: 'already-done', intentId: stored.id })
    if (stored?.state === 'pending') {
      const resumed = this.#track(stored, isDone, 'resume')
      return () => resumed
    }
    const record: IntentRecord = { ...wanted, attempt: (stored?.attempt ?? 0) + 1 }
    if (stored?.state === 'failed' && (await isDone(record))) {
      await this.#intents.put({ ...record, state: 'done' })
      return async () => ({ kind: 'already-done', intentId: record.id })
    }
    await this.#intents.put(record)
    const started = this.#track(record, isDone, 'fresh')
    return () => started
  }

  /**
   * After a restart, once: every journalled transaction not yet mined is
   * broadcast again byte for byte (before any new nonce is taken), and every
   * pending intent is watched again. Its outcome is what send() with the same id gives.
   */
  recover(): Promise<void> {
    this.#recovery ??= this.#recoverNow().catch((err: unknown) => {
      this.#recovery = undefined
      throw err
    })
    return this.#recovery
  }

  /** Ends every wait; what is journalled is taken up again by the next sender's recover(). */
  async stop(): Promise<void> {
    this.#stopped = true
    for (const timer of this.#timers) {
      this.#clock.clearTimeout(timer.handle)
      timer.resolve()
    }
    this.#timers.clear()
    await Promise.allSettled([...this.#inFlight.values()])
  }

  async #recoverNow(): Promise<void> {
    const journalled = await this.#journal.pending()
    const minedCount = await this.#provider.getTransactionCount(this.#from, 'latest')
    for (const tx of journalled) {
      if (tx.nonce < minedCount) continue
      try {
        await this.#provider.broadcastTransaction(tx.raw)
      } catch (err) {
        // Already in the node's pool, or a replacement of it is: the watch finds out which is mined.
        this.#log.debug({ err, hash: tx.hash, nonce: tx.nonce }, 'a journalled transaction was not taken again')
      }
    }
    for (const record of await this.#intents.pending()) {
      this.#track(record, this.#checkFor(record.id), 'resume').catch((err: unknown) => {
        this.#log.warn({ err, intent: record.id }, 'a recovered intent failed')
      })
    }
  }

  #track(record: IntentRecord, isDone: EffectCheck, how: 'fresh' | 'resume'): Promise<TxOutcome> {
    const run = this.#run(record, isDone, how).finally(() => this.#inFlight.delete(record.id))
    this.#inFlight.set(record.id, run)
    return run
  }

  async #run(record: IntentRecord, isDone: EffectCheck, how: 'fresh' | 'resume'): Promise<TxOutcome> {
    let txs = how === 'resume' ? await this.#journalledFor(record.id) : []
    if (how === 'resume' && txs.length === 0) {
      // Written, never signed (or every signed one refused): its effect decides.
      if (await isDone(record)) return await this.#finishDone(record)
    }
    if (txs.length === 0) txs = await this.#firstSend(record)
    return await this.#watch(record, txs, isDone)
  }

  /** Signs and broadcasts the intent with a new nonce; waits while fees are above the cap or no node answers. */
  async #firstSend(record: IntentRecord): Promise<SignedTransaction[]> {
    for (;;) {
      if (this.#stopped) throw stoppedError()
      try {
        const signed = await this.#lane.send({
          to: record.to,
          data: record.data,
          value: BigInt(record.value),
          intent: record.id,
          ...(record.gasLimit === undefined ? {} : { gasLimit: BigInt(record.gasLimit) })
        })
        this.safeDispatchEvent('tx:broadcast', { detail: { ...signed, replacement: false } })
        return [signed]
      } catch (err) {
        const recorded = await this.#journalledFor(record.id)
        if (recorded.length > 0) return recorded // journalled; the watch sends it again
        if (!(err instanceof ChainError) || err.code !== 'Unavailable') {
          await this.#fail(record, err)
          throw err
        }
        this.#log.warn({ err, intent: record.id }, 'the intent could not be sent yet; trying again')
        await this.#sleep(this.#init.pollMs)
      }
    }
  }

  async #watch(record: IntentRecord, initial: SignedTransaction[], isDone: EffectCheck): Promise<TxOutcome> {
    let txs = initial
    let last = highestBid(txs)
    let sentAt = this.#clock.now()
    let sentBlock: number | undefined
    // Seen twice, a mined nonce none of whose hashes has a receipt is not a node that lags behind another.
    let nonceTakenSeen = 0
    for (;;) {
      if (this.#stopped) throw stoppedError()
      try {
        const latestCount = await this.#provider.getTransactionCount(this.#from, 'latest')
        const mined = await this.#findMined(txs)
        const head = await this.#provider.getBlockNumber()
        sentBlock ??= head
        if (mined !== undefined) {
          if (mined.status !== 1) {
            const err = new ChainError('Conflict', `intent ${record.id}'s transaction ${mined.hash} was mined but reverted`)
            await this.#fail(record, err, last.nonce)
            throw err
          }
          if (head - mined.blockNumber >= this.#init.confirmations) return await this.#finishMined(record, mined, txs)
        } else if (latestCount > last.nonce && ++nonceTakenSeen < 2) {
          // Looked at again after the next poll.
        } else if (latestCount > last.nonce) {
          // The nonce went to a transaction not of this intent (none of its hashes is mined): nothing of it took effect.
          await this.#journal.settle(this.#from, last.nonce)
          if (await isDone(record)) return await this.#finishDone(record)
          txs = await this.#firstSend(record)
          last = highestBid(txs)
          sentAt = this.#clock.now()
          sentBlock = undefined
          nonceTakenSeen = 0
          continue
        } else if (head - sentBlock >= this.#init.replaceAfterBlocks || this.#clock.now() - sentAt >= this.#init.replaceAfterMs) {
          const replacement = await this.#replace(last)
          if (replacement !== undefined) {
            txs = [...txs, replacement]
            last = replacement
          }
          sentAt = this.#clock.now()
          sentBlock = head
        }
      } catch (err) {
        if (this.#stopped) throw stoppedError()
        if (err instanceof ChainError && err.code !== 'Unavailable' && err.code !== 'Timeout') throw err
        this.#log.warn({ err, intent: record.id }, 'the chain could not be asked about a transaction; asking again')
      }
      await this.#sleep(this.#init.pollMs)
    }
  }

  /** A higher bid for `last`'s nonce; at the cap, the same bytes again (a node may have dropped them). */
  async #replace(last: SignedTransaction): Promise<SignedTransaction | undefined> {
    const block = await this.#provider.getBlock('latest')
    let fees: SignedTransaction['fees'] | undefined
    try {
      fees = replacementFees(this.#init.fees, last.fees, block?.baseFeePerGas ?? 0n)
    } catch {
      fees = undefined
    }
    if (fees === undefined) {
      this.#log.info({ hash: last.hash, cap: this.#init.fees.maxFeePerGas }, 'at the fee cap: waiting, and sending the last bid again')
      await this.#provider.broadcastTransaction(last.raw).catch(() => undefined)
      return undefined
    }
    try {
      const replacement = await this.#lane.replace(last, fees)
      this.#log.info({ nonce: last.nonce, from: last.hash, to: replacement.hash, maxFeePerGas: fees.maxFeePerGas }, 'replaced a transaction not mined in time')
      this.safeDispatchEvent('tx:broadcast', { detail: { ...replacement, replacement: true } })
      return replacement
    } catch (err) {
      // Refused (mined meanwhile, or underpriced): the next look at the chain decides.
      this.#log.warn({ err, nonce: last.nonce }, 'a replacement was not taken')
      const recorded = (await this.#journalledFor(last.intent ?? '')).find(tx => tx.nonce === last.nonce && tx.fees.maxFeePerGas === fees.maxFeePerGas)
      return recorded
    }
  }

  async #findMined(txs: readonly SignedTransaction[]): Promise<TransactionReceipt | undefined> {
    for (const tx of txs) {
      const receipt = await this.#provider.getTransactionReceipt(tx.hash)
      if (receipt !== null) return receipt
    }
    return undefined
  }

  async #finishMined(record: IntentRecord, receipt: TransactionReceipt, txs: readonly SignedTransaction[]): Promise<TxOutcome> {
    await this.#intents.put({ ...record, state: 'mined', hash: receipt.hash.toLowerCase(), blockNumber: receipt.blockNumber })
    await this.#journal.settle(this.#from, txs[0]!.nonce)
    const outcome: TxOutcome = {
      kind: 'mined',
      intentId: record.id,
      hash: receipt.hash.toLowerCase(),
      blockNumber: receipt.blockNumber,
      receipt,
      hashes: txs.map(tx => tx.hash.toLowerCase())
    }
    this.safeDispatchEvent('intent:settled', { detail: outcome })
    return outcome
  }

  async #finishDone(record: IntentRecord): Promise<TxOutcome> {
    await this.#intents.put({ ...record, state: 'done' })
    const outcome: TxOutcome = { kind: 'already-done', intentId: record.id }
    this.safeDispatchEvent('intent:settled', { detail: outcome })
    return outcome
  }

  async #fail(record: IntentRecord, err: unknown, nonce?: number): Promise<void> {
    const code = err instanceof ChainError ? err.code : 'Internal'
    const reason = (err instanceof Error ? err.message : String(err)).slice(0, 500)
    try {
      await this.#intents.put({ ...record, state: 'failed', code, reason })
      if (nonce !== undefined) await this.#journal.settle(this.#from, nonce)
    } catch (writeErr) {
      this.#log.warn({ err: writeErr, intent: record.id }, 'a failed intent could not be recorded as such')
    }
  }

  async #minedOutcome(stored: IntentRecord): Promise<TxOutcome> {
    const receipt = await this.#provider.getTransactionReceipt(stored.hash!)
    if (receipt === null) throw new ChainError('Unavailable', `intent ${stored.id}'s mined transaction is not known to the node`)
    return { kind: 'mined', intentId: stored.id, hash: stored.hash!, blockNumber: stored.blockNumber!, receipt, hashes: [stored.hash!] }
  }

  async #journalledFor(intentId: string): Promise<SignedTransaction[]> {
    return (await this.#journal.pending()).filter(tx => tx.intent === intentId)
  }

  #checkFor(id: string): EffectCheck {
    const found = this.#checks.find(c => id.startsWith(c.prefix))
    return found?.check ?? (async () => false)
  }

  #recordOf(intent: TxIntent): Omit<IntentRecord, 'attempt'> {
    if (intent.id.length === 0 || intent.id.length > INTENT_ID_MAX || !ID_PATTERN.test(intent.id)) {
      throw new ChainError('BadRequest', `an intent id is 1 to ${INTENT_ID_MAX} printable characters without spaces`)
    }
    let to: string
    try {
      to = getAddress(intent.to)
    } catch {
      throw new ChainError('BadRequest', `intent ${intent.id}: the recipient is not a valid address`)
    }
    if (!isHexString(intent.data)) throw new ChainError('BadRequest', `intent ${intent.id}: the calldata is not hex`)
    const value = intent.value ?? 0n
    if (value < 0n) throw new ChainError('BadRequest', `intent ${intent.id}: the value cannot be negative`)
    return {
      id: intent.id,
      to,
      data: intent.data.toLowerCase(),
      value: String(value),
      state: 'pending',
      ...(intent.gasLimit === undefined ? {} : { gasLimit: String(intent.gasLimit) })
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise(resolve => {
      const timer = {
        handle: undefined as unknown,
        resolve: () => {
          this.#timers.delete(timer)
          resolve()
        }
      }
      timer.handle = this.#clock.setTimeout(timer.resolve, ms)
      this.#timers.add(timer)
    })
  }
}

function highestBid(txs: readonly SignedTransaction[]): SignedTransaction {
  return txs.reduce((best, tx) => (tx.fees.maxFeePerGas > best.fees.maxFeePerGas ? tx : best))
}

function stoppedError(): ChainError {
  return new ChainError('Unavailable', 'the sender is stopped; the intent is taken up again after a restart')
}
