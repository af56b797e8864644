// Loading stored records at start-up, one bad record at a time: a record that
// cannot be read or parsed is set aside under a quarantine key (never
// deleted) and reported, and the rest load. A node must always start again.

/** Keys of set-aside records start with this; '~' sorts after every record kind. */
export const QUARANTINE_PREFIX = '~quarantine:'

/** What loading needs of a key-value store (a LevelDB sublevel fits). */
export interface RawRecordStore {
  /** Records as stored text, so that bytes which are not JSON are still seen. */
  iterator: (options: { gte?: string; lt?: string; valueEncoding: 'utf8' }) => AsyncIterable<[string, string]>
  put: (key: string, value: string, options: { valueEncoding: 'utf8'; sync?: boolean }) => Promise<void>
  del: (key: string, options?: { sync?: boolean }) => Promise<void>
}

export interface BadRecord {
  key: string
  /** What was wrong with it, for the log. */
  reason: string
  /** Where it was set aside. */
  quarantinedAs: string
}

export interface LoadEachOptions<T> {
  store: RawRecordStore
  /** The key range to load; by default every key but the quarantined ones. */
  range?: { gte?: string; lt?: string }
  /** Turns the parsed JSON into a record; throws on anything it cannot use. */
  parse: (value: unknown, key: string) => T
  /** Told of each record set aside (a logger's warn, usually). */
  onBad?: (bad: BadRecord) => void
}

/** Loads every record in range that parses; sets the others aside. */
export async function loadEach<T>(options: LoadEachOptions<T>): Promise<Array<{ key: string; record: T }>> {
  const loaded: Array<{ key: string; record: T }> = []
  const bad: Array<{ key: string; text: string; reason: string }> = []
  const range = options.range ?? { lt: QUARANTINE_PREFIX }
  for await (const [key, text] of options.store.iterator({ ...range, valueEncoding: 'utf8' })) {
    if (key.startsWith(QUARANTINE_PREFIX)) continue
    try {
      loaded.push({ key, record: options.parse(JSON.parse(text), key) })
    } catch (err) {
      bad.push({ key, text, reason: reasonOf(err) })
    }
  }
  // Moved after the walk, so that the iterator never sees its own changes.
  for (const { key, text, reason } of bad) {
    const quarantinedAs = await quarantine(options.store, key, text)
    options.onBad?.({ key, reason, quarantinedAs })
  }
  return loaded
}

/** Sets one stored record aside: copied under the quarantine prefix, then removed. */
export async function quarantine(store: RawRecordStore, key: string, text: string): Promise<string> {
  const aside = QUARANTINE_PREFIX + key
  await store.put(aside, text, { valueEncoding: 'utf8', sync: true })
  await store.del(key, { sync: true })
  return aside
}

function reasonOf(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err)
  return message.length > 300 ? `${message.slice(0, 300)}…` : message
}
