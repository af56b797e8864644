// Settlement records of one kind, held in memory and written through to the
// store: every change is on disk (synced) before the caller goes on, and the
// whole set is read once at start. Amounts are bigint in memory and decimal
// strings on disk; a record that cannot be read is set aside, never lost.
import { loadEach } from '../../net/index.ts'
import type { Logger, RawRecordStore } from '../../net/index.ts'

export interface RecordCodec<T> {
  /** Turns stored JSON into a record; throws on anything it cannot use. */
  decode: (value: unknown, key: string) => T
  idOf: (record: T) => string
}

export class RecordBook<T> {
  readonly #db: RawRecordStore
  readonly #prefix: string
  readonly #codec: RecordCodec<T>
  readonly #log: Logger
  readonly #records = new Map<string, T>()

  constructor(db: RawRecordStore, prefix: string, codec: RecordCodec<T>, log: Logger) {
    this.#db = db
    this.#prefix = prefix
    this.#codec = codec
    this.#log = log
  }

  async load(): Promise<void> {
    this.#records.clear()
    const loaded = await loadEach({
      store: this.#db,
      range: { gte: this.#prefix, lt: `${this.#prefix}~` },
      parse: this.#codec.decode,
      onBad: bad => this.#log.warn({ ...bad }, 'a settlement record could not be read; set aside')
    })
    for (const { record } of loaded) this.#records.set(this.#codec.idOf(record), record)
  }

  get(id: string): T | undefined {
    return this.#records.get(id)
  }

  values(): T[] {
    return [...this.#records.values()]
  }

  /** Writes `record` synced, then keeps it. */
  async put(record: T, options: { sync?: boolean } = {}): Promise<void> {
    const id = this.#codec.idOf(record)
    await this.#db.put(this.#prefix + id, encode(record), { valueEncoding: 'utf8', sync: options.sync ?? true })
    this.#records.set(id, record)
  }

  /**
   * Writes several records with one sync: LevelDB's log is sequential, so
   * syncing the last write makes every earlier one durable too.
   */
  async putAll(records: readonly T[]): Promise<void> {
    for (let i = 0; i < records.length; i++) await this.put(records[i]!, { sync: i === records.length - 1 })
  }

  async delete(id: string): Promise<void> {
    await this.#db.del(this.#prefix + id, { sync: true })
    this.#records.delete(id)
  }
}

function encode(record: unknown): string {
  return JSON.stringify(record, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value))
}
