// App-keys: the bearer tokens local applications use on the REST API. A key is
// shown once, at creation; the store keeps only its SHA-256 hash.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { CodedError, SchemaError, isDiskFull, loadEach } from '../../net/kernel.ts'
import type { BadRecord } from '../../net/kernel.ts'
import { DURABLE } from '../store/store.ts'
import type { Sublevel } from '../store/store.ts'
import { checkAppKeyName, checkAppKeyText } from './format.ts'

/** The store's sublevel that holds app-keys. */
export const APP_KEYS_SUBLEVEL = 'appkeys'

/** What may be shown about an app-key: never the key itself. */
export interface AppKeyInfo {
  name: string
  id: string
  createdAt: string
}

/** A freshly created app-key: the only time `key` is seen. */
export interface NewAppKey extends AppKeyInfo {
  key: string
}

/** What the API server needs: who, if anyone, holds this key. */
export interface AppKeyVerifier {
  verify: (key: string) => AppKeyInfo | null
}

export type AppKeyErrorCode = 'BadRequest' | 'Conflict' | 'NotFound' | 'InsufficientStorage'

export class AppKeyError extends CodedError<AppKeyErrorCode> {
  override name = 'AppKeyError'
}

// A stored app-key record, checked by hand: four fields do not need the schema
// compiler, and the offline app-key commands must start fast.
const STORED_FIELDS = ['id', 'name', 'keyHash', 'createdAt'] as const
type StoredAppKey = Record<(typeof STORED_FIELDS)[number], string>

function parseStoredAppKey(value: unknown, what: string): StoredAppKey {
  const fail = (problem: string): never => {
    throw new SchemaError(what, '', problem)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('must be object')
  const record = value as Record<string, unknown>
  const extra = Object.keys(record).filter(name => !(STORED_FIELDS as readonly string[]).includes(name))
  if (extra.length > 0) fail(`must not have additional properties (${extra.join(',')})`)
  for (const field of STORED_FIELDS) if (typeof record[field] !== 'string') fail(`/${field} must be string`)
  if (!/^[0-9a-f]{16}$/.test(record.id as string)) fail('/id must be 16 hex digits')
  if (!/^[0-9a-f]{64}$/.test(record.keyHash as string)) fail('/keyHash must be 64 hex digits')
  return record as StoredAppKey
}

interface Entry extends AppKeyInfo {
  hash: Buffer
}

export class AppKeys implements AppKeyVerifier {
  readonly #db: Sublevel
  // All keys are held in memory: there are few, and verify() runs on every request.
  readonly #entries = new Map<string, Entry>()
  #lastWrite: Promise<unknown> = Promise.resolve()

  private constructor(db: Sublevel) {
    this.#db = db
  }

  /** Loads the stored keys; one that cannot be read is set aside (`onBad` hears of it), and the rest work. */
  static async open(db: Sublevel, onBad?: (bad: BadRecord) => void): Promise<AppKeys> {
    const keys = new AppKeys(db)
    const loaded = await loadEach({
      store: db,
      parse: (value, key) => parseStoredAppKey(value, `stored app-key ${key}`),
      ...(onBad === undefined ? {} : { onBad })
    })
    for (const { record: stored } of loaded) {
      keys.#entries.set(stored.id, {
        id: stored.id,
        name: stored.name,
        createdAt: stored.createdAt,
        hash: Buffer.from(stored.keyHash, 'hex')
      })
    }
    return keys
  }

  /** Creates an app-key with a fresh random key, or with `key` when given (AGORA_APPKEY). */
  async create(name: string, options: { key?: string } = {}): Promise<NewAppKey> {
    return await this.#exclusive(async () => {
      const nameProblem = checkAppKeyName(name)
      if (nameProblem !== null) throw new AppKeyError('BadRequest', nameProblem)
      if (this.#byName(name) !== undefined) throw new AppKeyError('Conflict', `an app-key named ${name} already exists`)
      const key = options.key ?? randomBytes(32).toString('hex')
      const keyProblem = checkAppKeyText(key)
      if (keyProblem !== null) throw new AppKeyError('BadRequest', keyProblem)
      const hash = hashOf(key)
      if (this.#find(hash) !== null) throw new AppKeyError('Conflict', 'that key already belongs to another app-key')
      const entry: Entry = { id: randomBytes(8).toString('hex'), name, createdAt: new Date().toISOString(), hash }
      await storing(
        this.#db.put(
          entry.id,
          {
            id: entry.id,
            name,
            keyHash: hash.toString('hex'),
            createdAt: entry.createdAt
          },
          DURABLE
        )
      )
      this.#entries.set(entry.id, entry)
      return { ...infoOf(entry), key }
    })
  }

  /**
   * Makes sure `key` is a valid app-key (AGORA_APPKEY at start). When it is
   * not yet, it is created under `name`, replacing an older key of that name.
   */
  async ensure(name: string, key: string): Promise<AppKeyInfo> {
    const existing = this.verify(key)
    if (existing !== null) return existing
    if (this.#byName(name) !== undefined) await this.drop(name)
    return infoOf(await this.create(name, { key }))
  }

  /** All app-keys, oldest first, without their keys. */
  list(): AppKeyInfo[] {
    return [...this.#entries.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.name.localeCompare(b.name)).map(infoOf)
  }

  /** Removes the app-key with this name (or, failing that, this id). */
  async drop(nameOrId: string): Promise<AppKeyInfo> {
    return await this.#exclusive(async () => {
      const entry = this.#byName(nameOrId) ?? this.#entries.get(nameOrId)
      if (entry === undefined) throw new AppKeyError('NotFound', `no app-key named ${JSON.stringify(nameOrId.slice(0, 80))}`)
      await storing(this.#db.del(entry.id, DURABLE))
      this.#entries.delete(entry.id)
      return infoOf(entry)
    })
  }

  verify(key: string): AppKeyInfo | null {
    const entry = this.#find(hashOf(key))
    return entry === null ? null : infoOf(entry)
  }

  // Compares against every stored hash, so the time taken tells nothing.
  #find(hash: Buffer): Entry | null {
    let found: Entry | null = null
    for (const entry of this.#entries.values()) {
      if (timingSafeEqual(entry.hash, hash)) found = entry
    }
    return found
  }

  #byName(name: string): Entry | undefined {
    for (const entry of this.#entries.values()) if (entry.name === name) return entry
    return undefined
  }

  // One change at a time, so "name is free" still holds when the write lands.
  async #exclusive<T>(change: () => Promise<T>): Promise<T> {
    const result = this.#lastWrite.then(change, change)
    this.#lastWrite = result.catch(() => undefined)
    return await result
  }
}

/** A write, with a full disk told apart from other faults. */
async function storing(write: Promise<void>): Promise<void> {
  try {
    await write
  } catch (err) {
    if (isDiskFull(err)) throw new AppKeyError('InsufficientStorage', 'the disk of this node is full: the app-key was not stored', { cause: err })
    throw err
  }
}

function hashOf(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest()
}

function infoOf(entry: AppKeyInfo): AppKeyInfo {
  return { name: entry.name, id: entry.id, createdAt: entry.createdAt }
}
