// Why the agent ends an Approved agreement, decided from stored facts only
// (the approval date, the activities and their last run, the payment
// documents and their due dates, the deliveries to the requester), so that
// the same verdict comes after a restart. Codes are yagna's BreakReason names.
import type { Reason } from '../../../market/index.ts'

export type TerminationCode = 'DebitNotesDeadline' | 'DebitNoteNotPaid' | 'RequestorUnreachable' | 'NoActivity'

export const PROVIDER_CODE = 'golem.provider.code'

/** A payable debit note as the watch reads it. */
export interface PayableNote {
  readonly debitNoteId: string
  readonly activityId: string
  readonly amount: bigint
  readonly status: string
  /** epoch ms */
  readonly paymentDueDate: number
}

export interface DealFacts {
  readonly now: number
  /** epoch ms */
  readonly approvedAt: number
  /** Whether an activity runs under the agreement now. */
  readonly activityRunning: boolean
  /** epoch ms of the last sign of an activity: created, ended, or metered in a debit note. */
  readonly lastActivityAt: number | undefined
  readonly idleAfterMs: number
  readonly payableNotes: readonly PayableNote[]
  readonly paymentGraceMs: number
  readonly unreachableSince: number | undefined
  readonly unreachableAfterMs: number
}

export interface TerminationVerdict {
  readonly code: TerminationCode
  readonly reason: Reason
  /** epoch ms the verdict came due (for the log). */
  readonly dueAt: number
}

/** The reason to end the agreement now, or undefined; when undefined, `nextDueAt` says when to look again at the latest. */
export function terminationVerdict(facts: DealFacts): TerminationVerdict | undefined {
  const unpaid = firstUnpaid(facts)
  if (unpaid !== undefined) {
    const dueAt = unpaid.paymentDueDate + facts.paymentGraceMs
    return verdict('DebitNoteNotPaid', `debit note ${unpaid.debitNoteId} was not paid by its due date`, dueAt, {
      'agora.provider.debit-note': unpaid.debitNoteId
    })
  }
  if (facts.unreachableSince !== undefined && facts.now - facts.unreachableSince >= facts.unreachableAfterMs) {
    return verdict(
      'RequestorUnreachable',
      `the requestor could not be reached for ${Math.round((facts.now - facts.unreachableSince) / 1000)} s`,
      facts.unreachableSince + facts.unreachableAfterMs
    )
  }
  if (!facts.activityRunning) {
    const idleSince = Math.max(facts.approvedAt, facts.lastActivityAt ?? 0)
    if (facts.now - idleSince >= facts.idleAfterMs) {
      return verdict('NoActivity', `no activity for ${Math.round(facts.idleAfterMs / 1000)} s`, idleSince + facts.idleAfterMs)
    }
  }
  return undefined
}

function firstUnpaid(facts: DealFacts): PayableNote | undefined {
  return facts.payableNotes.find(
    note =>
      note.status !== 'SETTLED' &&
      note.status !== 'CANCELLED' &&
      facts.now >= note.paymentDueDate + facts.paymentGraceMs &&
      // Notes are cumulative per activity: a later one paid pays this one too.
      !facts.payableNotes.some(other => other.activityId === note.activityId && other.status === 'SETTLED' && other.amount >= note.amount)
  )
}

function verdict(code: TerminationCode, message: string, dueAt: number, extra: Record<string, string> = {}): TerminationVerdict {
  return { code, dueAt, reason: { message, [PROVIDER_CODE]: code, ...extra } as Reason }
}
