// The direct batch payer (requester side), one per network. Accepted amounts
// are queued on disk before enqueue() returns; every cycle the queue becomes
// batches (per payee summed, documents sorted, at most MAX_BATCH payees and
// under the per-transaction gas cap), each sent through the exactly-once
// sender under the intent `direct:<batchId>`. A batch is on disk with its
// exact documents before it is sent; after a restart it is taken up again as
// it was, and `paid[batchId]` on chain decides before anything is sent. Once a
// batch is mined with the confirmations, each payee's PayoutConfirmation is
// emitted; a batch that fails leaves its documents queued and emits `failed`.
import { TypedEventEmitter } from '@libp2p/interface'
import { getAddress, isAddress, MaxUint256, type Provider } from 'ethers'
import { type Clock, silentLogger, systemClock } from '../../../net/index.ts'
import type { Logger, RawRecordStore } from '../../../net/index.ts'
import { ChainError } from '../../chain/chain-error.ts'
import type { ChainNetwork } from '../../chain/network-config.ts'
import { isTransportFailure, MAX_TRANSACTION_GAS } from '../../chain/nonce-lane.ts'
import { prefixedStore } from '../../chain/prefixed-store.ts'
import type { TxSender } from '../../chain/tx-sender.ts'
import { documentsHashOf, MAX_BATCH } from '../../contracts/index.ts'
import { PaymentError } from '../../model/payment-error.ts'
import type { AgreementTerms, PayoutConfirmation, RequesterSettlementEvents, SettlementProof } from '../settlement.ts'
import { halves, type PlannedBatch, planBatches, type QueuedPayout } from './batch-plan.ts'
import { erc20Abi, type PathTarget, type PayoutPath, payBatchCalldata, payoutsAbi, batchTokenAbi, supportsCheapestPath } from './payout-path.ts'
import { type BatchRecord, ID_PATTERN, type PayoutRecord, PayoutStore } from './payout-store.ts'

/** One document's payout, as the ledger asks for it. */
export interface DirectPayout {
  readonly documentId: string
  readonly agreementId: string
  readonly platform: string
  readonly payee: string
  readonly amount: bigint
}

export interface DirectPayerComponents {
  network: ChainNetwork
  provider: Provider
  /** The payer's sender on this network (its address pays). */
  sender: TxSender
  db: RawRecordStore
  logger?: Logger
  clock?: Clock
}

export interface DirectPayerInit {
  /** How often a batch is sent (default 10 s). */
  directBatchIntervalMs?: number
  /** Most payees per transaction (default and at most MAX_BATCH). */
  maxPayeesPerBatch?: number
  /** The gas a batch transaction may use at most (default MAX_TRANSACTION_GAS, EIP-7825's cap). */
  gasCap?: bigint
  /** Pay through this path whatever the token supports (the any-ERC20 path works for every token). */
  path?: PayoutPath
}

/** A payout amount is packed into 96 bits. */
const MAX_AMOUNT = (1n << 96n) - 1n
const INTENT_PREFIX = 'direct:'
const APPROVE_PREFIX = 'direct-approve:'

export class DirectPayer extends TypedEventEmitter<RequesterSettlementEvents> {
  readonly #network: ChainNetwork
  readonly #provider: Provider
  readonly #sender: TxSender
  readonly #store: PayoutStore
  readonly #log: Logger
  readonly #clock: Clock
  readonly #intervalMs: number
  readonly #maxPayees: number
  readonly #gasCap: bigint
  readonly #forcedPath: PayoutPath | undefined
  #target: PathTarget | undefined
  /** Enqueues and cycles run one at a time: an agreement's queued total is read and written together. */
  #queue: Promise<unknown> = Promise.resolve()
  #timer: unknown
  #nextBatchAt: number
  #started = false
  #starting: Promise<void> | undefined

