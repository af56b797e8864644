// Where an outbox keeps its messages: a key range of its owner's LevelDB
// sublevel, so that the owner can write its own state and a queued message in
// one batch. Pending messages: `<prefix>:m:<seq>`; ids already received (for
// dedupe): `<prefix>:r:<seq>`. Sequence numbers are 16 digits, so keys list in
// the order they were written.
import type { NodeId } from '../identity/node-id.ts'
import type { SignedEnvelope } from '../envelope/envelope.ts'
import { loadEach } from '../store/load-each.ts'
import type { BadRecord, RawRecordStore } from '../store/load-each.ts'

export type StoreOp = { type: 'put'; key: string; value: unknown } | { type: 'del'; key: string }

/** What the outbox needs of a LevelDB sublevel with JSON values (a `level` sublevel fits). */
export interface OutboxDb extends RawRecordStore {
  get: (key: string) => Promise<unknown>
  batch: (ops: StoreOp[], options?: { sync?: boolean }) => Promise<void>
}

export interface PendingRecord {
  seq: number
  /** sha-256 of the canonical JSON of { kind, envelope }: the same message has the same id everywhere. */
  id: string
  to: NodeId
  kind: string
  envelope: SignedEnvelope
  enqueuedAt: number
}

export interface ReceivedRecord {
  seq: number
  from: NodeId
  id: string
}

export class OutboxStore {
  readonly #db: OutboxDb
  readonly #prefix: string

  constructor(db: OutboxDb, prefix: string) {
    this.#db = db
    this.#prefix = prefix
  }

  pendingKey(seq: number): string {
    return `${this.#prefix}:m:${pad(seq)}`
  }
  receivedKey(seq: number): string {
    return `${this.#prefix}:r:${pad(seq)}`
  }

  /** Pending messages that `parse` accepts; any other record is set aside (quarantined), never lost. */
  async pending<T>(parse: (value: unknown) => T, onBad: (bad: BadRecord) => void): Promise<T[]> {
    return await this.#list('m', parse, onBad)
  }
  async received<T>(parse: (value: unknown) => T, onBad: (bad: BadRecord) => void): Promise<T[]> {
    return await this.#list('r', parse, onBad)
  }

  async get(key: string): Promise<unknown> {
    return await this.#db.get(key)
  }

  /** Every op in one batch; `sync` makes LevelDB fsync before it resolves. */
  async write(ops: StoreOp[], sync: boolean): Promise<void> {
    await this.#db.batch(ops, { sync })
  }

  async #list<T>(range: 'm' | 'r', parse: (value: unknown) => T, onBad: (bad: BadRecord) => void): Promise<T[]> {
    const loaded = await loadEach({ store: this.#db, range: { gte: `${this.#prefix}:${range}:`, lt: `${this.#prefix}:${range};` }, parse, onBad })
    return loaded.map(({ record }) => record)
  }
}

function pad(seq: number): string {
  return String(seq).padStart(16, '0')
}
