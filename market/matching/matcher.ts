// Holds offers and demands and answers "which of them match this one": an
// offer and a demand match when each side's constraints are True on the
// other's properties. Constraints are compiled once, when an entry is added.
// Offers are also filed in an index (offer-index.ts), so that a demand is
// evaluated only against the offers its constraints leave possible.
import type { Constraint } from '../constraints/ast.ts'
import { TRUE } from '../constraints/compare.ts'
import { compileConstraint, type CompiledConstraint, type PropertyMap } from '../constraints/evaluator.ts'
import { OfferIndex } from './offer-index.ts'
import type { Condition } from './offer-index.ts'

export interface MatchEntry {
  id: string
  /** As published, unchecked: a value of an unexpected type evaluates as Undefined. */
  properties: PropertyMap
  constraints: Constraint
}

interface Held {
  id: string
  properties: PropertyMap
  constraints: Constraint
  accepts: CompiledConstraint
  /** When the id was first added: answers keep this order whichever buckets they come from. */
  order: number
}

function hold(entry: { id: string; properties: PropertyMap; constraints: Constraint }, order: number): Held {
  return { id: entry.id, properties: entry.properties, constraints: entry.constraints, accepts: compileConstraint(entry.constraints), order }
}

// The demand's side is tried first: requesters usually filter harder.
function bothWays(offer: Held, demand: Held): boolean {
  return demand.accepts(offer.properties) === TRUE && offer.accepts(demand.properties) === TRUE
}

export interface MatcherInit {
  /** False: every demand is tried against every offer (kept to check the index against). */
  indexed?: boolean
}

export class Matcher {
  readonly #offers = new Map<string, Held>()
  readonly #demands = new Map<string, Held>()
  readonly #index: OfferIndex<Held> | undefined
  #added = 0

  constructor(init: MatcherInit = {}) {
    this.#index = init.indexed === false ? undefined : new OfferIndex<Held>()
  }

  /** Holds the offer (replacing one with the same id); returns the ids of held demands it matches. */
  addOffer(offer: MatchEntry): string[] {
    const previous = this.#offers.get(offer.id)
    // A replaced offer keeps its place, as the map keeps its key's.
    const held = hold(offer, previous?.order ?? this.#added++)
    if (previous !== undefined) this.#index?.remove(previous)
    this.#offers.set(offer.id, held)
    this.#index?.add(held)
    const ids: string[] = []
    for (const demand of this.#demands.values()) if (bothWays(held, demand)) ids.push(demand.id)
    return ids
  }

  removeOffer(id: string): boolean {
    const held = this.#offers.get(id)
    if (held === undefined) return false
    this.#index?.remove(held)
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
    this.#demands.set(demand.id, hold(demand, 0))
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
    return this.#offersMatching(hold({ id: '', ...demand }, 0))
  }

  get offerCount(): number {
    return this.#offers.size
  }
  get demandCount(): number {
    return this.#demands.size
  }

  #offersMatching(demand: Held): string[] {
    const conditions = this.#index?.conditions(demand.constraints) ?? []
    const [scanned, ...others] = conditions
    if (scanned === undefined) {
      const ids: string[] = []
      for (const offer of this.#offers.values()) if (bothWays(offer, demand)) ids.push(offer.id)
      return ids
    }
    const found: Held[] = []
    const buckets = scanned.buckets.filter(bucket => bucket.size > 0)
    // An offer filed in two of the buckets (a list of runtimes) is tried once.
    const tried = buckets.length > 1 ? new Set<string>() : undefined
    for (const bucket of buckets) {
      for (const offer of bucket.values()) {
        if (tried !== undefined) {
          if (tried.has(offer.id)) continue
          tried.add(offer.id)
        }
        if (meetsAll(others, offer.properties) && bothWays(offer, demand)) found.push(offer)
      }
    }
    if (!inOrder(found)) found.sort((a, b) => a.order - b.order)
    return found.map(offer => offer.id)
  }
}

// The other terms of the demand's `&` that the index reads, checked before anything is evaluated.
function meetsAll(conditions: ReadonlyArray<Condition<Held>>, properties: PropertyMap): boolean {
  for (const condition of conditions) if (!condition.holds(properties)) return false
  return true
}

function inOrder(offers: readonly Held[]): boolean {
  for (let i = 1; i < offers.length; i++) if ((offers[i - 1] as Held).order > (offers[i] as Held).order) return false
  return true
}
