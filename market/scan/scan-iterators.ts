// Market scans (POST /scan): a client iterates over the offers or demands the
// node knows, optionally filtered by a constraint, and then over new arrivals.
// An iterator nobody reads for its timeout is dropped.
import { MarketError } from '../errors.ts'
import { newMarketId } from '../ids.ts'
import type { Demand, Offer } from '../model/api.ts'

export type ScanType = 'offer' | 'demand'
type Item = Offer | Demand

interface Iterator {
  type: ScanType
  accepts: (item: Item) => boolean
  seen: Set<string>
  timeoutMs: number
  lastUsed: number
  wake?: () => void
}

export const MAX_SCANS = 100

export class ScanIterators {
  readonly #iterators = new Map<string, Iterator>()
  readonly #source: (type: ScanType) => Item[]

  /** `source` lists what the node knows now, offers or demands in API shape. */
  constructor (source: (type: ScanType) => Item[]) {
    this.#source = source
  }

  begin (type: ScanType, accepts: (item: Item) => boolean, timeoutMs: number): string {
    this.sweep(Date.now())
    if (this.#iterators.size >= MAX_SCANS) throw new MarketError('Conflict', `too many open scans (${MAX_SCANS}); end some first`)
    const id = newMarketId()
    this.#iterators.set(id, { type, accepts, seen: new Set(), timeoutMs, lastUsed: Date.now() })
    return id
  }

  /** Items not yet returned by this iterator, waiting up to `waitMs` for one. */
  async collect (id: string, options: { waitMs: number, max: number, peerId?: string, signal?: AbortSignal }): Promise<Item[]> {
    const iterator = this.#get(id)
    const deadline = Date.now() + options.waitMs
    for (;;) {
      iterator.lastUsed = Date.now()
      const fresh = this.#source(iterator.type)
        .filter(item => !iterator.seen.has(idOf(item)))
        .filter(item => options.peerId === undefined || issuerOf(item).toLowerCase() === options.peerId.toLowerCase())
        .filter(iterator.accepts)
        .slice(0, options.max)
      for (const item of fresh) iterator.seen.add(idOf(item))
      const left = deadline - Date.now()
      if (fresh.length > 0 || left <= 0 || options.signal?.aborted === true) return fresh
      await new Promise<void>(resolve => {
        const done = (): void => { clearTimeout(timer); options.signal?.removeEventListener('abort', done); delete iterator.wake; resolve() }
        const timer = setTimeout(done, left)
        options.signal?.addEventListener('abort', done, { once: true })
        iterator.wake = done
      })
      if (!this.#iterators.has(id)) throw new MarketError('NotFound', `scan ${id} ended`)
    }
  }

  /** Something new is known: wake the waiting iterators of that type. */
  notify (type: ScanType): void {
    for (const iterator of this.#iterators.values()) if (iterator.type === type) iterator.wake?.()
  }

  end (id: string): void {
    const iterator = this.#get(id)
    this.#iterators.delete(id)
    iterator.wake?.()
  }

  sweep (now: number): void {
    for (const [id, iterator] of this.#iterators) {
      if (iterator.wake === undefined && now - iterator.lastUsed > iterator.timeoutMs) this.#iterators.delete(id)
    }
  }

  #get (id: string): Iterator {
    const iterator = this.#iterators.get(id)
    if (iterator === undefined) throw new MarketError('NotFound', `no scan ${id}`)
    return iterator
  }
}

function idOf (item: Item): string {
  return 'offerId' in item ? item.offerId : item.demandId
}

function issuerOf (item: Item): string {
  return 'providerId' in item ? item.providerId : item.requestorId
}
