// The summary keys of a store in sorted order, kept up to date on every
// change, so that paging a sync summary never sorts the whole store again.

export class SortedKeys {
  #keys: string[] = []

  get size(): number {
    return this.#keys.length
  }

  has(key: string): boolean {
    return this.#keys[this.#firstAbove(key, true)] === key
  }

  /** Adds a key that is not there yet. */
  insert(key: string): void {
    this.#keys.splice(this.#firstAbove(key, true), 0, key)
  }

  delete(key: string): void {
    const at = this.#firstAbove(key, true)
    if (this.#keys[at] === key) this.#keys.splice(at, 1)
  }

  /** Removes many keys at once: one pass, where one splice each would move the rest every time. */
  deleteAll(keys: ReadonlySet<string>): void {
    if (keys.size === 0) return
    if (keys.size === 1) {
      for (const key of keys) this.delete(key)
      return
    }
    this.#keys = this.#keys.filter(key => !keys.has(key))
  }

  /** Up to `limit` keys after the cursor (all from the start without one), and whether more follow. */
  page(after: string | undefined, limit: number): { keys: string[]; more: boolean } {
    const start = after === undefined ? 0 : this.#firstAbove(after, false)
    return { keys: this.#keys.slice(start, start + limit), more: start + limit < this.#keys.length }
  }

  /** Index of the first key >= `key` (inclusive) or > `key` (binary search). */
  #firstAbove(key: string, inclusive: boolean): number {
    let low = 0
    let high = this.#keys.length
    while (low < high) {
      const middle = (low + high) >>> 1
      const other = this.#keys[middle] as string
      if (inclusive ? other < key : other <= key) low = middle + 1
      else high = middle
    }
    return low
  }
}
