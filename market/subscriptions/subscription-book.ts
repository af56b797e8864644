// This node's own offers and demands: what it published, until when, and the
// queue of events (proposals, rejections, agreements) its client collects.
import { LongPollQueue } from '../../net/index.ts'
import type { Clock } from '../../net/index.ts'
import type { MarketEvent } from '../model/api.ts'
import type { FlatProperties } from '../properties-types.ts'
import type { MarketStore } from '../store/market-store.ts'
import { storedSubscription } from '../store/record-checks.ts'

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

/** A live subscription and the events its client has yet to collect. */
interface Held {
  record: SubscriptionRecord
  queue: LongPollQueue<MarketEvent>
}

export class SubscriptionBook {
  readonly #store: MarketStore
  readonly #held = new Map<string, Held>()
  /** Ids of subscriptions that ended, so a second unsubscribe says Gone, not NotFound. */
  readonly #ended = new Set<string>()
  readonly #clock: Clock

  constructor(store: MarketStore, clock: Clock) {
    this.#store = store
    this.#clock = clock
  }

  /** Loads the unexpired subscriptions kept across a restart; drops the expired. */
  async load(now: number): Promise<SubscriptionRecord[]> {
    const live: SubscriptionRecord[] = []
    for (const kind of ['offer', 'demand'] as const) {
      for (const record of await this.#store.list<SubscriptionRecord>(kind, storedSubscription)) {
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

  /** Writes it durably (a client is told it exists), then holds it. */
  async add(record: SubscriptionRecord): Promise<void> {
    await this.#store.put(record.kind, record.id, record)
    this.#remember(record)
  }

  get(kind: SubscriptionKind, id: string, now = this.#clock.now()): SubscriptionRecord | undefined {
    const record = this.#held.get(id)?.record
    if (record === undefined || record.kind !== kind || record.expiresAt <= now) return undefined
    return record
  }

  /** Whether a subscription of either kind is live. */
  has(id: string, now = this.#clock.now()): boolean {
    const record = this.#held.get(id)?.record
    return record !== undefined && record.expiresAt > now
  }

  list(kind: SubscriptionKind, now = this.#clock.now()): SubscriptionRecord[] {
    const records: SubscriptionRecord[] = []
    for (const { record } of this.#held.values()) if (record.kind === kind && record.expiresAt > now) records.push(record)
    return records
  }

  /** Live subscriptions of both kinds. */
  count(now = this.#clock.now()): number {
    let live = 0
    for (const { record } of this.#held.values()) if (record.expiresAt > now) live++
    return live
  }

  hasEnded(id: string): boolean {
    return this.#ended.has(id)
  }

  queue(id: string): LongPollQueue<MarketEvent> | undefined {
    return this.#held.get(id)?.queue
  }

  /** Removes a subscription; pending collects on it end. Returns undefined if unknown. */
  async remove(id: string): Promise<SubscriptionRecord | undefined> {
    const held = this.#held.get(id)
    if (held === undefined) return undefined
    this.#held.delete(id)
    this.#ended.add(id)
    if (this.#ended.size > 10_000) this.#ended.delete(this.#ended.values().next().value as string)
    held.queue.close()
    await this.#store.del(held.record.kind, id)
    return held.record
  }

  /** Sets a stored subscription aside, as if it were a bad record (it could not be made to work). */
  async setAside(record: SubscriptionRecord, reason: string): Promise<void> {
    this.#held.get(record.id)?.queue.close()
    this.#held.delete(record.id)
    await this.#store.setAside(record.kind, record.id, reason)
  }

  /** Subscriptions whose time ran out, removed. */
  async sweep(now: number): Promise<SubscriptionRecord[]> {
    const expired: SubscriptionRecord[] = []
    for (const { record } of this.#held.values()) if (record.expiresAt <= now) expired.push(record)
    for (const record of expired) await this.remove(record.id)
    return expired
  }

  #remember(record: SubscriptionRecord): void {
    // A record written again keeps its queue, and the events in it.
    const queue = this.#held.get(record.id)?.queue ?? new LongPollQueue<MarketEvent>(undefined, this.#clock)
    this.#held.set(record.id, { record, queue })
  }
}
