// A store that works until a write of a key matching `crashWhen`, writes it,
// then fails every call: a daemon killed just after that write.
import type { RawRecordStore } from '../../net/index.ts'

export function crashingStore(store: RawRecordStore, crashWhen: (key: string) => boolean): RawRecordStore {
  let dead = false
  const check = () => {
    if (dead) throw new Error('the daemon was killed')
  }
  return {
    iterator: options => {
      check()
      return store.iterator(options)
    },
    put: async (key, value, options) => {
      check()
      await store.put(key, value, options)
      if (crashWhen(key)) {
        dead = true
        throw new Error('the daemon was killed')
      }
    },
    del: async (key, options) => {
      check()
      await store.del(key, options)
    }
  }
}
