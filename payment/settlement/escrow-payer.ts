// The requester's side of escrow settlement on one network: one deposit per
// agreement, opened by createMany for every prepare that arrives while the
// previous batch is on its way (or within the batch window); vouchers over the
// deposit's cumulative, signed and kept before they are handed out (signing
// sends nothing: no gas per debit note); top-ups when a voucher would exceed
// the deposit; the reclaim of what is left once the deadline has passed.
// Every transaction goes through the network's exactly-once sender under an
// intent written (with the deposits it concerns) before anything is signed;
// after a restart the same intent is asked for again, and the sender asks the
// chain (deposits open? topped up? reclaimed?) before it sends anything anew.
import type { TypedEventEmitter } from '@libp2p/interface'
import { concat, keccak256, MaxUint256, type Wallet } from 'ethers'
import type { Clock, Logger, TimerHandle } from '../../net/index.ts'
import { depositIdOf } from '../contracts/index.ts'
import type { DepositView } from '../model/documents.ts'
import { PaymentError } from '../model/payment-error.ts'
import { batchCodec, type PayerDeposit, payerCodec, type TxBatch, without } from './escrow-records.ts'
import { KeyedLock } from './keyed-lock.ts'
import type { NetworkChain } from './network-chain.ts'
import { RecordBook } from './record-book.ts'
import { isUnfinished } from './unfinished.ts'
import type { AgreementTerms, RequesterSettlementEvents, SettlementProof, SignedVoucher } from './settlement.ts'
import { saltOf, signVoucher } from './vouchers.ts'

/** The contract keeps amounts in 96 bits. */
export const MAX_DEPOSIT = (1n << 96n) - 1n
/** Deposits opened by one createMany at most: well under the contract's 500 and the 2^24 gas cap. */
export const MAX_OPEN_BATCH = 200

export interface EscrowPayerInit {
  /** A deposit's deadline is the agreement's expiry plus its payment timeout plus this (ms). */
  readonly depositDeadlineMarginMs: number
  /** How long the first prepare of a batch waits for others (ms; 0: those of the same turn, and all that arrive while a batch is on its way). */
  readonly openBatchWindowMs: number
  /** How often the claimed totals of deposits with vouchers not yet seen claimed are read (ms). */
  readonly claimWatchIntervalMs: number
}

interface Queued {
  readonly depositId: string
  readonly done: Promise<void>
  readonly resolve: () => void
  readonly reject: (err: unknown) => void
}

export class EscrowPayer {
  readonly #chain: NetworkChain
  readonly #wallet: Wallet
  readonly #clock: Clock
  readonly #log: Logger
  readonly #init: EscrowPayerInit
  readonly records: RecordBook<PayerDeposit>
  readonly #batches: RecordBook<TxBatch>
  /** Deposits whose createMany or top-up is being taken up again after a restart. */
  readonly #resuming = new Map<string, Promise<void>>()
  readonly #locks = new KeyedLock()
  readonly #queue = new Map<string, Queued>()
  #pumping: Promise<void> | undefined
  #windowTimer: TimerHandle | undefined
  readonly #reclaimTimers = new Map<string, TimerHandle>()
  readonly #events: TypedEventEmitter<RequesterSettlementEvents> | undefined
  /** Per deposit, the claimed total last seen on chain (read again after a restart: reporting it twice changes nothing). */
  readonly #seenClaimed = new Map<string, bigint>()
  #watchTimer: TimerHandle | undefined
  #watching: Promise<void> | undefined
  #stopped = false

