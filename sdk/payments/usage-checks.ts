// The checks of one debit note's usage and amount, as pure functions: the
// amount must be exactly the agreed price of the usage it reports (floored to
// base units, as the provider prices it), the usage must be possible in the
// time the activity can have run (by the requester's own clock, plus a slack),
// and nothing may go down from the note accepted before it. A failed check
// says what was wrong and the amount that would have been accepted.
import { formatAmount } from '../../payment/model/amounts.ts'
import { priceOf } from '../../payment/pricing/index.ts'
import { USAGE_COUNTERS } from './agreement-terms.ts'
import type { GuardTerms } from './agreement-terms.ts'

/** How much more than the requester's own clock allows a reported usage may be. */
export interface UsageSlack {
  /** Seconds added to the elapsed time (clock drift between the two machines, the meter's rounding). */
  readonly durationSec: number
  /** A share of the elapsed time added on top (0.01 = 1 %). */
  readonly durationShare: number
  /** CPU seconds added to threads × duration (CPU accounting granularity). */
  readonly cpuSec: number
}

export const DEFAULT_SLACK: UsageSlack = Object.freeze({ durationSec: 2, durationShare: 0.01, cpuSec: 2 })

export interface Reading {
  readonly vector: readonly number[]
  readonly amount: bigint
}

export type Verdict = { readonly ok: true } | { readonly ok: false; readonly message: string; readonly acceptable: bigint }

/** The counters of a usage vector by name. */
export function countersOf(terms: GuardTerms, vector: readonly number[]): Record<string, number> {
  const counters: Record<string, number> = {}
  terms.pricing.usageVector.forEach((name, index) => {
    counters[name] = vector[index] ?? 0
  })
  return counters
}

/** The most of each time-bound counter `elapsedSec` allows; other counters are not bounded by time. */
export function usageBounds(terms: GuardTerms, elapsedSec: number, slack: UsageSlack): { readonly durationSec: number; readonly cpuSec: number } {
  const durationSec = Math.max(0, elapsedSec) * (1 + slack.durationShare) + slack.durationSec
  return { durationSec, cpuSec: terms.threads * durationSec + slack.cpuSec }
}

/** `counters` with the time-bound ones cut down to what `elapsedSec` allows. */
export function clampedCounters(terms: GuardTerms, counters: Record<string, number>, elapsedSec: number, slack: UsageSlack): Record<string, number> {
  const bounds = usageBounds(terms, elapsedSec, slack)
  const clamped = { ...counters }
  const duration = clamped[USAGE_COUNTERS.duration]
  if (duration !== undefined) clamped[USAGE_COUNTERS.duration] = Math.min(duration, bounds.durationSec)
  const cpu = clamped[USAGE_COUNTERS.cpu]
  if (cpu !== undefined) {
    const durationAllowed = clamped[USAGE_COUNTERS.duration] ?? bounds.durationSec
    clamped[USAGE_COUNTERS.cpu] = Math.min(cpu, bounds.cpuSec, terms.threads * durationAllowed + slack.cpuSec)
  }
  return clamped
}

const tokens = (units: bigint): string => formatAmount(units)

/** Checks one debit note of an activity against the note of the same activity accepted before it. */
export function checkDebitNote(terms: GuardTerms, note: Reading, previous: Reading | undefined, elapsedSec: number, slack: UsageSlack): Verdict {
  const floor = previous?.amount ?? 0n
  const refuse = (message: string, acceptable: bigint): Verdict => ({
    ok: false,
    message,
    acceptable: acceptable < floor ? floor : acceptable > note.amount ? note.amount : acceptable
  })
  const names = terms.pricing.usageVector
  if (note.vector.length !== names.length || !note.vector.every(value => Number.isFinite(value) && value >= 0)) {
    return refuse(`the usage vector must have ${names.length} non-negative counters (${names.join(', ')}), as the agreement prices them`, floor)
  }
  const counters = countersOf(terms, note.vector)
  const priced = priceOf(terms.pricing, counters)
  if (priced !== note.amount) {
    return refuse(
      `the amount due ${tokens(note.amount)} is not the agreed price of the usage reported (${usageText(names, note.vector)}): that is ${tokens(priced)}; would accept ${tokens(priced)}`,
      priced
    )
  }
  if (previous !== undefined) {
    const lower = names.find((_name, index) => (note.vector[index] as number) < (previous.vector[index] ?? 0))
    if (lower !== undefined || note.amount < previous.amount) {
      return refuse(
        `usage and amounts are cumulative: ${lower ?? 'the amount'} went down from the note accepted before (${usageText(names, previous.vector)}, ${tokens(previous.amount)})`,
        previous.amount
      )
    }
  }
  const bounds = usageBounds(terms, elapsedSec, slack)
  const duration = counters[USAGE_COUNTERS.duration]
  const cpu = counters[USAGE_COUNTERS.cpu]
  const problems: string[] = []
  if (duration !== undefined && duration > bounds.durationSec) {
    problems.push(
      `${USAGE_COUNTERS.duration} ${duration} is more than the ${round(elapsedSec)} s the activity can have run (${round(bounds.durationSec)} s with the slack)`
    )
  }
  if (cpu !== undefined) {
    const durationAllowed = Math.min(duration ?? bounds.durationSec, bounds.durationSec)
    const cpuAllowed = terms.threads * durationAllowed + slack.cpuSec
    if (cpu > cpuAllowed) {
      problems.push(`${USAGE_COUNTERS.cpu} ${cpu} is more than ${terms.threads} threads × ${round(durationAllowed)} s (${round(cpuAllowed)} s with the slack)`)
    }
  }
  if (problems.length > 0) {
    const acceptable = priceOf(terms.pricing, clampedCounters(terms, counters, elapsedSec, slack))
    return refuse(`impossible usage: ${problems.join('; ')}; would accept ${tokens(acceptable < floor ? floor : acceptable)}`, acceptable)
  }
  return { ok: true }
}

function usageText(names: readonly string[], vector: readonly number[]): string {
  return names.map((name, index) => `${name.replace(/^golem\.usage\./, '')} ${vector[index] ?? 0}`).join(', ')
}

function round(seconds: number): string {
  return String(Math.round(seconds * 1000) / 1000)
}
