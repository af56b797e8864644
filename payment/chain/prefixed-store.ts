// One record store seen through a key prefix: each sender (one per key and
// network) keeps its intents and journal apart from every other sender's in
// the settlement's one slice of the database.
import type { RawRecordStore } from '../../net/index.ts'

export function prefixedStore(store: RawRecordStore, prefix: string): RawRecordStore {
  return {
    iterator: options =>
      strip(store.iterator({ ...options, gte: prefix + (options.gte ?? ''), lt: options.lt === undefined ? `${prefix}\uffff` : prefix + options.lt }), prefix),
    put: async (key, value, options) => {
      await store.put(prefix + key, value, options)
    },
    del: async (key, options) => {
      await store.del(prefix + key, options)
    }
  }
}

async function* strip(entries: AsyncIterable<[string, string]>, prefix: string): AsyncIterable<[string, string]> {
  for await (const [key, value] of entries) yield [key.slice(prefix.length), value]
}

/** The one record under `key`, as stored text, or undefined. */
export async function readRecord(store: RawRecordStore, key: string): Promise<string | undefined> {
  for await (const [found, value] of store.iterator({ gte: key, lt: `${key}\u0000`, valueEncoding: 'utf8' })) {
    if (found === key) return value
  }
  return undefined
}
