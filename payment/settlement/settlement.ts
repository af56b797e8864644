// The seam between the ledger (documents, allocations, the messages between
// the daemons) and the chain (deposits, vouchers, payouts, claims and their
// verification). The ledger decides what is owed and when; settlement moves and
// checks the money, exactly once, and reports back by events. Both sides
// persist what they need before they answer, so every method may be called
// again after a crash with the same arguments and changes nothing twice.
import type { Wallet } from 'ethers'
import type { Clock, Logger, RawRecordStore } from '../../net/index.ts'
import type { PaymentPlatforms } from '../chain/platforms.ts'
import type { ChainNetwork } from '../chain/network-config.ts'
import type { DepositView, SettlementMode } from '../model/documents.ts'
import type { ClaimOutcome } from '../model/payment-api.ts'

/** The terms a settlement needs from an agreement. */
export interface AgreementTerms {
  readonly agreementId: string
  readonly platform: string
  readonly requester: string
  readonly provider: string
  /** Where the provider is paid (its payment platform address property, lower case). */
  readonly payee: string
  readonly mode: SettlementMode
  /** When the agreement expires (epoch ms): an escrow deposit's deadline is past it by the payment timeout. */
  readonly expiresAt: number
  /** How long after an invoice the requester may take to pay (ms). */
  readonly paymentTimeoutMs: number
}

/** The requester's signed voucher over the cumulative amount accepted on one deposit (EIP-712, compact). */
export interface SignedVoucher {
  readonly depositId: string
  /** The salt the deposit id is made from (with requester, provider and token). */
  readonly salt: string
  readonly requester: string
  readonly provider: string
  readonly token: string
  readonly chainId: number
  readonly escrow: string
  readonly cumulative: bigint
  /** 0x r ‖ vs (EIP-2098, 64 bytes). */
  readonly signature: string
}

/** A requester's deposit as it keeps it: locked, vouchered, and whether its agreement is done. */
export interface DepositHolding {
  readonly amount: bigint
  readonly vouchered: bigint
  readonly finished: boolean
}

/** What a requester sends with an acceptance so that the provider can be paid. */
export type SettlementProof = { readonly kind: 'voucher'; readonly voucher: SignedVoucher } | { readonly kind: 'direct'; readonly batchDue: number }

/** A direct payout the requester's daemon made: which documents it paid, in which batch and transaction. */
export interface PayoutConfirmation {
  readonly platform: string
  readonly txHash: string
  readonly batchId: string
  readonly payer: string
  readonly payee: string
  /** Every document the batch paid to this payee, with the amount paid for each (their sum is the payee's word). */
  readonly documents: readonly { readonly documentId: string; readonly agreementId: string; readonly amount: bigint }[]
  /**
   * Every document id the batch id commits to (all payees'), when the batch paid
   * others too; absent, the batch paid exactly `documents`. The payee recomputes
   * the batch id from these.
   */
  readonly batchDocumentIds?: readonly string[]
}

export interface RequesterSettlementEvents {
  /** A payout batch is mined with the network's confirmations: tell the provider (ledger's outbox). */
  paid: CustomEvent<PayoutConfirmation>
  /** A payout could not be made (funds, gas cap…): the documents named stay ACCEPTED and are retried. */
  failed: CustomEvent<{ readonly documentIds: readonly string[]; readonly code: string }>
  /** The chain shows the provider claimed `agreementId`'s escrow deposit up to `claimed` (cumulative): the documents it covers are SETTLED here too. */
  claimed: CustomEvent<{ readonly agreementId: string; readonly claimed: bigint }>
}

export interface RequesterSettlement {
  /**
   * Readies the agreement's settlement before its first acceptance: for escrow,
   * opens (or tops up) the agreement's deposit with `budget` (deposits asked for
   * together are opened in one createMany). Safe to call again.
   */
  prepare(terms: AgreementTerms, budget: bigint): Promise<void>
  /**
   * The requester accepted `documentId`; the agreement's accepted total is now
   * `cumulative`. Escrow: signs (and keeps) a voucher over the deposit's new
   * cumulative, topping the deposit up first when it holds less — to twice what
   * it holds, but never above `cumulative` plus what `room` answers (the
   * budget its allocation has that no other deposit holds), and never below
   * `cumulative`: a few top-ups per agreement, not one per note. Direct: records
   * the payout of `cumulative` minus what earlier documents of the agreement
   * queued, and queues it for the next batch. Written before it returns.
   */
  settleAccepted(terms: AgreementTerms, documentId: string, cumulative: bigint, room?: () => bigint): Promise<SettlementProof>
  /** What the agreement's escrow deposit holds and what its best voucher covers, as kept here (no chain read); undefined without one. */
  held(agreementId: string): DepositHolding | undefined
  /** After the agreement ended and its invoice was settled: what is left of an escrow deposit may be reclaimed after its deadline. */
  finish(agreementId: string): Promise<void>
  addEventListener<K extends keyof RequesterSettlementEvents>(type: K, listener: (event: RequesterSettlementEvents[K]) => void): void
  removeEventListener<K extends keyof RequesterSettlementEvents>(type: K, listener: (event: RequesterSettlementEvents[K]) => void): void
}

