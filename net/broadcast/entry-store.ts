// The entries and retractions of one topic a node knows, with their limits.
// No network and no signatures here: the caller verified everything. A
// retraction is kept until the entry would have expired, so an entry that
// arrives late (by gossip or sync) cannot come back to life.
//
// The store is bounded by entries and by bytes. When a new entry needs room,
// entries are evicted in a documented order (docs/network.md, "Broadcast"):
// the entries each relaying node handed us form its account; the account of
// the relayer with the worst standing goes first, then the heaviest account,
// newest entry first. The node's own entries are never evicted, nor the
// oldest entries of an established signer up to its floor. A new entry that
// would itself be the first to go is refused instead, and nothing is evicted.
import { SummaryIndex } from './summary-index.ts'
import type { SummaryDigest } from './summary-index.ts'
import type { NodeId } from '../identity/node-id.ts'
import type { SignedEnvelope } from '../envelope/envelope.ts'

export interface StoredEntry<T> {
  id: string
  signer: NodeId
  payload: T
  expiresAt: number
  envelope: SignedEnvelope<T>
  /** Bytes of the broadcast message it came in (or went out) as; sync and the byte bound count it. */
  messageBytes: number
  /** sha256 of that message in its canonical form (announcement.ts): what announcements name it by. */
  hash: string
  /** The node that handed it to us (gossip or sync); none for the node's own entries. */
  relayer?: NodeId
  /** When it was taken in (the store's clock). */
  addedAt: number
}

export interface Tombstone {
  id: string
  signer: NodeId
  expiresAt: number
  envelope: SignedEnvelope
  /** Bytes of the broadcast message it came in (or went out) as; sync budgets by it. */
  messageBytes: number
  /** sha256 of that message in its canonical form. */
  hash: string
}

/** What a hash names: an entry or a retraction this store holds. */
export type Held<T> = { kind: 'entry'; entry: StoredEntry<T> } | { kind: 'tombstone'; tombstone: Tombstone }

export type AddOutcome = 'added' | 'duplicate' | 'retracted' | 'conflict' | 'full' | 'signer_full'
export type RetractOutcome = 'retracted' | 'remembered' | 'duplicate' | 'full'

export interface AddResult<T> {
  outcome: AddOutcome
  /** Entries evicted to make room for this one (only when added). */
  evicted: Array<StoredEntry<T>>
}

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
  /** Bytes of entries kept at most (their message bytes). */
  maxBytes: number
  /** The oldest bytes of an established signer that are never evicted. */
  signerFloorBytes: number
  /** A signer whose oldest kept entry is this old is established. */
  establishedAfterMs: number
  /** A relayer's standing: 0 for a clean node, lower for a worse one. */
  standingOf?: (relayer: NodeId) => number
}

/** Entries in the order they came, with their total bytes. */
interface Group<T> {
  bytes: number
  entries: Array<StoredEntry<T>>
}

/** The account of the node's own entries. */
const OWN = ''

export class EntryStore<T> {
  readonly #limits: StoreLimits
  readonly #entries = new Map<string, StoredEntry<T>>()
  readonly #tombstones = new Map<string, Tombstone>()
  readonly #bySigner = new Map<NodeId, Group<T>>()
  readonly #byRelayer = new Map<string, Group<T>>()
  readonly #tombstonesPerSigner = new Map<NodeId, number>()
  readonly #byHash = new Map<string, Held<T>>()
  /** Summary keys ('e' + id, 't' + tombstone key) in order, by bucket, with fingerprints; syncs page and compare through it. */
  readonly #summary = new SummaryIndex()
  #bytes = 0

  constructor(limits: StoreLimits) {
    this.#limits = limits
  }

  get size(): number {
    return this.#entries.size
  }
  /** Message bytes of the entries kept. */
  get bytes(): number {
    return this.#bytes
  }
  get tombstoneCount(): number {
    return this.#tombstones.size
  }

  get(id: string): StoredEntry<T> | undefined {
    return this.#entries.get(id)
  }

