// The check of an invoice: it may ask at most what the agreement's debit notes
// and the most usage its activities can have had justify. The invoice carries
// no usage, so each activity starts from its last possible reading (an accepted
// note's counters, or a refused note's cut down to what was possible): its
// duration can be at most the time since the activities could begin (with the
// slack), and its CPU seconds can have grown at most by threads × the duration
// added since that reading. Never less than what was accepted.
import { formatAmount } from '../../payment/model/amounts.ts'
import { priceOf } from '../../payment/pricing/index.ts'
import { USAGE_COUNTERS } from './agreement-terms.ts'
import type { GuardTerms } from './agreement-terms.ts'
import { countersOf, usageBounds } from './usage-checks.ts'
import type { UsageSlack, Verdict } from './usage-checks.ts'

/** An activity's last possible usage. */
export interface UsageBasis {
  readonly vector: readonly number[]
}

export interface InvoiceFacts {
  readonly activityIds: readonly string[]
  readonly basis: ReadonlyMap<string, UsageBasis>
  /** Per activity, the amount of its last accepted note. */
  readonly accepted: ReadonlyMap<string, bigint>
  /** When the activities could begin, and now: the invoice came after they ended (ms, the guard's clock). */
  readonly startedAt: number
  readonly now: number
}

/** The most an invoice may ask (base units). */
export function invoiceBound(terms: GuardTerms, facts: InvoiceFacts, slack: UsageSlack): bigint {
  let total = 0n
  // An activity whose notes were read counts even when the invoice does not list it: the invoice covers the agreement.
  const ids = new Set([...facts.activityIds, ...facts.basis.keys(), ...facts.accepted.keys()])
  const most = usageBounds(terms, (facts.now - facts.startedAt) / 1000, slack)
  for (const id of ids) {
    const counters = countersOf(terms, facts.basis.get(id)?.vector ?? [])
    const duration = counters[USAGE_COUNTERS.duration]
    if (duration !== undefined) counters[USAGE_COUNTERS.duration] = Math.max(duration, most.durationSec)
    const cpu = counters[USAGE_COUNTERS.cpu]
    if (cpu !== undefined) {
      counters[USAGE_COUNTERS.cpu] =
        duration === undefined ? Math.max(cpu, most.cpuSec) : cpu + terms.threads * Math.max(0, most.durationSec - duration) + slack.cpuSec
    }
    const priced = priceOf(terms.pricing, counters)
    const accepted = facts.accepted.get(id) ?? 0n
    total += priced > accepted ? priced : accepted
  }
  return total
}

/** Checks an invoice's amount against its bound and what was accepted before. */
export function checkInvoice(amount: bigint, bound: bigint, accepted: bigint): Verdict {
  if (amount < accepted) {
    return { ok: false, message: `the invoice asks ${formatAmount(amount)}, less than the ${formatAmount(accepted)} already accepted`, acceptable: amount }
  }
  if (amount > bound) {
    return {
      ok: false,
      message: `the invoice asks ${formatAmount(amount)}; the debit notes and the most usage the activities can have had come to ${formatAmount(bound)}; would accept ${formatAmount(bound)}`,
      acceptable: bound
    }
  }
  return { ok: true }
}
