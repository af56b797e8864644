// The seam between a rental and its money: the allocation a connection spends
// from, and the guard that checks every debit note and invoice of its
// agreements against the agreed prices, the usage and the budget, accepting
// what is honestly owed and rejecting the rest (INCORRECT_AMOUNT,
// BUDGET_EXCEEDED) before the provider's accept timeout.
import type { AgreementView } from '../client/api-client.ts'
import type { InvoiceMandateReport, RentalReport } from '../types.ts'

/** A budget reserved on the daemon (POST /payment-api/v1/allocations). */
export interface AllocationHandle {
  readonly allocationId: string
  readonly platform: string
  readonly address: string
  readonly total: bigint
  /** What a demand must carry to be paid from it (GET /payment-api/v1/demandDecorations). */
  readonly decoration: { readonly properties: Readonly<Record<string, unknown>>; readonly constraints: readonly string[] }
  release(): Promise<void>
}

export interface GuardedAgreement {
  readonly agreement: AgreementView
  readonly allocationId: string
  /** The most this agreement may cost in all (base units). */
  readonly budget: bigint
  /**
   * When the agreement's activities could have begun (epoch ms on the guard's clock; default: when watch() is
   * called): reported durations are checked against the time since then. Take it before creating the activity.
   */
  readonly startedAt?: number
  readonly onAccepted?: (total: bigint, documentId: string) => void
  readonly onRejected?: (documentId: string, reason: string, message?: string) => void
}

export interface PaymentGuard {
  /** Starts checking the agreement's documents (and those already issued). */
  watch(agreement: GuardedAgreement): void
  /** Accepted so far for the agreement (base units). */
  acceptedTotal(agreementId: string): bigint
  /**
   * After the agreement is terminated: waits for its invoice and accepts or rejects it, or accepts the last
   * honest debit notes when no invoice comes in time. Returns within `timeoutMs` whatever the provider does.
   */
  settle(agreementId: string, options: { readonly timeoutMs: number; readonly signal?: AbortSignal }): Promise<RentalReport>
  /**
   * After settle() returned with no invoice: hands the agreement's invoice to the daemon, which accepts it when
   * it asks at most what the notes and the most usage the activities can have had justify (capped by the budget),
   * and rejects it otherwise, even once this process is gone. Undefined when there is nothing to hand over (the
   * invoice was answered, the prices cannot be read, or the guard hands over nothing). The guard no longer
   * answers that invoice itself. `activityIds`: the agreement's activities, also those no debit note named.
   */
  handOver(agreementId: string, options?: { readonly activityIds?: readonly string[]; readonly timeoutMs?: number }): Promise<InvoiceMandateReport | undefined>
  /** Stops every watch (pending documents stay on the daemon). */
  close(): Promise<void>
}
