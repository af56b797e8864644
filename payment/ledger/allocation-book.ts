// Allocations: budgets the requester reserves for what it will accept. A new
// one (or a raised one) must be covered by the token balance minus what other
// live allocations still hold; every accepted amount is spent from one, and
// none is spent beyond what remains. Released by hand or at its timeout.
import type { Clock } from '../../net/index.ts'
import { PaymentError } from '../model/payment-error.ts'
import type { Allocation } from '../model/documents.ts'
import { allocationOf } from './records.ts'
import type { StoredAllocation } from './records.ts'

export class AllocationBook {
  readonly #records = new Map<string, StoredAllocation>()
  readonly #clock: Clock

  constructor(clock: Clock) {
    this.#clock = clock
  }

  load(record: StoredAllocation): void {
    this.#records.set(record.allocationId, record)
  }

  put(record: StoredAllocation): void {
    this.#records.set(record.allocationId, record)
  }

  /** Every allocation not released, live or timed out but not yet marked so. */
  unreleased(): StoredAllocation[] {
    return [...this.#records.values()].filter(r => r.releasedAt === undefined)
  }

  isLive(record: StoredAllocation): boolean {
    return record.releasedAt === undefined && (record.timeout === undefined || record.timeout > this.#clock.now())
  }

  /** A live allocation, or NotFound / Gone. */
  live(allocationId: string): StoredAllocation {
    const record = this.#records.get(allocationId)
    if (record === undefined) throw new PaymentError('NotFound', `no allocation ${allocationId}`)
    if (!this.isLive(record)) throw new PaymentError('Gone', `allocation ${allocationId} was released`)
    return record
  }

  get(allocationId: string): Allocation {
    return allocationOf(this.live(allocationId))
  }

  list(filter: { afterTimestamp?: number | undefined; maxItems?: number | undefined } = {}): Allocation[] {
    const after = filter.afterTimestamp ?? Number.NEGATIVE_INFINITY
    return [...this.#records.values()]
      .filter(r => this.isLive(r) && r.timestamp > after)
      .sort((a, b) => a.timestamp - b.timestamp)
      .slice(0, filter.maxItems ?? Number.POSITIVE_INFINITY)
      .map(allocationOf)
  }

  /** What live allocations of `address` on `platform` still hold, but `except`. */
  reserved(platform: string, address: string, except?: string): bigint {
    let sum = 0n
    for (const record of this.#records.values()) {
      if (record.allocationId === except || !this.isLive(record)) continue
      if (record.paymentPlatform !== platform || record.address !== address) continue
      sum += allocationOf(record).remainingAmount
    }
    return sum
  }

  /** Throws Conflict unless `balance` covers `amount` besides the other live allocations. */
  checkCovered(platform: string, address: string, amount: bigint, balance: bigint, except?: string): void {
    const free = balance - this.reserved(platform, address, except)
    if (amount > free) {
      throw new PaymentError(
        'Conflict',
        `an allocation of ${amount} base units is not covered: the balance is ${balance} and other allocations hold ${balance - free} (${free > 0n ? free : 0n} free)`
      )
    }
  }

  /** The record after spending `delta` more from it; Conflict beyond its remaining amount, BadRequest on another platform. */
  spent(allocationId: string, platform: string, delta: bigint): StoredAllocation {
    const record = this.live(allocationId)
    if (record.paymentPlatform !== platform) {
      throw new PaymentError('BadRequest', `allocation ${allocationId} is for ${record.paymentPlatform}, the document for ${platform}`)
    }
    const remaining = allocationOf(record).remainingAmount
    if (delta > remaining) {
      throw new PaymentError('Conflict', `accepting needs ${delta} base units more from allocation ${allocationId}; it has ${remaining} left`)
    }
    return { ...record, spentAmount: (BigInt(record.spentAmount) + delta).toString() }
  }
}
