// The provider's side of escrow settlement on one network: vouchers checked
// against the chain (signature, the deposit is this agreement's and this
// node's, enough on deposit, a deadline far enough ahead) and the best one
// kept; claims sent by the claim policy on the injected clock, several
// deposits in one claimMany; `settled` once the chain shows the claim with the
// network's confirmations. A claim's intent is on disk before it is signed,
// and the chain's claimed totals are read before anything is sent, also after
// a restart, so a voucher is never claimed twice.
import type { TypedEventEmitter } from '@libp2p/interface'
import { concat, type EventLog, keccak256, toBeHex, type Wallet } from 'ethers'
import type { Clock, Logger, TimerHandle } from '../../net/index.ts'
import { depositIdOf } from '../contracts/index.ts'
import { maxAmount } from '../model/amounts.ts'
import type { DepositView } from '../model/documents.ts'
import type { ClaimOutcome } from '../model/payment-api.ts'
import { CLAIM_GAS, type ClaimCandidate, claimsDue, nextDeadlineCheck } from './claim-policy.ts'
import { batchCodec, type PayeeDeposit, payeeCodec, type TxBatch, without } from './escrow-records.ts'
import { KeyedLock } from './keyed-lock.ts'
import type { NetworkChain, OnChainDeposit } from './network-chain.ts'
import { RecordBook } from './record-book.ts'
import { isUnfinished } from './unfinished.ts'
import type { AgreementTerms, ProviderSettlementEvents, SignedVoucher, VerificationResult } from './settlement.ts'
import { claimEntryOf, saltOf, voucherSigner } from './vouchers.ts'

export interface EscrowPayeeInit {
  readonly claimWorthGasFactor: number
  readonly claimDeadlineMarginMs: number
  /** How often the policy looks at gas prices when nothing else wakes it (ms). */
  readonly claimCheckIntervalMs: number
  /** How long a deposit read from the chain answers vouchers within its amount (ms). */
  readonly depositCacheMs: number
}

type Refusal = Extract<VerificationResult, { ok: false }>

const HEX32 = /^0x[0-9a-fA-F]{64}$/
const ADDRESS = /^0x[0-9a-fA-F]{40}$/
const CLAIMS = 'claims'
/** The sender's intent id of a claimMany starts so. */
const CLAIM = 'escrow-claim:'
/** About a block on the chains Agora knows; gas prices are not looked up more often. */
const FEE_CACHE_MS = 12_000

export class EscrowPayee {
  readonly #chain: NetworkChain
  readonly #wallet: Wallet
  readonly #clock: Clock
  readonly #log: Logger
  readonly #init: EscrowPayeeInit
  readonly #events: TypedEventEmitter<ProviderSettlementEvents>
  readonly records: RecordBook<PayeeDeposit>
  readonly #batches: RecordBook<TxBatch>
  /** Deposits whose claimMany is being taken up again after a restart: left out of new claims until it ends. */
  readonly #resuming = new Set<string>()
  readonly #locks = new KeyedLock()
  readonly #cache = new Map<string, { deposit: OnChainDeposit; readAt: number }>()
  #fee: { perGas: bigint; readAt: number } | undefined
  #timer: TimerHandle | undefined
  #evaluating = false
  #stopped = true

  constructor(
    components: { chain: NetworkChain; wallet: Wallet; clock: Clock; logger: Logger; events: TypedEventEmitter<ProviderSettlementEvents> },
    init: EscrowPayeeInit
  ) {
    this.#chain = components.chain
    this.#wallet = components.wallet
    this.#clock = components.clock
    this.#events = components.events
    this.#log = components.logger.child({ component: 'payment:escrow-payee', network: components.chain.network.name })
    this.#init = init
    this.records = new RecordBook(components.chain.db, 'payee:', payeeCodec, this.#log)
    this.#batches = new RecordBook(components.chain.db, 'claim-batch:', batchCodec, this.#log)
    components.chain.sender.checkEffectWith(CLAIM, async intent => {
      const batch = this.#batches.get(intent.id)
      return batch !== undefined && (await this.#allClaimed(batch))
    })
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
   * After the sender recovered: claimManys written before a stop are asked for
   * again in the background (joined, or answered from the chain); every other
   * deposit's claimed total is read from the chain (claims the chain has and
   * were not reported are reported) before the policy may claim anything.
   */
  async resume(): Promise<void> {
    if (this.#chain.network.contracts.escrow === undefined) return
    for (const batch of this.#batches.values()) {
      for (const id of batch.depositIds) this.#resuming.add(id)
      void this.#locks.run(`${CLAIMS}:${batch.intentId}`, async () => {
        try {
          await this.#finishClaim(batch)
        } catch (err) {
          this.#log.warn({ err, intent: batch.intentId }, 'a claimMany taken up again failed')
        } finally {
          for (const id of batch.depositIds) this.#resuming.delete(id)
        }
      })
    }
    await this.#locks.run(CLAIMS, async () => {
      for (const record of this.records.values()) {
        if (this.#resuming.has(record.depositId)) continue
        if (record.claiming !== undefined || record.claimed < record.cumulative || record.reported < record.claimed) await this.#reconcile(record)
      }
    })
    this.#arm()
  }

