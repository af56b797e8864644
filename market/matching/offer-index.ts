// Narrows the offers a demand can match before any constraint is evaluated.
// Offers are filed by the properties demands constrain most: the runtime name
// (by value) and the payment platform addresses (by presence). From the
// demand's tree a necessary condition is read: every offer on which the tree
// can be True lies in the buckets it names. Where that cannot be said for
// certain the answer is "every offer": narrowing never changes a result, it
// only skips offers the full evaluation would refuse anyway.
import type { Constraint } from '../constraints/ast.ts'
import { propertyKey } from '../constraints/ast.ts'
import type { PropertyMap } from '../constraints/evaluator.ts'

/** Properties filed by value: an equality with a text literal names one bucket. */
export const VALUE_INDEXED_KEYS: readonly string[] = ['golem.runtime.name']

const PLATFORM_PREFIX = 'golem.com.payment.platform.'
const PLATFORM_SUFFIX = '.address'

/** `golem.com.payment.platform.<platform>.address`: filed by presence. */
export function isPresenceIndexedKey(key: string): boolean {
  return key.length > PLATFORM_PREFIX.length + PLATFORM_SUFFIX.length && key.startsWith(PLATFORM_PREFIX) && key.endsWith(PLATFORM_SUFFIX)
}

export interface Indexed {
  id: string
  properties: PropertyMap
}

type Bucket<T> = ReadonlyMap<string, T>

/** Where a demand's matches can be: the union of these buckets, or (undefined) anywhere. */
export type Candidates<T> = ReadonlyArray<Bucket<T>> | undefined

/** One necessary condition: the buckets of the offers that meet it, and the same test on an offer's properties. */
export interface Condition<T> {
  readonly buckets: ReadonlyArray<Bucket<T>>
  readonly holds: (properties: PropertyMap) => boolean
}

const EMPTY: Bucket<never> = new Map<string, never>()

function lookup(properties: PropertyMap, key: string): unknown {
  return Object.hasOwn(properties, key) ? properties[key] : undefined
}

// As the evaluator's presence test: what any comparison needs to be True.
function isPresent(value: unknown): boolean {
  const type = typeof value
  return type === 'string' || type === 'boolean' || (type === 'number' && Number.isFinite(value)) || Array.isArray(value)
}

/**
 * The strings an equality with a text literal can be True for, or undefined
 * when the value may equal a text some other way (a number equals "1.0", a
 * boolean "true", a list through any of its items).
 */
function valueTexts(value: unknown): readonly string[] | undefined {
  if (typeof value === 'string') return [value]
  if (Array.isArray(value) && value.every(item => typeof item === 'string')) return value as string[]
  return undefined
}

class ValueIndex<T> {
  readonly byText = new Map<string, Map<string, T>>()
  /** Offers whose value is not a string or a list of strings: in every answer. */
  readonly unusual = new Map<string, T>()
}

export class OfferIndex<T extends Indexed> {
  readonly #values = new Map<string, ValueIndex<T>>(VALUE_INDEXED_KEYS.map(key => [key, new ValueIndex<T>()]))
  readonly #present = new Map<string, Map<string, T>>()

