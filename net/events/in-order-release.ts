// Dated entries (events a client pages through by date) are given their dates
// when their write is staged, but the writes of unrelated changes land in any
// order. Released in the order they were staged, a client that saw one entry
// never misses an earlier one whose write landed later. Entries a log no
// longer keeps are forgotten here and deleted by the next staged write.

/**
 * One staged entry: `deletes` are the store keys its write also deletes;
 * `commit` once the write is durable, `abandon` if it failed (the deletes
 * then go with a later write).
 */
export interface ReleaseTicket {
  deletes: string[]
  commit: () => void
  abandon: () => void
}

interface Pending<T> {
  entry: T
  state: 'pending' | 'committed' | 'abandoned'
}

export class InOrderRelease<T> {
  readonly #pending: Array<Pending<T>> = []
  readonly #release: (entries: T[]) => void
  /** Keys of entries no longer kept, not yet handed to a write. */
  #forgotten: string[] = []

  /** `release` takes each run of committed entries, oldest first, as soon as none staged before them is still pending. */
  constructor(release: (entries: T[]) => void) {
    this.#release = release
  }

  /** The store key of an entry no longer kept (trimmed, or beyond those kept at load): the next staged write deletes it. */
  forget(key: string): void {
    this.#forgotten.push(key)
  }

  stage(entry: T): ReleaseTicket {
    const pending: Pending<T> = { entry, state: 'pending' }
    this.#pending.push(pending)
    const deletes = this.#forgotten
    this.#forgotten = []
    const settle = (state: 'committed' | 'abandoned'): void => {
      if (pending.state !== 'pending') return
      pending.state = state
      if (state === 'abandoned') this.#forgotten.push(...deletes)
      this.#flush()
    }
    return { deletes, commit: () => settle('committed'), abandon: () => settle('abandoned') }
  }

  #flush(): void {
    const released: T[] = []
    while (this.#pending[0] !== undefined && this.#pending[0].state !== 'pending') {
      const next = this.#pending.shift()
      if (next?.state === 'committed') released.push(next.entry)
    }
    if (released.length > 0) this.#release(released)
  }
}
