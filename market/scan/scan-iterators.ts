// Market scans (POST /scan): a client iterates over the offers or demands the
// node knows, optionally filtered by a constraint, and then over new arrivals.
// An iterator nobody reads for its timeout is dropped.
import { ChangeSignal } from '../../net/index.ts'
import type { Clock } from '../../net/index.ts'
import { MarketError } from '../errors.ts'
import { newMarketId } from '../ids.ts'
import type { Demand, Offer } from '../model/api.ts'

export type ScanType = 'offer' | 'demand'
type Item = Offer | Demand

/** What the node knows of each type: ids cheaply, and the API item of one id when asked. */
export interface ScanSource {
  ids: (type: ScanType) => Iterable<string>
  /** Undefined when the id is no longer known (or expired). */
  item: (type: ScanType, id: string) => Item | undefined
}

interface Iterator {
  type: ScanType
  /** Who began it (an app-key's id): each owner gets a share of the slots. */
  owner: string
  accepts: (item: Item) => boolean
  seen: Set<string>
  timeoutMs: number
  lastUsed: number
  /** Notified when an item it accepts arrives, or when the scan ends. */
  changed: ChangeSignal
  /** Collects waiting now: the sweep leaves such an iterator alone. */
  waiting: number
}

export const SCAN_LIMITS = Object.freeze({
  /** Open scans on the node. */
  maxScans: 100,
  /** Open scans of one owner, so one client cannot take every slot. */
  maxScansPerOwner: 20,
  /** Longest an unread iterator lives. */
  maxTimeoutMs: 10 * 60_000
})

export class ScanIterators {
  readonly #iterators = new Map<string, Iterator>()
  readonly #source: ScanSource
  readonly #clock: Clock

  constructor(source: ScanSource, clock: Clock) {
    this.#source = source
    this.#clock = clock
  }

  begin(type: ScanType, accepts: (item: Item) => boolean, timeoutMs: number, owner: string): string {
    this.sweep(this.#clock.now())
    if (this.#iterators.size >= SCAN_LIMITS.maxScans)
      throw new MarketError('Conflict', `too many open scans on this node (${SCAN_LIMITS.maxScans}); end some first`)
    let owned = 0
    for (const iterator of this.#iterators.values()) if (iterator.owner === owner) owned++
    if (owned >= SCAN_LIMITS.maxScansPerOwner)
      throw new MarketError('Conflict', `too many open scans of this app-key (${SCAN_LIMITS.maxScansPerOwner}); end some first`)
    const id = newMarketId()
    this.#iterators.set(id, {
      type,
      owner,
      accepts,
      seen: new Set(),
      timeoutMs: Math.min(timeoutMs, SCAN_LIMITS.maxTimeoutMs),
      lastUsed: this.#clock.now(),
      changed: new ChangeSignal(this.#clock),
      waiting: 0
    })
    return id
  }

  /** Items not yet returned by this iterator, waiting up to `waitMs` for one. */
  async collect(id: string, options: { waitMs: number; max: number; peerId?: string; signal?: AbortSignal }): Promise<Item[]> {
    const iterator = this.#get(id)
    const deadline = this.#clock.now() + options.waitMs
    const peerId = options.peerId?.toLowerCase()
    for (;;) {
      iterator.lastUsed = this.#clock.now()
      const fresh = this.#fresh(iterator, options.max, peerId)
      const left = deadline - this.#clock.now()
      if (fresh.length > 0 || left <= 0 || options.signal?.aborted === true) return fresh
      iterator.waiting++
      try {
        await iterator.changed.wait(left, options.signal)
      } finally {
        iterator.waiting--
      }
      if (!this.#iterators.has(id)) throw new MarketError('NotFound', `scan ${id} ended`)
    }
  }

  /** `item` is newly known: wake the waiting iterators that would return it. */
  notify(type: ScanType, item: Item): void {
    for (const iterator of this.#iterators.values()) {
      if (iterator.type === type && iterator.waiting > 0 && iterator.accepts(item)) iterator.changed.notify()
    }
  }

  end(id: string): void {
    const iterator = this.#get(id)
    this.#iterators.delete(id)
    iterator.changed.notify()
  }

  sweep(now: number): void {
    for (const [id, iterator] of this.#iterators) {
      if (iterator.waiting === 0 && now - iterator.lastUsed > iterator.timeoutMs) this.#iterators.delete(id)
    }
  }

  /** Up to `max` unseen items that pass the filters, marked seen. Seen ids are skipped before any item is built. */
  #fresh(iterator: Iterator, max: number, peerId: string | undefined): Item[] {
    const fresh: Item[] = []
    for (const id of this.#source.ids(iterator.type)) {
      if (fresh.length >= max) break
      if (iterator.seen.has(id)) continue
      const item = this.#source.item(iterator.type, id)
      if (item === undefined) continue
      if (peerId !== undefined && issuerOf(item).toLowerCase() !== peerId) continue
      if (!iterator.accepts(item)) continue
      fresh.push(item)
      iterator.seen.add(id)
    }
    return fresh
  }

  #get(id: string): Iterator {
    const iterator = this.#iterators.get(id)
    if (iterator === undefined) throw new MarketError('NotFound', `no scan ${id}`)
    return iterator
  }
}

function issuerOf(item: Item): string {
  return 'providerId' in item ? item.providerId : item.requestorId
}
