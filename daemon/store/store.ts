// The daemon's one LevelDB. Each module owns a sublevel (its slice of the key
// space) and nobody else writes there.
import { Level } from 'level'
import type { AbstractBatchOptions, AbstractDelOptions, AbstractPutOptions, AbstractSublevel } from 'abstract-level'
import { CodedError } from '../../net/errors/index.ts'

type Database = Level<string, unknown>

/** A module's slice of the store: string keys, JSON values. */
export type Sublevel<V = unknown> = AbstractSublevel<Database, string | Buffer | Uint8Array, string, V>

/**
 * Write options for records that must survive a crash once acknowledged
 * (so far app-keys): LevelDB fsyncs before the write resolves.
 */
export const DURABLE = Object.freeze({ sync: true }) as DurableOptions

// `sync` is classic-level's option; sublevels pass options on to it, but
// abstract-level's option types do not name it.
// biome-ignore lint/suspicious/noExplicitAny: the options fit a sublevel of any value type
type DurableOptions = AbstractPutOptions<string, any> & AbstractDelOptions<string> & AbstractBatchOptions<string, any>

const SUBLEVEL_NAME = /^[a-z][a-z0-9-]{0,31}$/

/** Another process (a daemon on the same data dir) holds the database. */
export class StoreLockedError extends CodedError<'Conflict'> {
  override name = 'StoreLockedError'

  constructor(message: string, options?: ErrorOptions) {
    super('Conflict', message, options)
  }
}

export class Store {
  readonly #db: Database
  readonly #sublevels = new Map<string, Sublevel>()

  private constructor(db: Database) {
    this.#db = db
  }

  /** Opens (creating if needed) the database at `location`. */
  static async open(location: string): Promise<Store> {
    const db = new Level<string, unknown>(location, { valueEncoding: 'json' })
    try {
      await db.open()
    } catch (err) {
      if (isLocked(err)) {
        throw new StoreLockedError(`the database ${location} is in use by another process (is an agora daemon running on this data dir?)`, { cause: err })
      }
      throw err
    }
    return new Store(db)
  }

  /** The sublevel named `name` (a module name: lowercase letters, digits, '-'). */
  sublevel<V = unknown>(name: string): Sublevel<V> {
    if (!SUBLEVEL_NAME.test(name)) throw new TypeError(`bad sublevel name ${JSON.stringify(name)}`)
    let sublevel = this.#sublevels.get(name)
    if (sublevel === undefined) {
      sublevel = this.#db.sublevel<string, unknown>(name, { valueEncoding: 'json' })
      this.#sublevels.set(name, sublevel)
    }
    return sublevel as Sublevel<V>
  }

  async close(): Promise<void> {
    await this.#db.close()
  }
}

function isLocked(err: unknown): boolean {
  for (let cause = err; cause instanceof Error; cause = cause.cause) {
    if ((cause as { code?: unknown }).code === 'LEVEL_LOCKED') return true
  }
  return false
}
