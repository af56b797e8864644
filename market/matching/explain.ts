// Why a demand matches few or no offers: for each top-level term of the
// demand's constraints (the operands of a top-level `&`, or the whole
// constraint), how many of the given offers it excludes; and for the offers
// whose own constraints refuse the demand, how many each of their top-level
// terms excludes. A term excludes an offer unless it evaluates to True: in
// three-valued logic an offer that lacks the property (or holds a value of
// another type) makes a comparison Undefined, and Undefined does not match, so
// it excludes too; those are also counted apart (`undefinedCount`). Each term is
// counted on its own: an offer two terms refuse counts for both.
import type { Constraint } from '../constraints/ast.ts'
import { TRUE, UNKNOWN } from '../constraints/compare.ts'
import { compileConstraint } from '../constraints/evaluator.ts'
import type { PropertyMap } from '../constraints/evaluator.ts'
import { printConstraint } from '../constraints/printer.ts'

export interface ExplainedTerms {
  readonly properties: PropertyMap
  readonly constraints: Constraint
}

export interface TermCount {
  /** The term, printed in the constraint language. */
  readonly constraint: string
  readonly excluded: number
  /** Of those excluded, how many because the term was Undefined (the property missing or of another type). */
  readonly undefinedCount: number
}

export interface MatchCounts {
  readonly offersKnown: number
  readonly matching: number
  /** In the demand's order. */
  readonly demandConstraints: readonly TermCount[]
  /** The offers' failing terms, most excluding first (at most `maxOfferTerms`). */
  readonly offerConstraints: readonly TermCount[]
}

/** Distinct offer terms listed at most: the answer stays small whatever the market holds. */
export const MAX_OFFER_TERMS = 20

/** The top-level terms of a constraint: a top-level `&`'s operands, nothing for `()`, else the constraint itself. */
export function topLevelTerms(constraints: Constraint): readonly Constraint[] {
  if (constraints.kind === 'true') return []
  return constraints.kind === 'and' ? constraints.operands : [constraints]
}

interface Counter {
  readonly constraint: string
  excluded: number
  undefinedCount: number
}

export function explainMatch(demand: ExplainedTerms, offers: Iterable<ExplainedTerms>, maxOfferTerms = MAX_OFFER_TERMS): MatchCounts {
  const demandTerms = topLevelTerms(demand.constraints).map(term => ({ test: compileConstraint(term), counter: counterOf(term) }))
  const demandAccepts = compileConstraint(demand.constraints)
  const offerCounters = new Map<string, Counter>()
  let offersKnown = 0
  let matching = 0
  for (const offer of offers) {
    offersKnown++
    for (const { test, counter } of demandTerms) count(counter, test(offer.properties))
    const offerAccepts = compileConstraint(offer.constraints)
    const offerRefuses = offerAccepts(demand.properties) !== TRUE
    if (!offerRefuses && demandAccepts(offer.properties) === TRUE) matching++
    if (!offerRefuses) continue
    for (const term of topLevelTerms(offer.constraints)) {
      const truth = compileConstraint(term)(demand.properties)
      if (truth === TRUE) continue
      const text = printConstraint(term)
      let counter = offerCounters.get(text)
      if (counter === undefined) {
        counter = { constraint: text, excluded: 0, undefinedCount: 0 }
        offerCounters.set(text, counter)
      }
      count(counter, truth)
    }
  }
  const offerConstraints = [...offerCounters.values()].sort((a, b) => b.excluded - a.excluded).slice(0, Math.max(0, maxOfferTerms))
  return { offersKnown, matching, demandConstraints: demandTerms.map(t => ({ ...t.counter })), offerConstraints: offerConstraints.map(c => ({ ...c })) }
}

function counterOf(term: Constraint): Counter {
  return { constraint: printConstraint(term), excluded: 0, undefinedCount: 0 }
}

function count(counter: Counter, truth: number): void {
  if (truth === TRUE) return
  counter.excluded++
  if (truth === UNKNOWN) counter.undefinedCount++
}