  add(entry: T): void {
    for (const [key, index] of this.#values) {
      const value = lookup(entry.properties, key)
      if (value === undefined) continue
      const texts = valueTexts(value)
      if (texts === undefined) {
        index.unusual.set(entry.id, entry)
        continue
      }
      for (const text of texts) {
        bucketIn(index.byText, text).set(entry.id, entry)
      }
    }
    for (const key of Object.keys(entry.properties)) {
      if (!isPresenceIndexedKey(key) || !isPresent(lookup(entry.properties, key))) continue
      bucketIn(this.#present, key).set(entry.id, entry)
    }
  }

  /** Takes out an entry as it was added (the same properties). */
  remove(entry: T): void {
    for (const [key, index] of this.#values) {
      index.unusual.delete(entry.id)
      const texts = valueTexts(lookup(entry.properties, key))
      for (const text of texts ?? []) {
        const bucket = index.byText.get(text)
        if (bucket === undefined) continue
        bucket.delete(entry.id)
        if (bucket.size === 0) index.byText.delete(text)
      }
    }
    for (const key of Object.keys(entry.properties)) {
      const bucket = this.#present.get(key)
      if (bucket === undefined) continue
      bucket.delete(entry.id)
      if (bucket.size === 0) this.#present.delete(key)
    }
  }

  /**
   * Necessary conditions for the tree to be True on an offer, smallest first:
   * an offer can match only if it meets every one of them. The terms of an
   * `&` give one each, so that the smallest is scanned and the others only
   * checked on the offers scanned (on their properties, as they were filed:
   * cheaper than looking the offer up in a large bucket). None: any offer may match.
   */
  conditions(tree: Constraint): Array<Condition<T>> {
    const found: Array<Condition<T>> = []
    const collect = (term: Constraint): void => {
      if (term.kind === 'and') {
        for (const operand of term.operands) collect(operand)
        return
      }
      const buckets = this.candidates(term)
      const holds = holdsOf(term)
      if (buckets !== undefined && holds !== undefined) found.push({ buckets, holds })
    }
    collect(tree)
    return found.sort((a, b) => sizeOf(a.buckets) - sizeOf(b.buckets))
  }

  /** The buckets holding every offer the tree can be True on; undefined: any offer may be. */
  candidates(tree: Constraint): Candidates<T> {
    switch (tree.kind) {
      case 'and': {
        // True needs every operand True: any one operand's buckets will do; take the smallest.
        let best: Candidates<T>
        let bestSize = Infinity
        for (const operand of tree.operands) {
          const plan = this.candidates(operand)
          if (plan === undefined) continue
          const size = sizeOf(plan)
          if (size < bestSize) [best, bestSize] = [plan, size]
        }
        return best
      }
      case 'or': {
        // True needs some operand True: the union of all of them, unless one may be anywhere.
        const union: Array<Bucket<T>> = []
        for (const operand of tree.operands) {
          const plan = this.candidates(operand)
          if (plan === undefined) return undefined
          for (const bucket of plan) if (!union.includes(bucket)) union.push(bucket)
        }
        return union
      }
      case 'present':
        return this.#presence(propertyKey(tree.attribute))
      case 'compare': {
        const key = propertyKey(tree.attribute)
        const presence = this.#presence(key)
        if (presence !== undefined) return presence
        const index = this.#values.get(key)
        // Only `=` with plain text compares strings exactly; patterns, lists,
        // typed literals and orderings read values in ways not filed here.
        if (index === undefined || tree.operator !== '=' || tree.value.kind !== 'text') return undefined
        return [index.byText.get(tree.value.text) ?? EMPTY, index.unusual]
      }
      default:
        // `()` is True everywhere; a negation is True where its operand is not, which no bucket records.
        return undefined
    }
  }

  // Any comparison, like a presence test, is True only on a present value.
  #presence(key: string): Candidates<T> {
    if (!isPresenceIndexedKey(key)) return undefined
    return [this.#present.get(key) ?? EMPTY]
  }
}

/**
 * The test candidates() buckets by, on one offer's properties: true exactly
 * when add() files the offer in one of the term's buckets; undefined where
 * candidates() narrows nothing.
 */
function holdsOf(tree: Constraint): ((properties: PropertyMap) => boolean) | undefined {
  switch (tree.kind) {
    case 'and': {
      const tests = tree.operands.map(holdsOf).filter(test => test !== undefined)
      return tests.length === 0 ? undefined : properties => tests.every(test => test(properties))
    }
    case 'or': {
      const tests = tree.operands.map(holdsOf)
      if (tests.some(test => test === undefined)) return undefined
      return properties => tests.some(test => (test as (properties: PropertyMap) => boolean)(properties))
    }
    case 'present':
    case 'compare': {
      const key = propertyKey(tree.attribute)
      if (isPresenceIndexedKey(key)) return properties => isPresent(lookup(properties, key))
      if (tree.kind === 'present' || !VALUE_INDEXED_KEYS.includes(key) || tree.operator !== '=' || tree.value.kind !== 'text') return undefined
      const text = tree.value.text
      return properties => {
        const value = lookup(properties, key)
        if (value === undefined) return false
        const texts = valueTexts(value)
        return texts === undefined || texts.includes(text)
      }
    }
    default:
      return undefined
  }
}

function bucketIn<T>(buckets: Map<string, Map<string, T>>, name: string): Map<string, T> {
  let bucket = buckets.get(name)
  if (bucket === undefined) {
    bucket = new Map()
    buckets.set(name, bucket)
  }
  return bucket
}

function sizeOf(plan: ReadonlyArray<Bucket<unknown>>): number {
  let size = 0
  for (const bucket of plan) size += bucket.size
  return size
}
