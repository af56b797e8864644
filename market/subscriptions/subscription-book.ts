// This node's own offers and demands: what it published, until when, and the
// queue of events (proposals, rejections, agreements) its client collects.
import { LongPollQueue } from '../../net/index.ts'
import type { MarketEvent } from '../model/api.ts'
import type { FlatProperties } from '../properties-types.ts'
import type { MarketStore } from '../store/market-store.ts'

export type SubscriptionKind = 'offer' | 'demand'

export interface SubscriptionRecord {
  kind: SubscriptionKind
  id: string
  properties: FlatProperties
  constraints: string
  timestamp: string
  expiresAt: number
  /** A demand spread to providers (offers always are). */
  broadcast: boolean
}

export class SubscriptionBook {
  readonly #store: MarketStore
  readonly #records = new Map<string, SubscriptionRecord>()
  readonly #queues = new Map<string, LongPollQueue<MarketEvent>>()
  /** Ids of subscriptions that ended, so a second unsubscribe says Gone, not NotFound. */
  readonly #ended = new Set<string>()

  constructor (store: MarketStore) {
    this.#store = store
  }

  /** Loads the unexpired subscriptions kept across a restart; drops the expired. */
  async load (now: number): Promise<SubscriptionRecord[]> {
    const live: SubscriptionRecord[] = []
    for (const kind of ['offer', 'demand'] as const) {
      for (const record of await this.#store.list<SubscriptionRecord>(kind)) {
        if (record.expiresAt <= now) {
          await this.#store.del(kind, record.id)
          continue
        }
        this.#remember(record)
        live.push(record)
      }
    }
    return live
  }

  async add (record: SubscriptionRecord): Promise<void> {
    await this.#store.put(record.kind, record.id, record)
    this.#remember(record)
  }

  get (kind: SubscriptionKind, id: string, now = Date.now()): SubscriptionRecord | undefined {
    const record = this.#records.get(id)
    if (record === undefined || record.kind !== kind || record.expiresAt <= now) return undefined
    return record
  }

  list (kind: SubscriptionKind, now = Date.now()): SubscriptionRecord[] {
    return [...this.#records.values()].filter(r => r.kind === kind && r.expiresAt > now)
  }

  hasEnded (id: string): boolean {
    return this.#ended.has(id)
  }

  queue (id: string): LongPollQueue<MarketEvent> | undefined {
    return this.#queues.get(id)
  }

  /** Removes a subscription; pending collects on it end. Returns false if unknown. */
  async remove (id: string): Promise<SubscriptionRecord | undefined> {
    const record = this.#records.get(id)
    if (record === undefined) return undefined
    this.#records.delete(id)
    this.#ended.add(id)
    if (this.#ended.size > 10_000) this.#ended.delete(this.#ended.values().next().value as string)
    this.#queues.get(id)?.close()
    this.#queues.delete(id)
    await this.#store.del(record.kind, id)
    return record
  }

  /** Subscriptions whose time ran out, removed. */
  async sweep (now: number): Promise<SubscriptionRecord[]> {
    const expired = [...this.#records.values()].filter(r => r.expiresAt <= now)
    for (const record of expired) await this.remove(record.id)
    return expired
  }

  #remember (record: SubscriptionRecord): void {
    this.#records.set(record.id, record)
    if (!this.#queues.has(record.id)) this.#queues.set(record.id, new LongPollQueue<MarketEvent>())
  }
}
