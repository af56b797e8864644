// The market's slice of the node's LevelDB. Records are JSON; keys are
// `<kind>:<id>`, and agreement events `event:<ms, 15 digits>` (their times
// strictly increase) so that they list in time order. The market's outbox
// (net/outbox) keeps its messages under `outbox:` in the same sublevel, so that
// a state change and the message telling the other party are one batch.
import type { StoreOp } from '../../net/index.ts'

/** What the market needs of a LevelDB sublevel (a `level` sublevel fits). */
export interface JsonSublevel {
  get: (key: string) => Promise<unknown>
  put: (key: string, value: unknown, options?: { sync?: boolean }) => Promise<void>
  del: (key: string) => Promise<void>
  values: (options: { gte: string, lt: string }) => AsyncIterable<unknown>
  batch: (ops: StoreOp[], options?: { sync?: boolean }) => Promise<void>
}

export type RecordKind = 'offer' | 'demand' | 'proposal' | 'agreement' | 'event'

export class MarketStore {
  readonly #db: JsonSublevel

  constructor (db: JsonSublevel) {
    this.#db = db
  }

  async get<T> (kind: RecordKind, id: string): Promise<T | undefined> {
    return await this.#db.get(`${kind}:${id}`) as T | undefined
  }

  /** Durable write: what others may rely on is on disk before we answer. */
  async put (kind: RecordKind, id: string, value: unknown): Promise<void> {
    await this.#db.put(`${kind}:${id}`, value, { sync: kind === 'agreement' })
  }

  /** The op that put() would write, for a batch with other writes (e.g. a queued message). */
  putOp (kind: RecordKind, id: string, value: unknown): StoreOp {
    return { type: 'put', key: `${kind}:${id}`, value }
  }

  async del (kind: RecordKind, id: string): Promise<void> {
    await this.#db.del(`${kind}:${id}`)
  }

  async list<T> (kind: RecordKind): Promise<T[]> {
    const out: T[] = []
    for await (const value of this.#db.values({ gte: `${kind}:`, lt: `${kind};` })) out.push(value as T)
    return out
  }
}