  async stop(): Promise<void> {
    this.#stopped = true
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer)
    this.#timer = undefined
    await this.#locks.idle()
  }

  has(depositId: string): boolean {
    return this.records.get(depositId) !== undefined
  }

  async views(): Promise<DepositView[]> {
    const views: DepositView[] = []
    for (const r of this.records.values()) {
      const onChain = await this.#chain.deposit(r.depositId)
      views.push({
        depositId: r.depositId,
        role: 'Provider',
        requester: r.requester,
        provider: r.provider,
        token: r.token,
        paymentPlatform: this.#chain.network.platform,
        agreementIds: [r.agreementId],
        amount: onChain.amount,
        claimed: onChain.claimed,
        deadline: onChain.deadline * 1000,
        voucherCumulative: r.cumulative
      })
    }
    return views
  }

  /** Checks `voucher` for `terms` and keeps it when it is the best so far; answers from a cached deposit read when it can. */
  acceptVoucher(terms: AgreementTerms, voucher: SignedVoucher): Promise<VerificationResult> {
    const refused = this.#checkShape(terms, voucher)
    if (refused !== undefined) return Promise.resolve(refused)
    const depositId = voucher.depositId.toLowerCase()
    return this.#locks.run(depositId, async () => {
      const kept = this.records.get(depositId)
      // The requester's, checked above: an older one (its acceptance delivered after a later one's) is covered by the best kept, which stays.
      if (kept !== undefined && voucher.cumulative <= kept.cumulative) return { ok: true }
      let onChain: OnChainDeposit
      let sinceBlock = kept?.sinceBlock
      try {
        if (kept === undefined) {
          const [deposit, block] = await Promise.all([this.#depositFor(depositId, voucher.cumulative), this.#chain.provider.getBlockNumber()])
          onChain = deposit
          sinceBlock = block
        } else onChain = await this.#depositFor(depositId, voucher.cumulative)
      } catch (err) {
        this.#log.warn({ err, depositId }, 'a deposit could not be read to check a voucher')
        return refuse('Unavailable', 'the chain could not be asked about the deposit; send the voucher again later')
      }
      if (onChain.deadline === 0) return refuse('Conflict', `deposit ${depositId} is not on chain`)
      if (voucher.cumulative > onChain.amount)
        return refuse('Conflict', `the voucher's cumulative ${voucher.cumulative} is above the deposit's ${onChain.amount}`)
      const deadlineMs = onChain.deadline * 1000
      if (deadlineMs - this.#clock.now() < this.#init.claimDeadlineMarginMs) {
        return refuse('Conflict', `the deposit's deadline is less than ${this.#init.claimDeadlineMarginMs} ms away: too near to claim safely`)
      }
      const record: PayeeDeposit = kept
        ? { ...kept, cumulative: voucher.cumulative, signature: voucher.signature.toLowerCase(), amount: onChain.amount, deadline: onChain.deadline }
        : {
            depositId,
            agreementId: terms.agreementId,
            platform: this.#chain.network.platform,
            requester: terms.requester.toLowerCase(),
            provider: this.#address,
            token: this.#chain.tokenAddress,
            salt: saltOf(terms.agreementId),
            deadline: onChain.deadline,
            cumulative: voucher.cumulative,
            signature: voucher.signature.toLowerCase(),
            amount: onChain.amount,
            claimed: onChain.claimed,
            reported: 0n,
            ...(sinceBlock === undefined ? {} : { sinceBlock }),
            ended: false
          }
      await this.records.put(record)
      this.#evaluateSoon()
      return { ok: true }
    })
  }

  /** The agreement ended: its deposit is claimed now, whatever the gas. A failed claim is tried again by the policy. */
  async agreementEnded(agreementId: string): Promise<void> {
    const record = this.records.values().find(r => r.agreementId === agreementId)
    if (record === undefined) return
    await this.#locks.run(record.depositId, async () => {
      const current = this.records.get(record.depositId)!
      if (!current.ended) await this.records.put({ ...current, ended: true })
    })
    await this.#evaluate().catch(err => this.#log.warn({ err, agreementId }, 'the claim at the agreement end failed; tried again later'))
  }

  /** Claims the deposits named (all with something unclaimed when `all`; otherwise those the policy finds due). */
  async claim(options: { readonly depositIds?: readonly string[]; readonly all?: boolean }): Promise<ClaimOutcome> {
    if (options.depositIds !== undefined) {
      const mine = options.depositIds.map(id => id.toLowerCase()).filter(id => this.has(id))
      return mine.length === 0 ? { depositIds: [], amount: 0n } : this.#locks.run(CLAIMS, () => this.#claimNow(mine))
    }
    if (options.all === true) {
      const ids = this.records.values().map(r => r.depositId)
      return ids.length === 0 ? { depositIds: [], amount: 0n } : this.#locks.run(CLAIMS, () => this.#claimNow(ids))
    }
    return this.#evaluate()
  }

  #checkShape(terms: AgreementTerms, v: SignedVoucher): Refusal | undefined {
    if (typeof v.cumulative !== 'bigint' || v.cumulative <= 0n || v.cumulative >= 1n << 96n)
      return refuse('BadRequest', 'the voucher cumulative must be from 1 to 2^96 - 1')
    if (![v.depositId, v.salt].every(x => typeof x === 'string' && HEX32.test(x)))
      return refuse('BadRequest', 'the voucher deposit id and salt must be 32-byte 0x hex')
    if (![v.requester, v.provider, v.token, v.escrow].every(x => typeof x === 'string' && ADDRESS.test(x))) {
      return refuse('BadRequest', 'the voucher requester, provider, token and escrow must be 0x addresses')
    }
    if (v.chainId !== this.#chain.network.chainId) return refuse('BadRequest', `the voucher is for chain ${v.chainId}, not ${this.#chain.network.chainId}`)
    if (v.escrow.toLowerCase() !== this.#chain.escrowAddress) return refuse('BadRequest', `the voucher is for escrow ${v.escrow}, not this network's`)
    if (terms.payee.toLowerCase() !== this.#address) return refuse('Forbidden', `agreement ${terms.agreementId} pays ${terms.payee}, not this node`)
    const requester = terms.requester.toLowerCase()
    const salt = saltOf(terms.agreementId)
    const expected = depositIdOf({ requester, provider: this.#address, token: this.#chain.tokenAddress, salt }).toLowerCase()
    if (
      v.depositId.toLowerCase() !== expected ||
      v.requester.toLowerCase() !== requester ||
      v.provider.toLowerCase() !== this.#address ||
      v.token.toLowerCase() !== this.#chain.tokenAddress ||
      v.salt.toLowerCase() !== salt
    ) {
      return refuse(
        'Forbidden',
        `the voucher is not for agreement ${terms.agreementId}'s deposit (its requester, this node, the token and the agreement's salt)`
      )
    }
    const signer = voucherSigner({ chainId: v.chainId, escrow: this.#chain.escrowAddress }, expected, v.cumulative, v.signature)
    if (signer === undefined) return refuse('Forbidden', 'the voucher signature is not a valid compact (EIP-2098) signature')
    if (signer !== requester) return refuse('Forbidden', `the voucher is signed by ${signer}, not by the agreement's requester`)
    return undefined
  }

  /** The deposit from the cache while it is fresh and covers `cumulative`; from the chain otherwise. */
  async #depositFor(depositId: string, cumulative: bigint): Promise<OnChainDeposit> {
    const cached = this.#cache.get(depositId)
    const now = this.#clock.now()
    if (cached !== undefined && cached.deposit.deadline !== 0 && now - cached.readAt < this.#init.depositCacheMs && cumulative <= cached.deposit.amount) {
      return cached.deposit
    }
    const deposit = await this.#chain.deposit(depositId)
    this.#cache.set(depositId, { deposit, readAt: now })
    return deposit
  }

  /** The fee per gas, read at most once per FEE_CACHE_MS: a burst of vouchers asks the chain once. */
  async #feePerGas(): Promise<bigint> {
    const now = this.#clock.now()
    if (this.#fee === undefined || now - this.#fee.readAt >= FEE_CACHE_MS) this.#fee = { perGas: await this.#chain.feePerGas(), readAt: now }
    return this.#fee.perGas
  }

  #candidates(): ClaimCandidate[] {
    return this.records.values().map(r => ({ depositId: r.depositId, unclaimed: r.cumulative - r.claimed, deadlineMs: r.deadline * 1000, ended: r.ended }))
  }

  #evaluateSoon(): void {
    if (this.#evaluating) return
    this.#evaluating = true
    queueMicrotask(() => {
      this.#evaluating = false
      this.#evaluate().catch(err => this.#log.warn({ err }, 'a claim failed; tried again later'))
    })
  }

  /** Asks the policy what is due now and claims it in one claimMany. */
  #evaluate(): Promise<ClaimOutcome> {
    return this.#locks.run(CLAIMS, async () => {
      try {
        if (this.#stopped) return { depositIds: [], amount: 0n }
        const candidates = this.#candidates()
        if (!candidates.some(c => c.unclaimed > 0n)) return { depositIds: [], amount: 0n }
        const feePerGas = await this.#feePerGas()
        const due = claimsDue(
          candidates,
          this.#clock.now(),
          { worthGasFactor: this.#init.claimWorthGasFactor, deadlineMarginMs: this.#init.claimDeadlineMarginMs },
          { feePerGas, ...CLAIM_GAS }
        )
        if (due.size === 0) return { depositIds: [], amount: 0n }
        this.#log.info({ due: Object.fromEntries(due) }, 'claiming')
        return await this.#claimNow([...due.keys()])
      } finally {
        this.#arm()
      }
    })
  }

  /** Wakes the policy at the next check or the soonest deadline margin, whichever comes first. */
  #arm(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer)
    this.#timer = undefined
    if (this.#stopped) return
    const now = this.#clock.now()
    const deadlineCheck = nextDeadlineCheck(this.#candidates(), now, {
      worthGasFactor: this.#init.claimWorthGasFactor,
      deadlineMarginMs: this.#init.claimDeadlineMarginMs
    })
    const at = Math.min(now + this.#init.claimCheckIntervalMs, deadlineCheck ?? Number.POSITIVE_INFINITY)
    this.#timer = this.#clock.setTimeout(
      () => {
        this.#timer = undefined
        this.#evaluate().catch(err => this.#log.warn({ err }, 'a claim failed; tried again later'))
      },
      Math.max(0, at - now)
    )
  }

  /** Claims `ids` (under the claims lock): the chain asked first, the intents written, one claimMany, then `settled` per deposit. */
  async #claimNow(ids: readonly string[]): Promise<ClaimOutcome> {
    const now = this.#clock.now()
    const entries: PayeeDeposit[] = []
    for (const id of ids) {
      const record = this.records.get(id)
      if (record === undefined || this.#resuming.has(id)) continue
      const onChain = await this.#chain.deposit(id)
      if (onChain.claimed >= record.cumulative) {
        await this.#reconcile(record, onChain)
        continue
      }
      if (now >= record.deadline * 1000) {
        this.#log.warn({ depositId: id }, "a deposit's deadline passed before its voucher was claimed")
        continue
      }
      entries.push({ ...record, claimed: onChain.claimed, claiming: record.cumulative })
    }
    if (entries.length === 0) return { depositIds: [], amount: 0n }
    const data = this.#chain.escrow.interface.encodeFunctionData('claimMany', [
      this.#chain.tokenAddress,
      entries.map(e => claimEntryOf(e.requester, e.salt, e.cumulative, e.signature))
    ])
    const depositIds = entries.map(e => e.depositId)
    const amounts = entries.map(e => e.cumulative)
    const intentId = `${CLAIM}${keccak256(concat(entries.flatMap(e => [e.depositId, toBeHex(e.cumulative, 32)])))}`
    // The intent first: the deposits' claims in progress, and the one transaction that makes them.
    for (const e of entries) await this.#update(e.depositId, r => ({ ...r, claimed: maxAmount(r.claimed, e.claimed), claiming: e.cumulative }))
    await this.#batches.put({ intentId, data: data.toLowerCase(), depositIds, amounts })
    const before = new Map(entries.map(e => [e.depositId, e.claimed]))
    const txHash = await this.#finishClaim(this.#batches.get(intentId)!)
    const amount = entries.reduce((sum, e) => sum + (this.records.get(e.depositId)!.claimed - before.get(e.depositId)!), 0n)
    this.#log.info({ deposits: entries.length, txHash, amount: String(amount) }, 'vouchers claimed')
    return { depositIds, amount, ...(txHash === undefined ? {} : { txHash }) }
  }

  /** Carries out (or joins) a claimMany's intent; then each deposit's claimed total is read from the chain and reported. */
  async #finishClaim(batch: TxBatch): Promise<string | undefined> {
    let failure: unknown
    let txHash: string | undefined
    try {
      txHash = await this.#chain.carryOut(batch.intentId, { to: this.#chain.escrowAddress, data: batch.data }, () => this.#allClaimed(batch))
    } catch (err) {
      // Stopped (or no node answers): the intent stays, on disk and with the sender, for the next start.
      if (isUnfinished(err)) throw err
      failure = err
    }
    for (const id of batch.depositIds) {
      const record = this.records.get(id)
      if (record === undefined) continue
      const onChain = await this.#chain.deposit(id)
      if (txHash !== undefined && onChain.claimed > record.reported) await this.#settle(record, onChain, txHash)
      else await this.#reconcile(record, onChain)
    }
    await this.#batches.delete(batch.intentId)
    if (failure !== undefined) throw failure
    return txHash
  }

  async #allClaimed(batch: TxBatch): Promise<boolean> {
    const claimed = await Promise.all(batch.depositIds.map(id => this.#chain.deposit(id)))
    return claimed.every((d, i) => d.claimed >= (batch.amounts?.[i] ?? 0n))
  }

  /** Takes the chain's claimed total into the record; reports it when new, with the claim's transaction (read from its Claimed event). */
  async #reconcile(record: PayeeDeposit, known?: OnChainDeposit): Promise<void> {
    const onChain = known ?? (await this.#chain.deposit(record.depositId))
    if (onChain.claimed <= record.reported) {
      if (record.claiming !== undefined || record.claimed !== onChain.claimed) {
        await this.#update(record.depositId, r => ({ ...without(r, 'claiming'), claimed: maxAmount(r.claimed, onChain.claimed) }))
      }
      return
    }
    const event = await this.#claimedEvent(record.depositId, onChain.claimed, record.sinceBlock)
    if (event === undefined) {
      this.#log.warn({ depositId: record.depositId }, 'the chain shows a claim without its Claimed event; reported when it is found')
      return
    }
    const receipt = await this.#chain.confirmedHash(event.transactionHash).catch(() => undefined)
    if (receipt === undefined) return
    await this.#settle(record, onChain, event.transactionHash)
  }

  /** The Claimed event of `depositId` at `cumulative`, looked for from the block of the first voucher kept (not from genesis: RPC nodes limit log ranges). */
  async #claimedEvent(depositId: string, cumulative: bigint, sinceBlock = 0): Promise<EventLog | undefined> {
    const escrow = this.#chain.escrow
    const logs = await escrow.queryFilter(escrow.filters.Claimed!(depositId), sinceBlock)
    return logs.filter((log): log is EventLog => 'args' in log && log.args[1] === cumulative).at(-1)
  }

  async #settle(record: PayeeDeposit, onChain: OnChainDeposit, txHash: string): Promise<void> {
    let reportedBefore = record.reported
    await this.#update(record.depositId, r => {
      reportedBefore = r.reported
      const claimed = maxAmount(r.claimed, onChain.claimed)
      return { ...without(r, 'claiming'), claimed, amount: maxAmount(r.amount, onChain.amount), reported: maxAmount(r.reported, claimed) }
    })
    this.#cache.set(record.depositId, { deposit: onChain, readAt: this.#clock.now() })
    if (onChain.claimed > reportedBefore) {
      this.#events.safeDispatchEvent('settled', { detail: { agreementId: record.agreementId, settled: onChain.claimed, txHash } })
    }
  }

  /**
   * Changes a record under its deposit's lock, from what is kept at that
   * moment: a voucher accepted while a claim is on its way is never
   * overwritten by the claim's older copy.
   */
  #update(depositId: string, change: (record: PayeeDeposit) => PayeeDeposit): Promise<void> {
    return this.#locks.run(depositId, async () => {
      const current = this.records.get(depositId)
      if (current !== undefined) await this.records.put(change(current))
    })
  }
}

function refuse(code: Refusal['code'], reason: string): Refusal {
  return { ok: false, code, reason }
}
