// A key range of a store seen as a store of its own: each network keeps its
// transaction journal and deposit records apart, as one address has the same
// nonces and may have the same deposit ids on two chains.
import type { RawRecordStore } from '../../net/index.ts'

const END = '\uffff'

export function prefixedStore(store: RawRecordStore, prefix: string): RawRecordStore {
  return {
    iterator: options => {
      const inner = store.iterator({
        gte: prefix + (options.gte ?? ''),
        lt: options.lt === undefined ? prefix + END : prefix + options.lt,
        valueEncoding: 'utf8'
      })
      return (async function* () {
        for await (const [key, value] of inner) yield [key.slice(prefix.length), value] as [string, string]
      })()
    },
    put: (key, value, options) => store.put(prefix + key, value, options),
    del: (key, options) => store.del(prefix + key, options)
  }
}
