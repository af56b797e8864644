// Dated entries (events a client pages through by date) are given their dates
// when their write is staged, but the writes of unrelated changes land in any
// order. Released in the order they were staged, a client that saw one entry
// never misses an earlier one whose write landed later.

/** One staged entry: `commit` once its write is durable, `abandon` if the write failed. */
export interface ReleaseTicket {
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

  /** `release` takes each run of committed entries, oldest first, as soon as none staged before them is still pending. */
  constructor(release: (entries: T[]) => void) {
    this.#release = release
  }

  stage(entry: T): ReleaseTicket {
    const pending: Pending<T> = { entry, state: 'pending' }
    this.#pending.push(pending)
    const settle = (state: 'committed' | 'abandoned'): void => {
      if (pending.state !== 'pending') return
      pending.state = state
      this.#flush()
    }
    return { commit: () => settle('committed'), abandon: () => settle('abandoned') }
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
