// Where an outbox keeps its messages: a key range of its owner's LevelDB
// sublevel, so that the owner can write its own state and a queued message in
// one batch. Pending messages: `<prefix>:m:<seq>`; ids already received (for
// dedupe): `<prefix>:r:<seq>`. Sequence numbers are 16 digits, so keys list in
// the order they were written.
import type { NodeId } from '../identity/node-id.ts'
import type { SignedEnvelope } from '../envelope/envelope.ts'

export type StoreOp = { type: 'put', key: string, value: unknown } | { type: 'del', key: string }

/** What the outbox needs of a LevelDB sublevel with JSON values (a `level` sublevel fits). */
export interface OutboxDb {
  get: (key: string) => Promise<unknown>
  batch: (ops: StoreOp[], options?: { sync?: boolean }) => Promise<void>
  values: (range: { gte: string, lt: string }) => AsyncIterable<unknown>
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

  constructor (db: OutboxDb, prefix: string) {
    this.#db = db
    this.#prefix = prefix
  }

  pendingKey (seq: number): string { return `${this.#prefix}:m:${pad(seq)}` }
  receivedKey (seq: number): string { return `${this.#prefix}:r:${pad(seq)}` }

  async pending (): Promise<unknown[]> { return await this.#list('m') }
  async received (): Promise<unknown[]> { return await this.#list('r') }

  async get (key: string): Promise<unknown> {
    return await this.#db.get(key)
  }

  /** Every op in one batch; `sync` makes LevelDB fsync before it resolves. */
  async write (ops: StoreOp[], sync: boolean): Promise<void> {
    await this.#db.batch(ops, { sync })
  }

  async #list (range: 'm' | 'r'): Promise<unknown[]> {
    const out: unknown[] = []
    for await (const value of this.#db.values({ gte: `${this.#prefix}:${range}:`, lt: `${this.#prefix}:${range};` })) out.push(value)
    return out
  }
}

function pad (seq: number): string {
  return String(seq).padStart(16, '0')
}