export type VerificationResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly code: 'BadRequest' | 'Forbidden' | 'Conflict' | 'Unavailable'; readonly reason: string }

export interface ProviderSettlementEvents {
  /** The chain shows `agreementId`'s provider paid up to `settled` (cumulative), with the network's confirmations: the ledger marks documents SETTLED. */
  settled: CustomEvent<{ readonly agreementId: string; readonly settled: bigint; readonly txHash: string }>
}

export interface ProviderSettlement {
  /**
   * Checks a voucher for `terms` against the chain (signature by the requester,
   * the deposit is the agreement's, holds at least `cumulative`, deadline far
   * enough ahead) and keeps the best one. Answers without waiting for a block.
   */
  acceptVoucher(terms: AgreementTerms, voucher: SignedVoucher): Promise<VerificationResult>
  /** Checks a direct payout on chain (batch id, transfer to the payee, amounts, confirmations) before it counts; idempotent. */
  verifyPayout(terms: AgreementTerms, confirmation: PayoutConfirmation): Promise<VerificationResult>
  /** The agreement ended (invoice accepted, or given up on): claim its vouchers now, whatever the gas. */
  agreementEnded(agreementId: string): Promise<void>
  addEventListener<K extends keyof ProviderSettlementEvents>(type: K, listener: (event: ProviderSettlementEvents[K]) => void): void
  removeEventListener<K extends keyof ProviderSettlementEvents>(type: K, listener: (event: ProviderSettlementEvents[K]) => void): void
}

/** What a settlement service needs; built by the payment module from the node and its config. */
export interface SettlementComponents {
  readonly networks: readonly ChainNetwork[]
  /** The node key's wallet: it pays, signs vouchers and claims. */
  readonly wallet: Wallet
  /** The settlement's own slice of the payment module's sublevel (utf8 values). */
  readonly db: RawRecordStore
  readonly logger?: Logger
  readonly clock?: Clock
}

export interface SettlementInit {
  /** How often the direct payer sends its batch (ms; seconds on the dev chain). */
  readonly directBatchIntervalMs?: number
  /** A provider claims a deposit once its unclaimed value is at least this many times the claim's gas cost. */
  readonly claimWorthGasFactor?: number
  /** A provider claims every deposit at the latest this long before its deadline (ms); a voucher on a deposit nearer its deadline is refused. */
  readonly claimDeadlineMarginMs?: number
  /** An escrow deposit's deadline is the agreement's expiry plus its payment timeout plus this (ms). */
  readonly depositDeadlineMarginMs?: number
  /** How long the first prepare of a createMany waits for others (ms; 0: those of the same turn and all arriving while a batch is on its way). */
  readonly openBatchWindowMs?: number
  /** How often the claim policy looks at gas prices when nothing else wakes it (ms). */
  readonly claimCheckIntervalMs?: number
  /** How often the requester reads what its providers claimed of deposits whose vouchers it has not yet seen claimed (ms). */
  readonly claimWatchIntervalMs?: number
  /** How long a deposit read from the chain answers vouchers within its amount (ms). */
  readonly depositCacheMs?: number
  /** How often receipts and blocks are polled (ms; the dev chain mines at once, so tests use less). */
  readonly pollingIntervalMs?: number
  /** How long a transaction may take to be mined with its confirmations (ms). */
  readonly confirmTimeoutMs?: number
}

/** Chain settlement for every configured network: both sides, and what the Payment API's extras ask of the chain. */
export interface SettlementService {
  readonly requester: RequesterSettlement
  readonly provider: ProviderSettlement
  readonly platforms: PaymentPlatforms
  /** Recovery first (journalled transactions, receipts, claimed totals, queued batches), then the cycles. */
  start(): Promise<void>
  /** Ends every cycle and wait; what is journalled is resumed by the next start. */
  stop(): Promise<void>
  /** Token and gas balances of `address` on `platform`'s chain. */
  balances(platform: string, address: string): Promise<{ readonly token: bigint; readonly gas: bigint }>
  deposits(): Promise<DepositView[]>
  claim(options: { readonly depositIds?: readonly string[]; readonly all?: boolean }): Promise<ClaimOutcome>
  fund(platform: string): Promise<{ readonly token: bigint; readonly gas: bigint; readonly txHashes: readonly string[] }>
}
