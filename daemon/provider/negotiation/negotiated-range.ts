// A term negotiated within a range (the debit-note interval, the accept and
// payment timeouts, in seconds): the requester's value is adopted when in
// range, our preferred one countered otherwise. On the agreement, the value
// that holds (ours, as the payment flow reads it) must be in range.
import { accept, counter, reject } from './check.ts'
import type { CheckOutcome, NegotiationInput, ProviderRefusalCode } from './check.ts'
import { termValue } from './expiration-check.ts'
import type { NegotiatedRange } from '../model.ts'

export interface RangeTerm {
  readonly property: string
  readonly code: ProviderRefusalCode
  /** When the requester does not name the term: whether our preferred value is set, or the term left out. */
  readonly whenAbsent: 'preferred' | 'omit'
}

export function negotiateRange(term: RangeTerm, range: NegotiatedRange, input: NegotiationInput): CheckOutcome {
  const key = term.property
  const bare = key.replace(/\?$/, '')
  // Our counter names the term once, in Golem's optional form.
  const ours = (value: number | undefined): Record<string, unknown> => ({ [key]: value, ...(bare === key ? {} : { [bare]: undefined }) })
  if (input.stage === 'agreement') {
    const holding = termValue({ ...input.demand, ...input.offer }, key)
    if (holding === undefined) return term.whenAbsent === 'omit' ? accept() : reject(term.code, `the agreement does not name ${key}`)
    if (!inRange(holding, range)) return reject(term.code, `${key} ${String(holding)} is outside ${range.minSec}..${range.maxSec} s`)
    return accept()
  }
  const asked = termValue(input.demand, key)
  if (asked === undefined) return accept(ours(term.whenAbsent === 'omit' ? undefined : range.preferredSec))
  if (inRange(asked, range)) return accept(ours(asked as number))
  return counter(ours(range.preferredSec), `${key} ${String(asked)} is outside ${range.minSec}..${range.maxSec} s`)
}

function inRange(value: unknown, range: NegotiatedRange): boolean {
  return typeof value === 'number' && Number.isFinite(value) && value >= range.minSec && value <= range.maxSec
}
