// The entries and retractions of one topic a node knows, with their limits.
// No network and no signatures here: the caller verified everything. A
// retraction is kept until the entry would have expired, so an entry that
// arrives late (by gossip or sync) cannot come back to life.
import { SortedKeys } from './sorted-keys.ts'
import type { NodeId } from '../identity/node-id.ts'
import type { SignedEnvelope } from '../envelope/envelope.ts'

export interface StoredEntry<T> {
  id: string
  signer: NodeId
  payload: T
  expiresAt: number
  envelope: SignedEnvelope<T>
  /** Bytes of the broadcast message it came in (or went out) as; sync budgets by it. */
  messageBytes: number
}

export interface Tombstone {
  id: string
  signer: NodeId
  expiresAt: number
  envelope: SignedEnvelope
  /** Bytes of the broadcast message it came in (or went out) as; sync budgets by it. */
  messageBytes: number
}

export type AddOutcome = 'added' | 'duplicate' | 'retracted' | 'conflict' | 'full'
export type RetractOutcome = 'retracted' | 'remembered' | 'duplicate' | 'full'

/** One line of a sync summary: enough to decide whether the body is wanted. */
export interface SummaryItem {
  kind: 'entry' | 'tombstone'
  id: string
  signer: NodeId
  expiresAt: number
}

export interface StoreLimits {
  maxEntries: number
  maxPerSigner: number
}

export class EntryStore<T> {
  readonly #limits: StoreLimits
  readonly #entries = new Map<string, StoredEntry<T>>()
  readonly #tombstones = new Map<string, Tombstone>()
  readonly #perSigner = new Map<NodeId, number>()
  readonly #tombstonesPerSigner = new Map<NodeId, number>()
  /** Summary keys ('e' + id, 't' + tombstone key) in order; syncs page through it. */
  readonly #sorted = new SortedKeys()

  constructor (limits: StoreLimits) {
    this.#limits = limits
  }

  get size (): number { return this.#entries.size }
  get tombstoneCount (): number { return this.#tombstones.size }

  get (id: string): StoredEntry<T> | undefined {
    return this.#entries.get(id)
  }

  entries (): IterableIterator<StoredEntry<T>> {
    return this.#entries.values()
  }

  tombstone (signer: NodeId, id: string): Tombstone | undefined {
    return this.#tombstones.get(tombstoneKey(signer, id))
  }

  add (entry: StoredEntry<T>): AddOutcome {
    const existing = this.#entries.get(entry.id)
    if (existing !== undefined) return existing.signer === entry.signer ? 'duplicate' : 'conflict'
    if (this.#tombstones.has(tombstoneKey(entry.signer, entry.id))) return 'retracted'
    if (this.#entries.size >= this.#limits.maxEntries) return 'full'
    if ((this.#perSigner.get(entry.signer) ?? 0) >= this.#limits.maxPerSigner) return 'full'
    this.#entries.set(entry.id, entry)
    increment(this.#perSigner, entry.signer, 1)
    this.#sorted.insert(entryKey(entry.id))
    return 'added'
  }

  /**
   * Records a retraction (the caller checked that its signer is the entry's).
   * Returns 'retracted' when it removed an entry, 'remembered' when the entry
   * is not (yet) here.
   */
  retract (tombstone: Tombstone): { outcome: RetractOutcome, removed?: StoredEntry<T> } {
    const key = tombstoneKey(tombstone.signer, tombstone.id)
    if (this.#tombstones.has(key)) return { outcome: 'duplicate' }
    if (this.#tombstones.size >= this.#limits.maxEntries ||
        (this.#tombstonesPerSigner.get(tombstone.signer) ?? 0) >= this.#limits.maxPerSigner) {
      return { outcome: 'full' }
    }
    this.#tombstones.set(key, tombstone)
    increment(this.#tombstonesPerSigner, tombstone.signer, 1)
    this.#sorted.insert(summaryKeyOfTombstone(key))
    const entry = this.#entries.get(tombstone.id)
    if (entry === undefined || entry.signer !== tombstone.signer) return { outcome: 'remembered' }
    this.#remove(entry)
    return { outcome: 'retracted', removed: entry }
  }

  /** Drops what has expired; returns the entries dropped. */
  sweep (now: number): Array<StoredEntry<T>> {
    const expired: Array<StoredEntry<T>> = []
    for (const entry of this.#entries.values()) {
      if (entry.expiresAt <= now) expired.push(entry)
    }
    const gone = new Set<string>()
    for (const entry of expired) {
      this.#forget(entry)
      gone.add(entryKey(entry.id))
    }
    for (const [key, tombstone] of this.#tombstones) {
      if (tombstone.expiresAt > now) continue
      this.#tombstones.delete(key)
      increment(this.#tombstonesPerSigner, tombstone.signer, -1)
      gone.add(summaryKeyOfTombstone(key))
    }
    this.#sorted.deleteAll(gone)
    return expired
  }

  /** Up to `limit` summary items after the cursor, and the cursor of the next page. */
  summary (after: string | undefined, limit: number): { items: SummaryItem[], next?: string } {
    const { keys, more } = this.#sorted.page(after, limit)
    const items: SummaryItem[] = []
    for (const key of keys) {
      const item = this.#summaryItem(key)
      if (item !== undefined) items.push(item)
    }
    const last = keys.at(-1)
    return more && last !== undefined ? { items, next: last } : { items }
  }

  #summaryItem (key: string): SummaryItem | undefined {
    if (key.startsWith('e')) {
      const entry = this.#entries.get(key.slice(1))
      return entry && { kind: 'entry', id: entry.id, signer: entry.signer, expiresAt: entry.expiresAt }
    }
    const tombstone = this.#tombstones.get(key.slice(1))
    return tombstone && { kind: 'tombstone', id: tombstone.id, signer: tombstone.signer, expiresAt: tombstone.expiresAt }
  }

  #remove (entry: StoredEntry<T>): void {
    this.#forget(entry)
    this.#sorted.delete(entryKey(entry.id))
  }

  /** Drops an entry but not its summary key (a sweep drops those all at once). */
  #forget (entry: StoredEntry<T>): void {
    this.#entries.delete(entry.id)
    increment(this.#perSigner, entry.signer, -1)
  }
}

function tombstoneKey (signer: NodeId, id: string): string {
  return `${signer}/${id}`
}

function entryKey (id: string): string {
  return 'e' + id
}

function summaryKeyOfTombstone (key: string): string {
  return 't' + key
}

function increment (counts: Map<NodeId, number>, signer: NodeId, by: number): void {
  const count = (counts.get(signer) ?? 0) + by
  if (count <= 0) counts.delete(signer)
  else counts.set(signer, count)
}