  constructor(components: DirectPayerComponents, init: DirectPayerInit = {}) {
    super()
    this.#network = components.network
    this.#provider = components.provider
    this.#sender = components.sender
    this.#store = new PayoutStore({
      db: prefixedStore(components.db, `direct:${components.network.chainId}:`),
      ...(components.logger === undefined ? {} : { logger: components.logger })
    })
    this.#log = (components.logger ?? silentLogger).child({ component: 'payment:direct-payer', network: components.network.name })
    this.#clock = components.clock ?? systemClock
    this.#intervalMs = init.directBatchIntervalMs ?? 10_000
    this.#maxPayees = init.maxPayeesPerBatch ?? MAX_BATCH
    this.#gasCap = init.gasCap ?? MAX_TRANSACTION_GAS
    this.#forcedPath = init.path
    if (!Number.isInteger(this.#intervalMs) || this.#intervalMs < 1)
      throw new PaymentError('BadRequest', 'directBatchIntervalMs must be a whole number of ms, at least 1')
    if (!Number.isInteger(this.#maxPayees) || this.#maxPayees < 1 || this.#maxPayees > MAX_BATCH) {
      throw new PaymentError('BadRequest', `maxPayeesPerBatch must be from 1 to ${MAX_BATCH}`)
    }
    if (this.#gasCap < 100_000n || this.#gasCap > MAX_TRANSACTION_GAS)
      throw new PaymentError('BadRequest', `gasCap must be from 100000 to ${MAX_TRANSACTION_GAS}`)
    this.#nextBatchAt = this.#clock.now() + this.#intervalMs
    this.#sender.checkEffectWith(INTENT_PREFIX, async intent => await this.#isPaid(intent.id.slice(INTENT_PREFIX.length)))
    this.#sender.checkEffectWith(APPROVE_PREFIX, async () => await this.#allowanceIsUnlimited())
  }

  get address(): string {
    return this.#sender.address
  }

  /** When the next batch is sent (epoch ms on the clock). */
  get nextBatchAt(): number {
    return this.#nextBatchAt
  }

  /** Finishes batches mined before a restart, then runs the cycle every interval. */
  async start(): Promise<void> {
    if (this.#started) return
    // Started only once recovery succeeded: a failed one leaves the payer unstarted, so a later start() recovers and schedules.
    this.#starting ??= this.#startNow().finally(() => {
      this.#starting = undefined
    })
    await this.#starting
  }

  async #startNow(): Promise<void> {
    await this.#sender.recover()
    await this.#serial(async () => {
      for (const batch of await this.#store.batches()) if (batch.state === 'paid' && batch.txHash !== undefined) await this.#finishPaid(batch, batch.txHash)
    })
    this.#started = true
    this.#schedule()
  }

  /** Ends the cycle and waits for the one running; batches in flight are taken up by the next start(). */
  async stop(): Promise<void> {
    await this.#starting?.catch(() => undefined)
    this.#started = false
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer)
    this.#timer = undefined
    await this.#queue.catch(() => undefined)
  }

  /** Queues one document's payout, synced to disk before it returns; the same payout again changes nothing. */
  async enqueue(payout: DirectPayout): Promise<{ readonly batchDue: number }> {
    const record = this.#recordOf(payout)
    await this.#serial(async () => await this.#enqueueNow(record))
    return { batchDue: this.#nextBatchAt }
  }

  /**
   * The requester accepted `documentId`, bringing the agreement's accepted
   * total to `cumulative`: queues what earlier documents did not (nothing when
   * they covered it all). Written before it returns; idempotent per document.
   */
  async settleAccepted(terms: AgreementTerms, documentId: string, cumulative: bigint): Promise<SettlementProof> {
    this.#checkPlatform(terms.platform)
    if (cumulative < 0n) throw new PaymentError('BadRequest', 'a cumulative amount cannot be negative')
    await this.#serial(async () => {
      if ((await this.#store.payout(terms.agreementId, documentId)) !== undefined) return
      const earlier = [...(await this.#store.queued(terms.agreementId)), ...(await this.#store.paid(terms.agreementId))]
      const before = earlier.reduce((sum, p) => sum + BigInt(p.amount), 0n)
      if (cumulative < before) throw new PaymentError('Conflict', `agreement ${terms.agreementId}: ${cumulative} is below the ${before} already queued`)
      if (cumulative === before) return
      await this.#enqueueNow(
        this.#recordOf({ documentId, agreementId: terms.agreementId, platform: terms.platform, payee: terms.payee, amount: cumulative - before })
      )
    })
    return { kind: 'direct', batchDue: this.#nextBatchAt }
  }

  /** Runs one cycle now (after the one running): the confirmations of the batches it paid. */
  async payNow(): Promise<PayoutConfirmation[]> {
    return await this.#serial(async () => await this.#cycle())
  }

  /** The payouts still queued (for status and tests). */
  async queued(): Promise<PayoutRecord[]> {
    return await this.#store.queued()
  }

  #schedule(): void {
    if (!this.#started) return
    this.#nextBatchAt = this.#clock.now() + this.#intervalMs
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined
      this.payNow()
        .catch((err: unknown) => this.#log.warn({ err }, 'a payout cycle failed; the next one tries again'))
        .finally(() => this.#schedule())
    }, this.#intervalMs)
  }

  #serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(work)
    this.#queue = run.catch(() => undefined)
    return run
  }

  async #enqueueNow(record: PayoutRecord): Promise<void> {
    const existing = await this.#store.payout(record.agreementId, record.documentId)
    if (existing !== undefined) {
      if (existing.payee !== record.payee || existing.amount !== record.amount || existing.platform !== record.platform) {
        throw new PaymentError('Conflict', `document ${record.documentId} is already queued with another payee or amount`)
      }
      return
    }
    await this.#store.putQueued(record)
  }

  async #cycle(): Promise<PayoutConfirmation[]> {
    const inFlight = await this.#store.batches()
    const busy = new Set(inFlight.flatMap(b => b.documents.map(d => d.documentId)))
    const queued = (await this.#store.queued()).filter(p => !busy.has(p.documentId))
    const confirmations: PayoutConfirmation[] = []
    const sends: Promise<void>[] = inFlight.filter(b => b.state === 'sending').map(b => this.#resume(b, confirmations))
    if (queued.length > 0) {
      const payouts: QueuedPayout[] = queued.map(p => ({ documentId: p.documentId, agreementId: p.agreementId, payee: p.payee, amount: BigInt(p.amount) }))
      try {
        sends.push(...(await this.#sendNew(payouts, confirmations)))
      } catch (err) {
        // A chain's or config's refusal fails the payouts; anything else (the store) ends the cycle.
        if (!(err instanceof ChainError) && !(err instanceof PaymentError)) throw err
        this.#failed(payouts, err)
      }
    }
    await Promise.all(sends)
    return confirmations
  }

  /** Plans, sizes, records and sends the batches of `payouts`; the sends run on. */
  async #sendNew(payouts: readonly QueuedPayout[], confirmations: PayoutConfirmation[]): Promise<Promise<void>[]> {
    const target = await this.#pathTarget()
    const planned = planBatches(this.address, this.#network.token.address, payouts, this.#maxPayees)
    // No block before this one can hold the batches: where their event is looked for.
    const fromBlock = await this.#provider.getBlockNumber()
    if (target.path === 'any-erc20') await this.#approve(target.contract, planned)
    const sends: Promise<void>[] = []
    for (const batch of planned) {
      let fitted: Array<{ batch: PlannedBatch; gasLimit: bigint }>
      try {
        fitted = await this.#fit(target, batch)
      } catch (err) {
        this.#failed(batch.documents, err)
        continue
      }
      for (const { batch: each, gasLimit } of fitted) {
        const record: BatchRecord = {
          batchId: each.batchId,
          documentsHash: each.documentsHash,
          path: target.path,
          contract: target.contract,
          gasLimit: String(gasLimit),
          fromBlock,
          documents: each.documents.map(d => ({ documentId: d.documentId, agreementId: d.agreementId, payee: d.payee, amount: String(d.amount) })),
          state: 'sending'
        }
        await this.#store.putBatch(record)
        sends.push(this.#send(record, confirmations))
      }
    }
    return sends
  }

  /** A batch left in flight (a restart, or a chain out of reach): paid on chain decides before it is sent again. */
  async #resume(batch: BatchRecord, confirmations: PayoutConfirmation[]): Promise<void> {
    try {
      if (await this.#isPaid(batch.batchId)) {
        const txHash = await this.#batchTxOf(batch)
        confirmations.push(...(await this.#finishPaid(batch, txHash)))
        return
      }
    } catch (err) {
      this.#log.warn({ err, batchId: batch.batchId }, 'a batch in flight could not be checked on chain; the next cycle tries again')
      return
    }
    await this.#send(batch, confirmations)
  }

  async #send(batch: BatchRecord, confirmations: PayoutConfirmation[]): Promise<void> {
    const data = payBatchCalldata(batch.path, this.#network.token.address, batch.documentsHash, paymentsOf(batch))
    try {
      const outcome = await this.#sender.send(
        { id: INTENT_PREFIX + batch.batchId, to: batch.contract, data, gasLimit: BigInt(batch.gasLimit) },
        { isDone: async () => await this.#isPaid(batch.batchId) }
      )
      const txHash = outcome.kind === 'mined' ? outcome.hash : await this.#batchTxOf(batch)
      confirmations.push(...(await this.#finishPaid(batch, txHash)))
    } catch (err) {
      if (!(err instanceof ChainError) || (err.code !== 'Conflict' && err.code !== 'BadRequest')) {
        // Maybe on its way (or the store failed): it stays in flight, and is taken up again exactly as it is.
        this.#log.warn({ err, batchId: batch.batchId }, 'a batch could not be followed to its receipt; it is taken up again')
        return
      }
      // It reverted or was never sent: nothing of it is on chain, unless an earlier send paid it.
      if (await this.#isPaid(batch.batchId).catch(() => false)) {
        confirmations.push(...(await this.#finishPaid(batch, await this.#batchTxOf(batch))))
        return
      }
      await this.#store.dropBatch(batch.batchId)
      this.#failed(
        batch.documents.map(d => ({ ...d, amount: BigInt(d.amount) })),
        err
      )
    }
  }

  async #finishPaid(batch: BatchRecord, txHash: string): Promise<PayoutConfirmation[]> {
    await this.#store.putBatch({ ...batch, state: 'paid', txHash })
    for (const doc of batch.documents) {
      const record = await this.#store.payout(doc.agreementId, doc.documentId)
      if (record !== undefined && record.state === 'queued') await this.#store.markPaid(record, batch.batchId, txHash)
    }
    const allIds = batch.documents.map(d => d.documentId)
    const payees = [...new Set(batch.documents.map(d => d.payee))]
    const confirmations = payees.map(
      (payee): PayoutConfirmation => ({
        platform: this.#network.platform,
        txHash,
        batchId: batch.batchId,
        payer: this.address.toLowerCase(),
        payee,
        documents: batch.documents
          .filter(d => d.payee === payee)
          .map(d => ({ documentId: d.documentId, agreementId: d.agreementId, amount: BigInt(d.amount) })),
        batchDocumentIds: allIds
      })
    )
    for (const detail of confirmations) this.safeDispatchEvent('paid', { detail })
    await this.#store.dropBatch(batch.batchId)
    return confirmations
  }

  #failed(documents: readonly QueuedPayout[], err: unknown): void {
    const code = err instanceof ChainError || err instanceof PaymentError ? err.code : 'Internal'
    this.#log.warn({ err, documents: documents.length }, 'a payout batch failed; its documents stay queued')
    this.safeDispatchEvent('failed', { detail: { documentIds: documents.map(d => d.documentId), code } })
  }

  /** The batch and its gas limit, or its halves (recursively) while it would use more than the cap. */
  async #fit(target: PathTarget, batch: PlannedBatch): Promise<Array<{ batch: PlannedBatch; gasLimit: bigint }>> {
    const data = payBatchCalldata(target.path, this.#network.token.address, batch.documentsHash, batch.payments)
    let estimate: bigint
    try {
      estimate = await this.#provider.estimateGas({ from: this.address, to: target.contract, data })
    } catch (err) {
      throw new ChainError('Conflict', 'the batch would revert (its gas estimate failed; funds or allowance?)', { cause: err })
    }
    if ((estimate * 110n) / 100n > this.#gasCap) {
      if (batch.payments.length < 2) throw new ChainError('BadRequest', `one payee's payout needs ${estimate} gas, above the cap of ${this.#gasCap}`)
      const [first, second] = halves(this.address, this.#network.token.address, batch)
      return [...(await this.#fit(target, first)), ...(await this.#fit(target, second))]
    }
    const withHeadroom = (estimate * 120n) / 100n
    return [{ batch, gasLimit: withHeadroom > this.#gasCap ? this.#gasCap : withHeadroom }]
  }

  /** The payouts contract may pull from the payer: an unlimited approval, made once. */
  async #approve(spender: string, planned: readonly PlannedBatch[]): Promise<void> {
    const needed = planned.reduce((sum, b) => sum + b.total, 0n)
    const allowance = (await this.#call(this.#network.token.address, erc20Abi, 'allowance', [this.address, spender])) as bigint
    if (allowance >= needed) return
    const id = `${APPROVE_PREFIX}${spender.toLowerCase()}:${documentsHashOf(planned.flatMap(b => b.documents.map(d => d.documentId)))}`
    await this.#sender.send({ id, to: this.#network.token.address, data: erc20Abi.encodeFunctionData('approve', [spender, MaxUint256]) })
  }

  async #pathTarget(): Promise<PathTarget> {
    if (this.#target !== undefined) return this.#target
    const cheapest =
      this.#forcedPath === undefined ? await supportsCheapestPath(this.#provider, this.#network.token.address, this.address) : this.#forcedPath === 'cheapest'
    if (cheapest) {
      this.#target = { path: 'cheapest', contract: this.#network.token.address }
    } else {
      const payouts = this.#network.contracts.batchPayout
      if (payouts === undefined)
        throw new PaymentError('Unavailable', `network ${this.#network.name} has no batch payout contract and its token no batch payout`)
      this.#target = { path: 'any-erc20', contract: payouts }
    }
    this.#log.info({ path: this.#target.path }, 'direct payouts path chosen')
    return this.#target
  }

  /** Whether the batch id is paid on either path's contract (the id is the same on both: payer, token, documents). */
  async #isPaid(batchId: string): Promise<boolean> {
    const onToken = await this.#call(this.#network.token.address, batchTokenAbi, 'paid', [batchId]).catch((err: unknown) => {
      // A plain ERC-20 has no paid(): its call reverts. No answer at all is another matter.
      if (isTransportFailure(err)) throw err
      return false
    })
    if (onToken === true) return true
    const payouts = this.#network.contracts.batchPayout
    return payouts === undefined ? false : ((await this.#call(payouts, payoutsAbi, 'paid', [batchId])) as boolean)
  }

  async #allowanceIsUnlimited(): Promise<boolean> {
    const spender = this.#network.contracts.batchPayout
    if (spender === undefined) return false
    const allowance = (await this.#call(this.#network.token.address, erc20Abi, 'allowance', [this.address, spender])) as bigint
    return allowance >= MaxUint256 / 2n
  }

  /** The transaction that paid `batch`, found by its BatchPaid event (the batch id is an indexed topic). */
  async #batchTxOf(batch: BatchRecord): Promise<string> {
    const abi = batch.path === 'cheapest' ? batchTokenAbi : payoutsAbi
    const topic = abi.getEvent('BatchPaid')!.topicHash
    const logs = await this.#provider.getLogs({ address: batch.contract, topics: [topic, batch.batchId], fromBlock: batch.fromBlock, toBlock: 'latest' })
    const found = logs[0]
    if (found === undefined) throw new ChainError('Unavailable', `batch ${batch.batchId} is paid but its event is not found on this node`)
    return found.transactionHash.toLowerCase()
  }

  async #call(to: string, abi: typeof erc20Abi, method: string, args: unknown[]): Promise<unknown> {
    const result = await this.#provider.call({ to, data: abi.encodeFunctionData(method, args) })
    return abi.decodeFunctionResult(method, result)[0]
  }

  #checkPlatform(platform: string): void {
    if (platform !== this.#network.platform && !this.#network.aliases.includes(platform)) {
      throw new PaymentError('BadRequest', `payment platform ${platform.slice(0, 80)} is not ${this.#network.platform}'s`)
    }
  }

  #recordOf(payout: DirectPayout): PayoutRecord {
    if (typeof payout.documentId !== 'string' || !ID_PATTERN.test(payout.documentId))
      throw new PaymentError('BadRequest', 'a document id is 1 to 128 of A-Z a-z 0-9 . _ -')
    if (typeof payout.agreementId !== 'string' || !ID_PATTERN.test(payout.agreementId)) {
      throw new PaymentError('BadRequest', 'an agreement id is 1 to 128 of A-Z a-z 0-9 . _ -')
    }
    this.#checkPlatform(payout.platform)
    if (typeof payout.payee !== 'string' || !isAddress(payout.payee)) throw new PaymentError('BadRequest', 'the payee is not a valid address')
    if (typeof payout.amount !== 'bigint' || payout.amount <= 0n || payout.amount > MAX_AMOUNT) {
      throw new PaymentError('BadRequest', 'a payout amount is from 1 to 2^96-1 base units')
    }
    return {
      documentId: payout.documentId,
      agreementId: payout.agreementId,
      platform: this.#network.platform,
      payee: getAddress(payout.payee).toLowerCase(),
      amount: String(payout.amount),
      queuedAt: this.#clock.now(),
      state: 'queued'
    }
  }
}

function paymentsOf(batch: BatchRecord): bigint[] {
  const sums = new Map<string, bigint>()
  for (const doc of batch.documents) sums.set(doc.payee, (sums.get(doc.payee) ?? 0n) + BigInt(doc.amount))
  return [...sums.keys()].sort().map(payee => (BigInt(payee) << 96n) | sums.get(payee)!)
}