  entries(): IterableIterator<StoredEntry<T>> {
    return this.#entries.values()
  }

  /** Bytes kept of the entries a relayer handed us (undefined: the node's own). */
  bytesFrom(relayer: NodeId | undefined): number {
    return this.#byRelayer.get(relayer ?? OWN)?.bytes ?? 0
  }

  tombstone(signer: NodeId, id: string): Tombstone | undefined {
    return this.#tombstones.get(tombstoneKey(signer, id))
  }

  /** The entry or retraction whose message has this hash, while it is kept. */
  byHash(hash: string): Held<T> | undefined {
    return this.#byHash.get(hash)
  }

  /**
   * Takes an entry in, evicting others if the bounds need it. Every bound is
   * checked, and every eviction planned, before anything changes.
   */
  add(entry: StoredEntry<T>, now: number): AddResult<T> {
    const existing = this.#entries.get(entry.id)
    if (existing !== undefined) return refused(existing.signer === entry.signer ? 'duplicate' : 'conflict')
    if (this.#tombstones.has(tombstoneKey(entry.signer, entry.id))) return refused('retracted')
    if ((this.#bySigner.get(entry.signer)?.entries.length ?? 0) >= this.#limits.maxPerSigner) return refused('signer_full')
    if (entry.messageBytes > this.#limits.maxBytes) return refused('full')
    const evicted = this.#planRoom(entry, now)
    if (evicted === undefined) return refused('full')
    for (const victim of evicted) this.#remove(victim)
    this.#entries.set(entry.id, entry)
    this.#byHash.set(entry.hash, { kind: 'entry', entry })
    this.#bytes += entry.messageBytes
    append(this.#bySigner, entry.signer, entry)
    append(this.#byRelayer, entry.relayer ?? OWN, entry)
    this.#summary.insert(entryKey(entry.id), entry.hash)
    return { outcome: 'added', evicted }
  }

  /**
   * Records a retraction (the caller checked that its signer is the entry's).
   * Returns 'retracted' when it removed an entry, 'remembered' when the entry
   * is not (yet) here.
   */
  retract(tombstone: Tombstone): { outcome: RetractOutcome; removed?: StoredEntry<T> } {
    const key = tombstoneKey(tombstone.signer, tombstone.id)
    if (this.#tombstones.has(key)) return { outcome: 'duplicate' }
    if (this.#tombstones.size >= this.#limits.maxEntries || (this.#tombstonesPerSigner.get(tombstone.signer) ?? 0) >= this.#limits.maxPerSigner) {
      return { outcome: 'full' }
    }
    this.#tombstones.set(key, tombstone)
    this.#byHash.set(tombstone.hash, { kind: 'tombstone', tombstone })
    increment(this.#tombstonesPerSigner, tombstone.signer, 1)
    this.#summary.insert(summaryKeyOfTombstone(key), tombstone.hash)
    const entry = this.#entries.get(tombstone.id)
    if (entry === undefined || entry.signer !== tombstone.signer) return { outcome: 'remembered' }
    this.#remove(entry)
    return { outcome: 'retracted', removed: entry }
  }

  /** Drops what has expired; returns the entries dropped. */
  sweep(now: number): Array<StoredEntry<T>> {
    const expired: Array<StoredEntry<T>> = []
    for (const entry of this.#entries.values()) {
      if (entry.expiresAt <= now) expired.push(entry)
    }
    const gone = new Map<string, string>()
    for (const entry of expired) {
      this.#entries.delete(entry.id)
      this.#byHash.delete(entry.hash)
      this.#bytes -= entry.messageBytes
      gone.set(entryKey(entry.id), entry.hash)
    }
    if (expired.length > 0) {
      const ids = new Set(expired.map(entry => entry.id))
      dropAll(this.#bySigner, ids)
      dropAll(this.#byRelayer, ids)
    }
    for (const [key, tombstone] of this.#tombstones) {
      if (tombstone.expiresAt > now) continue
      this.#tombstones.delete(key)
      this.#byHash.delete(tombstone.hash)
      increment(this.#tombstonesPerSigner, tombstone.signer, -1)
      gone.set(summaryKeyOfTombstone(key), tombstone.hash)
    }
    this.#summary.deleteAll(gone)
    return expired
  }

  /** Up to `limit` summary items after the cursor (of one bucket, when given), and the cursor of the next page. */
  summary(after: string | undefined, limit: number, bucket?: number): { items: SummaryItem[]; next?: string } {
    const { keys, next } = this.#summary.page(after, limit, bucket)
    const items: SummaryItem[] = []
    for (const key of keys) {
      const item = this.#summaryItem(key)
      if (item !== undefined) items.push(item)
    }
    return next === undefined ? { items } : { items, next }
  }

  /** The count and fingerprint of everything a summary lists. */
  digest(): SummaryDigest {
    return this.#summary.digest()
  }

  bucketFingerprints(): string {
    return this.#summary.bucketFingerprints()
  }

  /**
   * The entries to evict so that `entry` fits (none if it fits as is), or
   * undefined when it cannot be made to fit without evicting it first.
   */
  #planRoom(entry: StoredEntry<T>, now: number): Array<StoredEntry<T>> | undefined {
    let bytesOver = this.#bytes + entry.messageBytes - this.#limits.maxBytes
    let entriesOver = this.#entries.size + 1 - this.#limits.maxEntries
    if (bytesOver <= 0 && entriesOver <= 0) return []
    const kept = this.#protectedIds(now)
    const newcomerAccount = entry.relayer ?? OWN
    // The newcomer counts as the newest entry of its account; it is protected
    // when it stays within an established signer's floor.
    const newcomerProtected = newcomerAccount === OWN || this.#withinFloor(entry, now)
    const accounts: Array<{ key: string; standing: number; bytes: number; entries: Array<StoredEntry<T>>; next: number; newcomer: boolean }> = []
    for (const [key, group] of this.#byRelayer) {
      if (key === OWN) continue
      const withNewcomer = key === newcomerAccount
      accounts.push({
        key,
        standing: this.#limits.standingOf?.(key as NodeId) ?? 0,
        bytes: group.bytes + (withNewcomer ? entry.messageBytes : 0),
        entries: group.entries,
        next: group.entries.length - 1,
        newcomer: withNewcomer && !newcomerProtected
      })
    }
    if (newcomerAccount !== OWN && !this.#byRelayer.has(newcomerAccount) && !newcomerProtected) {
      accounts.push({
        key: newcomerAccount,
        standing: this.#limits.standingOf?.(newcomerAccount as NodeId) ?? 0,
        bytes: entry.messageBytes,
        entries: [],
        next: -1,
        newcomer: true
      })
    }
    const victims: Array<StoredEntry<T>> = []
    while (bytesOver > 0 || entriesOver > 0) {
      // Skip what may not go, then pick the account to take from.
      for (const account of accounts) {
        while (account.next >= 0 && kept.has((account.entries[account.next] as StoredEntry<T>).id)) account.next--
      }
      let worst: (typeof accounts)[number] | undefined
      for (const account of accounts) {
        if (account.next < 0 && !account.newcomer) continue
        if (
          worst === undefined ||
          account.standing < worst.standing ||
          (account.standing === worst.standing && (account.bytes > worst.bytes || (account.bytes === worst.bytes && account.key < worst.key)))
        ) {
          worst = account
        }
      }
      if (worst === undefined || worst.newcomer) return undefined
      const victim = worst.entries[worst.next] as StoredEntry<T>
      worst.next--
      worst.bytes -= victim.messageBytes
      victims.push(victim)
      bytesOver -= victim.messageBytes
      entriesOver--
    }
    return victims
  }

  /**
   * The ids no eviction may take: the oldest entries of each established
   * signer up to its floor, the longest established signers first, and at
   * most half the byte bound in all (so keys made in advance cannot pin the
   * whole store).
   */
  #protectedIds(now: number): Set<string> {
    const kept = new Set<string>()
    const established: Array<Group<T>> = []
    for (const group of this.#bySigner.values()) {
      const oldest = group.entries[0]
      if (oldest !== undefined && this.#isEstablished(oldest, now)) established.push(group)
    }
    established.sort((a, b) => (a.entries[0] as StoredEntry<T>).addedAt - (b.entries[0] as StoredEntry<T>).addedAt)
    let budget = Math.floor(this.#limits.maxBytes / 2)
    for (const group of established) {
      let floor = this.#limits.signerFloorBytes
      for (const entry of group.entries) {
        if (entry.messageBytes > floor || entry.messageBytes > budget) break
        floor -= entry.messageBytes
        budget -= entry.messageBytes
        kept.add(entry.id)
      }
    }
    return kept
  }

  /** Whether a new entry of an established signer still fits under that signer's floor. */
  #withinFloor(entry: StoredEntry<T>, now: number): boolean {
    const group = this.#bySigner.get(entry.signer)
    const oldest = group?.entries[0]
    if (group === undefined || oldest === undefined || !this.#isEstablished(oldest, now)) return false
    return group.bytes + entry.messageBytes <= this.#limits.signerFloorBytes
  }

  #isEstablished(oldest: StoredEntry<T>, now: number): boolean {
    return oldest.addedAt <= now - this.#limits.establishedAfterMs
  }

  #summaryItem(key: string): SummaryItem | undefined {
    if (key.startsWith('e')) {
      const entry = this.#entries.get(key.slice(1))
      return entry && { kind: 'entry', id: entry.id, signer: entry.signer, expiresAt: entry.expiresAt }
    }
    const tombstone = this.#tombstones.get(key.slice(1))
    return tombstone && { kind: 'tombstone', id: tombstone.id, signer: tombstone.signer, expiresAt: tombstone.expiresAt }
  }

  #remove(entry: StoredEntry<T>): void {
    this.#entries.delete(entry.id)
    this.#byHash.delete(entry.hash)
    this.#bytes -= entry.messageBytes
    drop(this.#bySigner, entry.signer, entry)
    drop(this.#byRelayer, entry.relayer ?? OWN, entry)
    this.#summary.delete(entryKey(entry.id), entry.hash)
  }
}

function refused<T>(outcome: AddOutcome): AddResult<T> {
  return { outcome, evicted: [] }
}

function append<K, T>(groups: Map<K, Group<T>>, key: K, entry: StoredEntry<T>): void {
  let group = groups.get(key)
  if (group === undefined) {
    group = { bytes: 0, entries: [] }
    groups.set(key, group)
  }
  group.entries.push(entry)
  group.bytes += entry.messageBytes
}

function drop<K, T>(groups: Map<K, Group<T>>, key: K, entry: StoredEntry<T>): void {
  const group = groups.get(key)
  if (group === undefined) return
  const at = group.entries.lastIndexOf(entry)
  if (at < 0) return
  group.entries.splice(at, 1)
  group.bytes -= entry.messageBytes
  if (group.entries.length === 0) groups.delete(key)
}

/** Drops many entries at once from every group: one pass, not one splice each. */
function dropAll<K, T>(groups: Map<K, Group<T>>, ids: ReadonlySet<string>): void {
  for (const [key, group] of groups) {
    const left = group.entries.filter(entry => !ids.has(entry.id))
    if (left.length === group.entries.length) continue
    if (left.length === 0) {
      groups.delete(key)
      continue
    }
    group.entries = left
    group.bytes = left.reduce((sum, entry) => sum + entry.messageBytes, 0)
  }
}

function tombstoneKey(signer: NodeId, id: string): string {
  return `${signer}/${id}`
}

function entryKey(id: string): string {
  return `e${id}`
}

function summaryKeyOfTombstone(key: string): string {
  return `t${key}`
}

function increment(counts: Map<NodeId, number>, signer: NodeId, by: number): void {
  const count = (counts.get(signer) ?? 0) + by
  if (count <= 0) counts.delete(signer)
  else counts.set(signer, count)
}
