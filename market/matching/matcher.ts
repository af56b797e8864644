// Holds offers and demands and answers "which of them match this one": an
// offer and a demand match when each side's constraints are True on the
// other's properties. Constraints are compiled once, when an entry is added.
import type { Constraint } from '../constraints/ast.ts'
import { TRUE } from '../constraints/compare.ts'
import { compileConstraint, type CompiledConstraint, type PropertyMap } from '../constraints/evaluator.ts'

export interface MatchEntry {
  id: string
  /** As published, unchecked: a value of an unexpected type evaluates as Undefined. */
  properties: PropertyMap
  constraints: Constraint
}

interface Held {
  id: string
  properties: PropertyMap
  accepts: CompiledConstraint
}

function hold(entry: { id: string; properties: PropertyMap; constraints: Constraint }): Held {
  return { id: entry.id, properties: entry.properties, accepts: compileConstraint(entry.constraints) }
}

// The demand's side is tried first: requesters usually filter harder.
function bothWays(offer: Held, demand: Held): boolean {
  return demand.accepts(offer.properties) === TRUE && offer.accepts(demand.properties) === TRUE
}

export class Matcher {
  readonly #offers = new Map<string, Held>()
  readonly #demands = new Map<string, Held>()

  /** Holds the offer (replacing one with the same id); returns the ids of held demands it matches. */
  addOffer(offer: MatchEntry): string[] {
    const held = hold(offer)
    this.#offers.set(offer.id, held)
    const ids: string[] = []
    for (const demand of this.#demands.values()) if (bothWays(held, demand)) ids.push(demand.id)
    return ids
  }

  removeOffer(id: string): boolean {
    return this.#offers.delete(id)
  }

  hasOffer(id: string): boolean {
    return this.#offers.has(id)
  }

  /** Ids of the held offers, in the order they were first added. */
  offerIds(): Iterable<string> {
    return this.#offers.keys()
  }

  /** Holds the demand (replacing one with the same id). */
  addDemand(demand: MatchEntry): void {
    this.#demands.set(demand.id, hold(demand))
  }

  removeDemand(id: string): boolean {
    return this.#demands.delete(id)
  }

  /** Ids of held offers that match the held demand; empty when the demand is not held. */
  matchDemand(demandId: string): string[] {
    const demand = this.#demands.get(demandId)
    return demand === undefined ? [] : this.#offersMatching(demand)
  }

  /** Ids of held offers that match a demand that is not held. */
  match(demand: { properties: PropertyMap; constraints: Constraint }): string[] {
    return this.#offersMatching(hold({ id: '', ...demand }))
  }

  get offerCount(): number {
    return this.#offers.size
  }
  get demandCount(): number {
    return this.#demands.size
  }

  #offersMatching(demand: Held): string[] {
    const ids: string[] = []
    for (const offer of this.#offers.values()) if (bothWays(offer, demand)) ids.push(offer.id)
    return ids
  }
}