  constructor(
    components: { chain: NetworkChain; wallet: Wallet; clock: Clock; logger: Logger; events?: TypedEventEmitter<RequesterSettlementEvents> },
    init: EscrowPayerInit
  ) {
    this.#chain = components.chain
    this.#events = components.events
    this.#wallet = components.wallet
    this.#clock = components.clock
    this.#log = components.logger.child({ component: 'payment:escrow-payer', network: components.chain.network.name })
    this.#init = init
    this.records = new RecordBook(components.chain.db, 'payer:', payerCodec, this.#log)
    this.#batches = new RecordBook(components.chain.db, 'open-batch:', batchCodec, this.#log)
    const sender = components.chain.sender
    sender.checkEffectWith(OPEN, async intent => {
      const batch = this.#batches.get(intent.id)
      return batch !== undefined && (await this.#allOpen(batch.depositIds))
    })
    sender.checkEffectWith(TOP_UP, async intent => {
      const [depositId, target] = intent.id.slice(TOP_UP.length).split(':')
      return (await this.#chain.deposit(depositId!)).amount >= BigInt(target!)
    })
    sender.checkEffectWith(RECLAIM, async intent => {
      const onChain = await this.#chain.deposit(intent.id.slice(RECLAIM.length))
      return onChain.deadline !== 0 && onChain.amount === onChain.claimed
    })
    sender.checkEffectWith(APPROVE, async () => (await this.#chain.allowance(this.#address, this.#chain.escrowAddress)) >= STANDING_ALLOWANCE_FLOOR)
  }

  get #address(): string {
    return this.#wallet.address.toLowerCase()
  }

  /** Loads the records (before the sender recovers, as its effect checks read them). */
  async load(): Promise<void> {
    this.#stopped = false
    await this.records.load()
    await this.#batches.load()
  }

  /**
   * After the sender recovered: every createMany and top-up written before a
   * stop is asked for again (joining it, or answered from the chain) in the
   * background; deposits left opening without one are checked on chain;
   * reclaims due are scheduled.
   */
  async resume(): Promise<void> {
    for (const batch of this.#batches.values()) {
      const finishing = this.#finishBatch(batch).catch(err => this.#log.warn({ err, intent: batch.intentId }, 'a createMany taken up again failed'))
      for (const id of batch.depositIds) this.#resuming.set(id, finishing)
      void finishing.finally(() => {
        for (const id of batch.depositIds) if (this.#resuming.get(id) === finishing) this.#resuming.delete(id)
      })
    }
    for (const record of this.records.values()) {
      if (record.state === 'opening' && !this.#resuming.has(record.depositId)) await this.#settleOpening(record)
      const now = this.records.get(record.depositId)!
      if (now.topUpTo !== undefined) {
        const target = now.topUpTo
        const topping = this.#locks
          .run(now.depositId, () => this.#topUp(now.depositId, target))
          .then(
            () => undefined,
            err => this.#log.warn({ err, depositId: now.depositId }, 'a top-up taken up again failed')
          )
        this.#resuming.set(now.depositId, topping)
        void topping.finally(() => this.#resuming.delete(now.depositId))
      }
      if (now.state === 'finished') this.#scheduleReclaim(now)
    }
    this.#armWatch()
  }

  /** Reads, on the clock, what the provider claimed of every deposit whose voucher is not yet seen claimed; reports what is new. */
  #armWatch(): void {
    if (this.#stopped || this.#events === undefined) return
    this.#watchTimer = this.#clock.setTimeout(() => {
      this.#watchTimer = undefined
      this.#watching = this.#watchClaims()
        .catch(err => this.#log.warn({ err }, 'claimed totals could not be read; tried again later'))
        .finally(() => {
          this.#watching = undefined
          this.#armWatch()
        })
    }, this.#init.claimWatchIntervalMs)
  }

  async #watchClaims(): Promise<void> {
    for (const record of this.records.values()) {
      if (this.#stopped) return
      const vouchered = record.voucherCumulative ?? 0n
      const seen = this.#seenClaimed.get(record.depositId) ?? 0n
      if (record.state === 'opening' || vouchered <= seen) continue
      const { claimed } = await this.#chain.deposit(record.depositId)
      if (claimed <= seen) continue
      this.#seenClaimed.set(record.depositId, claimed)
      this.#events?.safeDispatchEvent('claimed', { detail: { agreementId: record.agreementId, claimed } })
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true
    if (this.#windowTimer !== undefined) this.#clock.clearTimeout(this.#windowTimer)
    this.#windowTimer = undefined
    for (const timer of this.#reclaimTimers.values()) this.#clock.clearTimeout(timer)
    this.#reclaimTimers.clear()
    if (this.#watchTimer !== undefined) this.#clock.clearTimeout(this.#watchTimer)
    this.#watchTimer = undefined
    await this.#watching
    for (const queued of this.#queue.values())
      queued.reject(new PaymentError('Unavailable', 'settlement is stopping; the deposit is opened after the next start'))
    this.#queue.clear()
    await this.#pumping?.catch(() => undefined)
    await this.#locks.idle()
  }

  depositIdOf(terms: AgreementTerms): string {
    return depositIdOf({ requester: this.#address, provider: terms.payee, token: this.#chain.tokenAddress, salt: saltOf(terms.agreementId) }).toLowerCase()
  }

  byAgreement(agreementId: string): PayerDeposit | undefined {
    return this.records.values().find(r => r.agreementId === agreementId)
  }

  async views(): Promise<DepositView[]> {
    const views: DepositView[] = []
    for (const r of this.records.values()) {
      const onChain = r.state === 'opening' ? { amount: 0n, claimed: 0n, deadline: r.deadline } : await this.#chain.deposit(r.depositId)
      views.push({
        depositId: r.depositId,
        role: 'Requestor',
        requester: r.requester,
        provider: r.provider,
        token: r.token,
        paymentPlatform: this.#chain.network.platform,
        agreementIds: [r.agreementId],
        amount: onChain.amount,
        claimed: onChain.claimed,
        deadline: onChain.deadline * 1000,
        voucherCumulative: r.voucherCumulative ?? 0n,
        reclaim: r.state === 'reclaimed' ? 'done' : r.state === 'finished' ? 'at-deadline' : 'not-yet'
      })
    }
    return views
  }

  /** Opens the agreement's deposit with `budget` unless the record or the chain says it is open. */
  prepare(terms: AgreementTerms, budget: bigint): Promise<void> {
    try {
      this.#checkTerms(terms)
      if (budget <= 0n || budget > MAX_DEPOSIT)
        throw new PaymentError('BadRequest', `a deposit's budget must be from 1 to ${MAX_DEPOSIT} base units, not ${budget}`)
      const deadline = this.#deadlineOf(terms)
      if (deadline * 1000 <= this.#clock.now()) throw new PaymentError('BadRequest', `agreement ${terms.agreementId} has expired: no deposit is opened for it`)
      const depositId = this.depositIdOf(terms)
      const resuming = this.#resuming.get(depositId)
      if (resuming !== undefined) return resuming.then(() => this.prepare(terms, budget))
      const record = this.records.get(depositId)
      if (record !== undefined && record.state !== 'opening') return Promise.resolve()
      const queued = this.#queue.get(depositId)
      if (queued !== undefined) return queued.done
      const fresh: PayerDeposit = record ?? {
        depositId,
        agreementId: terms.agreementId,
        platform: terms.platform,
        requester: this.#address,
        provider: terms.payee.toLowerCase(),
        token: this.#chain.tokenAddress,
        salt: saltOf(terms.agreementId),
        deadline,
        state: 'opening',
        amount: budget
      }
      return this.#enqueue(fresh)
    } catch (err) {
      return Promise.reject(err)
    }
  }

  /**
   * Signs (and keeps) the voucher over `cumulative`, topping the deposit up
   * first when it holds less: doubling what it holds (so a growing agreement
   * costs a few top-ups, not one per note), capped by `cumulative` plus what
   * `room` answers; never below `cumulative`, nor above what the wallet holds
   * beyond that.
   */
  settleAccepted(terms: AgreementTerms, cumulative: bigint, room?: () => bigint): Promise<SettlementProof> {
    try {
      this.#checkTerms(terms)
      if (cumulative < 0n || cumulative > MAX_DEPOSIT)
        throw new PaymentError('BadRequest', `a cumulative amount must be from 0 to ${MAX_DEPOSIT}, not ${cumulative}`)
    } catch (err) {
      return Promise.reject(err)
    }
    const depositId = this.depositIdOf(terms)
    return this.#locks.run(depositId, async () => {
      await this.#resuming.get(depositId)
      let record = this.records.get(depositId)
      if (record === undefined || record.state === 'opening') {
        // Not prepared (or not yet open): open it now with what is owed.
        await this.prepare(terms, cumulative > 0n ? cumulative : 1n)
        record = this.records.get(depositId)!
      }
      if (record.state === 'reclaimed') throw new PaymentError('Gone', `the deposit of agreement ${terms.agreementId} was reclaimed`)
      const kept = this.#keptVoucher(record)
      if (kept !== undefined && cumulative <= kept.cumulative) return { kind: 'voucher', voucher: kept }
      if (cumulative > record.amount) record = await this.#topUp(depositId, topUpTargetOf(record.amount, cumulative, room?.() ?? 0n), cumulative)
      const signature = await signVoucher(this.#wallet, this.#place, depositId, cumulative)
      const signed: PayerDeposit = { ...record, voucherCumulative: cumulative, voucherSignature: signature }
      await this.records.put(signed)
      return { kind: 'voucher', voucher: this.#keptVoucher(signed)! }
    })
  }

  /** The agreement ended: what is left is reclaimed once the deadline has passed (exactly once). */
  async finish(agreementId: string): Promise<void> {
    const record = this.byAgreement(agreementId)
    if (record === undefined) return
    await this.#locks.run(record.depositId, async () => {
      const current = this.records.get(record.depositId)!
      if (current.state !== 'open') return
      const finished: PayerDeposit = { ...current, state: 'finished' }
      await this.records.put(finished)
      this.#scheduleReclaim(finished)
    })
  }

  get #place(): { chainId: number; escrow: string } {
    return { chainId: this.#chain.network.chainId, escrow: this.#chain.escrowAddress }
  }

  #checkTerms(terms: AgreementTerms): void {
    if (terms.requester.toLowerCase() !== this.#address) {
      throw new PaymentError('Forbidden', `agreement ${terms.agreementId} is paid by ${terms.requester}, not by this node (${this.#address})`)
    }
    if (!/^0x[0-9a-fA-F]{40}$/.test(terms.payee)) throw new PaymentError('BadRequest', `agreement ${terms.agreementId}'s payee is not an address`)
    // The escrow must exist before anything is asked of it.
    void this.#chain.escrow
  }

  #deadlineOf(terms: AgreementTerms): number {
    return Math.ceil((terms.expiresAt + terms.paymentTimeoutMs + this.#init.depositDeadlineMarginMs) / 1000)
  }

  #keptVoucher(record: PayerDeposit): SignedVoucher | undefined {
    if (record.voucherCumulative === undefined || record.voucherSignature === undefined) return undefined
    return {
      depositId: record.depositId,
      salt: record.salt,
      requester: record.requester,
      provider: record.provider,
      token: record.token,
      chainId: this.#chain.network.chainId,
      escrow: this.#chain.escrowAddress,
      cumulative: record.voucherCumulative,
      signature: record.voucherSignature
    }
  }

  #enqueue(record: PayerDeposit): Promise<void> {
    if (this.#stopped) return Promise.reject(new PaymentError('Unavailable', 'settlement is stopped'))
    let resolve!: () => void
    let reject!: (err: unknown) => void
    const done = new Promise<void>((res, rej) => {
      resolve = res
      reject = rej
    })
    this.#queue.set(record.depositId, { depositId: record.depositId, done, resolve, reject })
    this.#pending.set(record.depositId, record)
    this.#kick()
    return done
  }

  /** Records waiting for the next createMany, by deposit id. */
  readonly #pending = new Map<string, PayerDeposit>()

  #kick(): void {
    if (this.#pumping !== undefined || this.#windowTimer !== undefined) return
    const begin = (): void => {
      this.#windowTimer = undefined
      this.#pumping = this.#pump().finally(() => {
        this.#pumping = undefined
        if (this.#queue.size > 0 && !this.#stopped) this.#kick()
      })
    }
    if (this.#init.openBatchWindowMs > 0) this.#windowTimer = this.#clock.setTimeout(begin, this.#init.openBatchWindowMs)
    else queueMicrotask(begin)
  }

  async #pump(): Promise<void> {
    while (this.#queue.size > 0 && !this.#stopped) {
      const batch = [...this.#queue.values()].slice(0, MAX_OPEN_BATCH)
      for (const q of batch) this.#queue.delete(q.depositId)
      const records = batch.map(q => this.#pending.get(q.depositId)!)
      for (const q of batch) this.#pending.delete(q.depositId)
      try {
        await this.#open(records)
        for (const q of batch) q.resolve()
      } catch (err) {
        for (const q of batch) q.reject(err)
      }
    }
  }

  /** Opens `records` in one createMany: intents on disk first, deposits the chain already holds left out. */
  async #open(records: readonly PayerDeposit[]): Promise<void> {
    await this.records.putAll(records.filter(r => this.records.get(r.depositId) === undefined))
    const toOpen: PayerDeposit[] = []
    const onChain = await Promise.all(records.map(r => this.#chain.deposit(r.depositId)))
    for (const [i, record] of records.entries()) {
      const found = onChain[i]!
      if (found.deadline !== 0) await this.records.put({ ...record, state: 'open', amount: found.amount, deadline: found.deadline })
      else toOpen.push(record)
    }
    if (toOpen.length === 0) return
    const total = toOpen.reduce((sum, r) => sum + r.amount, 0n)
    const balance = await this.#chain.tokenBalance(this.#address)
    if (balance < total) {
      // Refused before anything was signed: the intents go again, so nothing changed.
      for (const record of toOpen) await this.records.delete(record.depositId)
      throw new PaymentError('Conflict', `the wallet holds ${balance} base units of ${this.#chain.network.token.symbol}; the deposits need ${total}`)
    }
    await this.#ensureAllowance(total)
    // One deadline per createMany: the latest asked for, so that none is shorter than its agreement needs.
    const deadline = Math.max(...toOpen.map(r => r.deadline))
    const data = this.#chain.escrow.interface.encodeFunctionData('createMany', [
      this.#chain.tokenAddress,
      deadline,
      toOpen.map(r => [r.provider, r.salt, r.amount])
    ])
    const depositIds = toOpen.map(r => r.depositId)
    const batch: TxBatch = { intentId: `${OPEN}${keccak256(concat(depositIds))}`, data: data.toLowerCase(), depositIds }
    await this.#batches.put(batch)
    await this.#finishBatch(batch)
    const missing = toOpen.filter(r => this.records.get(r.depositId)?.state === 'opening')
    if (missing.length > 0) throw new PaymentError('Internal', `${missing.length} deposits are not on chain after their createMany was mined`)
  }

  /** Carries out (or joins) a createMany's intent, then takes what the chain holds into the records. */
  async #finishBatch(batch: TxBatch): Promise<void> {
    let failure: unknown
    let txHash: string | undefined
    try {
      txHash = await this.#chain.carryOut(batch.intentId, { to: this.#chain.escrowAddress, data: batch.data }, () => this.#allOpen(batch.depositIds))
    } catch (err) {
      // Stopped (or no node answers): the intent stays, on disk and with the sender, for the next start.
      if (isUnfinished(err)) throw err
      failure = err
    }
    const onChain = await Promise.all(batch.depositIds.map(id => this.#chain.deposit(id)))
    for (const [i, id] of batch.depositIds.entries()) {
      const record = this.records.get(id)
      const found = onChain[i]!
      if (record !== undefined && found.deadline !== 0) {
        await this.records.put({ ...record, state: 'open', amount: found.amount, deadline: found.deadline }, { sync: false })
      }
    }
    await this.#batches.delete(batch.intentId)
    if (failure !== undefined) throw failure
    this.#log.info({ deposits: batch.depositIds.length, txHash }, 'deposits opened')
  }

  async #allOpen(depositIds: readonly string[]): Promise<boolean> {
    return (await Promise.all(depositIds.map(id => this.#chain.deposit(id)))).every(d => d.deadline !== 0)
  }

  /** A standing allowance: approved once (to the most), not per batch, as the approve costs more than a batch's share of it. */
  async #ensureAllowance(total: bigint): Promise<void> {
    const allowance = await this.#chain.allowance(this.#address, this.#chain.escrowAddress)
    if (allowance >= total) return
    const data = this.#chain.token.interface.encodeFunctionData('approve', [this.#chain.escrowAddress, MaxUint256])
    // The allowance read is part of the id: a token that spends even a standing allowance gets a new approve when it runs low.
    await this.#chain.carryOut(
      `${APPROVE}${this.#chain.escrowAddress}:${allowance}`,
      { to: this.#chain.tokenAddress, data },
      async () => (await this.#chain.allowance(this.#address, this.#chain.escrowAddress)) >= total
    )
  }

  /** A deposit left 'opening' by a stop or crash: open if the chain has it; otherwise it is opened at the next prepare. */
  async #settleOpening(record: PayerDeposit): Promise<void> {
    const onChain = await this.#chain.deposit(record.depositId)
    if (onChain.deadline !== 0) await this.records.put({ ...record, state: 'open', amount: onChain.amount, deadline: onChain.deadline })
  }

  /**
   * Brings the deposit to `target` (to `atLeast` when the wallet holds too
   * little for more): the intent (with its call) first, then the chain asked,
   * then (only if still short) the top-up carried out.
   */
  async #topUp(depositId: string, wanted: bigint, atLeast = wanted): Promise<PayerDeposit> {
    let record = this.records.get(depositId)!
    let onChain = await this.#chain.deposit(depositId)
    let target = record.topUpTo ?? wanted
    if (onChain.amount < atLeast || (record.topUpTo !== undefined && onChain.amount < record.topUpTo)) {
      if (record.topUpTo === undefined || record.topUpTo < atLeast || record.topUpData === undefined) {
        const balance = await this.#chain.tokenBalance(this.#address)
        target = wanted - onChain.amount > balance && atLeast - onChain.amount <= balance ? atLeast : wanted
        const shortfall = target - onChain.amount
        if (balance < shortfall) {
          if (record.topUpTo !== undefined) await this.records.put(without(without(record, 'topUpTo'), 'topUpData'))
          throw new PaymentError(
            'Conflict',
            `the deposit needs ${shortfall} more base units of ${this.#chain.network.token.symbol}; the wallet holds ${balance}`
          )
        }
        if (onChain.deadline * 1000 <= (await this.#chain.chainTimeMs()))
          throw new PaymentError('Gone', `the deposit of agreement ${record.agreementId} is past its deadline`)
        const data = this.#chain.escrow.interface.encodeFunctionData('topUp', [record.provider, record.token, record.salt, shortfall, onChain.deadline])
        record = { ...record, topUpTo: target, topUpData: data.toLowerCase() }
        await this.records.put(record)
        await this.#ensureAllowance(shortfall)
      }
      await this.#chain.carryOut(
        `${TOP_UP}${depositId}:${target}`,
        { to: this.#chain.escrowAddress, data: record.topUpData! },
        async () => (await this.#chain.deposit(depositId)).amount >= target
      )
      onChain = await this.#chain.deposit(depositId)
      if (onChain.amount < target) throw new PaymentError('Unavailable', `the top-up of agreement ${record.agreementId}'s deposit is not on chain yet`)
    }
    const updated: PayerDeposit = { ...without(without(record, 'topUpTo'), 'topUpData'), amount: onChain.amount, deadline: onChain.deadline }
    await this.records.put(updated)
    return updated
  }

  #scheduleReclaim(record: PayerDeposit, delayMs?: number): void {
    if (this.#stopped) return
    const existing = this.#reclaimTimers.get(record.depositId)
    if (existing !== undefined) this.#clock.clearTimeout(existing)
    const wait = delayMs ?? Math.max(0, record.deadline * 1000 - this.#clock.now())
    this.#reclaimTimers.set(
      record.depositId,
      this.#clock.setTimeout(() => {
        this.#reclaimTimers.delete(record.depositId)
        void this.#locks
          .run(record.depositId, () => this.#reclaim(record.depositId))
          .catch(err => {
            this.#log.warn({ err, depositId: record.depositId }, 'a reclaim failed; tried again later')
            this.#scheduleReclaim(this.records.get(record.depositId)!, RECLAIM_RETRY_MS)
          })
      }, wait)
    )
  }

  /** Reclaims what is left once the chain's time has passed the deadline; never twice (the chain says when nothing is left). */
  async #reclaim(depositId: string): Promise<void> {
    const record = this.records.get(depositId)
    if (record === undefined || record.state !== 'finished' || this.#stopped) return
    const onChain = await this.#chain.deposit(depositId)
    if (onChain.amount === onChain.claimed) {
      await this.records.put({ ...record, state: 'reclaimed', amount: onChain.amount })
      this.#log.info({ depositId }, 'nothing left to reclaim')
      return
    }
    const chainNow = await this.#chain.chainTimeMs()
    if (chainNow < onChain.deadline * 1000) {
      // The chain's clock is behind ours: wait for it rather than send a reclaim that reverts.
      this.#scheduleReclaim(record, Math.max(RECLAIM_RETRY_MS, onChain.deadline * 1000 - chainNow))
      return
    }
    const data = this.#chain.escrow.interface.encodeFunctionData('reclaim', [record.provider, record.token, record.salt])
    const txHash = await this.#chain.carryOut(`${RECLAIM}${depositId}`, { to: this.#chain.escrowAddress, data }, async () => {
      const now = await this.#chain.deposit(depositId)
      return now.amount === now.claimed
    })
    await this.records.put({ ...record, state: 'reclaimed' })
    this.#log.info({ depositId, txHash, refund: String(onChain.amount - onChain.claimed) }, 'deposit reclaimed')
  }
}

/** A top-up's target: twice what the deposit holds, within `cumulative` plus `room` (the allocation's budget free for it), at least `cumulative`. */
export function topUpTargetOf(amount: bigint, cumulative: bigint, room: bigint): bigint {
  const cap = cumulative + (room > 0n ? room : 0n)
  const doubled = amount * 2n
  const target = doubled < cap ? doubled : cap
  const atLeast = target > cumulative ? target : cumulative
  return atLeast > MAX_DEPOSIT ? (cumulative > MAX_DEPOSIT ? cumulative : MAX_DEPOSIT) : atLeast
}

const RECLAIM_RETRY_MS = 60_000
// The sender's intent ids: a prefix per kind of transaction, then what makes it unique.
const OPEN = 'escrow-open:'
const TOP_UP = 'escrow-topup:'
const RECLAIM = 'escrow-reclaim:'
const APPROVE = 'escrow-approve:'
/** An allowance this high is the standing one (a token that spends it leaves it far above any batch). */
const STANDING_ALLOWANCE_FLOOR = 1n << 255n
