// The owner's audit log: append-only and hash-chained, in the custody
// module's sublevel `audit`. Appends are serialised (one seq each, in order)
// and written synced before they resolve, so that whatever an entry records
// is acknowledged only once the entry is on disk. The head (last seq and
// hash) is kept beside the entries, so that removing the last entry is seen
// as well.
import { silentLogger, systemClock } from '../../net/kernel.ts'
import type { Clock, Logger } from '../../net/kernel.ts'
import type { AuditEntry, AuditInput, AuditKind, AuditSink, AuditVerification } from '../model.ts'
import { entryHash, GENESIS_HASH } from './chain-hash.ts'

/** What the log needs of a LevelDB sublevel with JSON values. */
export interface AuditDb {
  get(key: string): Promise<unknown>
  batch(ops: Array<{ type: 'put'; key: string; value: unknown }>, options: { sync: boolean }): Promise<void>
  iterator(options: { gte?: string; lt?: string; reverse?: boolean }): AsyncIterable<[string, unknown]>
}

export interface AuditFilter {
  readonly dataset?: string
  readonly kind?: AuditKind
  readonly requesterId?: string
  /** The newest `limit` entries that match (default: all). */
  readonly limit?: number
}

export interface AuditLogComponents {
  readonly db: AuditDb
  readonly clock?: Clock
  readonly logger?: Logger
}

const HEAD_KEY = 'head'
const ENTRY_PREFIX = 'e:'
const ENTRY_END = 'e;'
const entryKey = (seq: number): string => `${ENTRY_PREFIX}${String(seq).padStart(16, '0')}`

interface Head {
  readonly seq: number
  readonly hash: string
}

export class AuditLog implements AuditSink {
  readonly #db: AuditDb
  readonly #clock: Clock
  readonly #log: Logger
  #head: Head = { seq: 0, hash: GENESIS_HASH }
  #queue: Promise<unknown> = Promise.resolve()
  #opened = false

  constructor(components: AuditLogComponents) {
    this.#db = components.db
    this.#clock = components.clock ?? systemClock
    this.#log = components.logger ?? silentLogger
  }

  async open(): Promise<void> {
    const head = asHead(await this.#db.get(HEAD_KEY))
    const last = await this.#last()
    // The newer of the two: an entry is written with its head in one batch, so they agree unless edited.
    this.#head = last !== undefined && last.seq > (head?.seq ?? 0) ? { seq: last.seq, hash: last.hash } : (head ?? this.#head)
    this.#opened = true
  }

  async append(input: AuditInput): Promise<AuditEntry> {
    if (!this.#opened) throw new Error('the audit log is not open')
    const next = this.#queue.then(async () => {
      const unhashed = { ...definedOf(input), seq: this.#head.seq + 1, at: new Date(this.#clock.now()).toISOString(), prev: this.#head.hash }
      const entry = { ...unhashed, hash: entryHash(unhashed) } as AuditEntry
      await this.#db.batch(
        [
          { type: 'put', key: entryKey(entry.seq), value: entry },
          { type: 'put', key: HEAD_KEY, value: { seq: entry.seq, hash: entry.hash } }
        ],
        { sync: true }
      )
      this.#head = { seq: entry.seq, hash: entry.hash }
      return entry
    })
    this.#queue = next.catch(err => this.#log.error({ err }, 'an audit entry could not be written'))
    return await next
  }

  /** The entries that match, oldest first (the newest `limit` of them). */
  async list(filter: AuditFilter = {}): Promise<AuditEntry[]> {
    const found: AuditEntry[] = []
    const limit = filter.limit ?? Number.POSITIVE_INFINITY
    for await (const [, value] of this.#db.iterator({ gte: ENTRY_PREFIX, lt: ENTRY_END, reverse: true })) {
      if (found.length >= limit) break
      const entry = value as AuditEntry
      if (filter.dataset !== undefined && entry.dataset !== filter.dataset) continue
      if (filter.kind !== undefined && entry.kind !== filter.kind) continue
      if (filter.requesterId !== undefined && entry.requesterId?.toLowerCase() !== filter.requesterId.toLowerCase()) continue
      found.push(entry)
    }
    return found.reverse()
  }

  /** Checks every link from the first entry to the head: seq in order, prev the hash before, each hash its entry's. */
  async verify(): Promise<AuditVerification> {
    let expected = 1
    let prev = GENESIS_HASH
    for await (const [key, value] of this.#db.iterator({ gte: ENTRY_PREFIX, lt: ENTRY_END })) {
      const entry = value as Partial<AuditEntry> | null
      const holds =
        typeof entry === 'object' &&
        entry !== null &&
        key === entryKey(expected) &&
        entry.seq === expected &&
        entry.prev === prev &&
        typeof entry.hash === 'string' &&
        safeHash(entry) === entry.hash
      if (!holds) return { ok: false, entries: expected - 1, brokenAt: expected }
      prev = entry.hash as string
      expected++
    }
    const entries = expected - 1
    const head = asHead(await this.#db.get(HEAD_KEY))
    // The last entries removed (or the head rewound): the head no longer meets the chain's end.
    if (entries > 0 || head !== undefined) {
      if (head === undefined || head.seq !== entries || head.hash !== prev) return { ok: false, entries, brokenAt: entries + 1 }
    }
    return { ok: true, entries }
  }

  async #last(): Promise<AuditEntry | undefined> {
    for await (const [, value] of this.#db.iterator({ gte: ENTRY_PREFIX, lt: ENTRY_END, reverse: true })) {
      const entry = value as Partial<AuditEntry>
      if (Number.isSafeInteger(entry?.seq) && typeof entry.hash === 'string') return entry as AuditEntry
      return undefined
    }
    return undefined
  }
}

function asHead(value: unknown): Head | undefined {
  const head = value as Partial<Head> | undefined | null
  return head !== null && typeof head === 'object' && Number.isSafeInteger(head.seq) && typeof head.hash === 'string' ? (head as Head) : undefined
}

function safeHash(entry: Partial<AuditEntry>): string | undefined {
  try {
    return entryHash(entry as AuditEntry)
  } catch {
    return undefined
  }
}

function definedOf(input: AuditInput): AuditInput {
  return Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined)) as AuditInput
}
