// The market's slice of the node's LevelDB. Records are JSON; keys are
// `<kind>:<id>`, and agreement events `event:<ms, 15 digits>` (their times
// strictly increase) so that they list in time order. The market's outbox
// (net/outbox) keeps its messages under `outbox:` in the same sublevel, so that
// a state change and the message telling the other party are one batch.
import { isDiskFull, loadEach, quarantine } from '../../net/index.ts'
import type { BadRecord, RawRecordStore, StoreOp } from '../../net/index.ts'
import { MarketError } from '../errors.ts'

/** What the market needs of a LevelDB sublevel (a `level` sublevel fits). */
export interface JsonSublevel extends RawRecordStore {
  get: (key: string) => Promise<unknown>
  put: (key: string, value: unknown, options?: { sync?: boolean; valueEncoding?: 'utf8' }) => Promise<void>
  batch: (ops: StoreOp[], options?: { sync?: boolean }) => Promise<void>
}

export type RecordKind = 'offer' | 'demand' | 'proposal' | 'agreement' | 'event'

/** Checks a loaded record; throws on one the market cannot use. */
export type RecordCheck = (value: unknown, key: string) => unknown

// What others rely on, or a client was told exists, is on disk before we answer.
const DURABLE_KINDS = new Set<RecordKind>(['offer', 'demand', 'agreement'])

export class MarketStore {
  readonly #db: JsonSublevel
  readonly #onBad: (bad: BadRecord) => void

  /** `onBad` hears of each stored record that could not be loaded (and was set aside). */
  constructor(db: JsonSublevel, onBad: (bad: BadRecord) => void = () => {}) {
    this.#db = db
    this.#onBad = onBad
  }

  async get<T>(kind: RecordKind, id: string): Promise<T | undefined> {
    return (await this.#db.get(`${kind}:${id}`)) as T | undefined
  }

  async put(kind: RecordKind, id: string, value: unknown): Promise<void> {
    await this.#write(async () => {
      await this.#db.put(`${kind}:${id}`, value, { sync: DURABLE_KINDS.has(kind) })
    })
  }

  /** The op that put() would write, for a batch with other writes (e.g. a queued message). */
  putOp(kind: RecordKind, id: string, value: unknown): StoreOp {
    return { type: 'put', key: `${kind}:${id}`, value }
  }

  delOp(kind: RecordKind, id: string): StoreOp {
    return { type: 'del', key: `${kind}:${id}` }
  }

  /** Ops of putOp and delOp written at once, durably. */
  async batch(ops: StoreOp[]): Promise<void> {
    await this.#write(async () => {
      await this.#db.batch(ops, { sync: true })
    })
  }

  async del(kind: RecordKind, id: string): Promise<void> {
    await this.#write(async () => {
      await this.#db.del(`${kind}:${id}`, { sync: DURABLE_KINDS.has(kind) })
    })
  }

  /** Every record of a kind that passes `check`; the others are set aside and reported. */
  async list<T>(kind: RecordKind, check: RecordCheck): Promise<T[]> {
    const loaded = await loadEach({ store: this.#db, range: { gte: `${kind}:`, lt: `${kind};` }, parse: check, onBad: this.#onBad })
    return loaded.map(({ record }) => record as T)
  }

  /** Sets one record aside, as a bad loaded record is (e.g. one that no longer activates). */
  async setAside(kind: RecordKind, id: string, reason: string): Promise<void> {
    const key = `${kind}:${id}`
    const value = await this.#db.get(key)
    if (value === undefined) return
    this.#onBad({ key, reason, quarantinedAs: await quarantine(this.#db, key, JSON.stringify(value)) })
  }

  async #write(write: () => Promise<void>): Promise<void> {
    try {
      await write()
    } catch (err) {
      if (isDiskFull(err))
        throw new MarketError('InsufficientStorage', 'the disk of this node is full: nothing was stored; free some space and try again', { cause: err })
      throw err
    }
  }
}
