// The uses of each dataset, in all and by requester, counted against the
// policy's uses.max and uses.perRequester. Kept in the custody sublevel and
// held in memory, so that a decision reads them without waiting; each use is
// written (synced) before recordUse resolves.
import type { NodeId } from '../../net/kernel.ts'
import type { UsesSoFar } from './rules.ts'

/** What the counts need of a LevelDB sublevel with JSON values. */
export interface CountStore {
  batch(ops: Array<{ type: 'put'; key: string; value: number }>, options: { sync: boolean }): Promise<void>
  iterator(options?: Record<string, never>): AsyncIterable<[string, unknown]>
}

const totalKey = (dataset: string): string => `t:${dataset}`
const requesterKey = (dataset: string, requesterId: string): string => `r:${dataset}:${requesterId.toLowerCase()}`

export class UseCounts {
  readonly #db: CountStore
  readonly #counts = new Map<string, number>()
  /** Uses are counted one at a time, so that no increment is lost. */
  #queue: Promise<void> = Promise.resolve()

  constructor(db: CountStore) {
    this.#db = db
  }

  async load(): Promise<void> {
    for await (const [key, value] of this.#db.iterator()) {
      if (Number.isSafeInteger(value) && (value as number) >= 0) this.#counts.set(key, value as number)
    }
  }

  of(dataset: string, requesterId: string): UsesSoFar {
    return { total: this.#counts.get(totalKey(dataset)) ?? 0, byRequester: this.#counts.get(requesterKey(dataset, requesterId)) ?? 0 }
  }

  async record(dataset: string, requesterId: NodeId): Promise<void> {
    const next = this.#queue.then(async () => {
      const keys = [totalKey(dataset), requesterKey(dataset, requesterId)]
      const ops = keys.map(key => ({ type: 'put' as const, key, value: (this.#counts.get(key) ?? 0) + 1 }))
      await this.#db.batch(ops, { sync: true })
      for (const op of ops) this.#counts.set(op.key, op.value)
    })
    this.#queue = next.catch(() => {})
    await next
  }
}
