// Keys are free, addresses are not: what the nodes behind one IP address may
// send us is budgeted together (a token bucket for broadcast messages, one for
// requests), so a flooder that takes a fresh key whenever it is banned still
// has one budget. An address whose nodes keep getting banned, or whose nodes
// together lose as much score as several bans would cost, is refused for a
// cool-down, at the connection gate, before any handshake costs us crypto.
import { TokenBucket } from './token-bucket.ts'
import type { Clock } from './clock.ts'

export interface AddressGuardOptions {
  /** Broadcast messages a second from all the nodes of one address, with its burst. */
  addressMessagesPerSecond: number
  addressMessageBurst: number
  /** Requests a second from all the nodes of one address, with its burst. */
  addressRequestsPerSecond: number
  addressRequestBurst: number
  /** Nodes of one address banned within banMs that get the address refused for banMs. */
  addressBanAfter: number
  /** The score (the sum of its nodes' penalties, healing as theirs do) at which an address is refused. */
  addressBanThreshold: number
  recoveryPerSecond: number
  banMs: number
  /** Addresses tracked at most; the least recently seen go first. */
  maxTracked: number
}

interface AddressRecord {
  messages: TokenBucket
  requests: TokenBucket
  /** When its nodes were banned (ms epoch), oldest first, within banMs. */
  bans: number[]
  bannedUntil: number
  score: number
  scoredAt: number
}

export class AddressGuard {
  readonly #options: AddressGuardOptions
  readonly #clock: Clock
  readonly #addresses = new Map<string, AddressRecord>()

  constructor(options: AddressGuardOptions, clock: Clock) {
    if (!(options.addressBanAfter >= 1)) throw new RangeError('addressBanAfter must be at least 1')
    if (!(options.addressBanThreshold < 0)) throw new RangeError('addressBanThreshold must be negative')
    this.#options = options
    this.#clock = clock
    // Constructing the buckets once checks the rates at start.
    void this.#fresh(clock.now())
  }

  /** Whether the address may send one more message now (takes nothing). */
  hasMessage(address: string): boolean {
    return this.#record(address).messages.has(this.#clock.now())
  }

  takeMessage(address: string): void {
    this.#record(address).messages.take(this.#clock.now())
  }

  hasRequest(address: string): boolean {
    return this.#record(address).requests.has(this.#clock.now())
  }

  takeRequest(address: string): void {
    this.#record(address).requests.take(this.#clock.now())
  }

  /** Counts a ban of one of the address's nodes; true when the address is now refused. */
  nodeBanned(address: string): boolean {
    const record = this.#record(address)
    const now = this.#clock.now()
    record.bans = record.bans.filter(at => at > now - this.#options.banMs)
    record.bans.push(now)
    if (record.bans.length < this.#options.addressBanAfter) return false
    return this.#refuse(record, now)
  }

  /** Counts a penalty of one of the address's nodes; true when the address is now refused. */
  penalise(address: string, points: number): boolean {
    const record = this.#record(address)
    const now = this.#clock.now()
    if (record.bannedUntil > now) return false
    record.score = Math.min(0, record.score + ((now - record.scoredAt) / 1000) * this.#options.recoveryPerSecond) - points
    record.scoredAt = now
    if (record.score > this.#options.addressBanThreshold) return false
    return this.#refuse(record, now)
  }

  #refuse(record: AddressRecord, now: number): boolean {
    if (record.bannedUntil > now) return false
    record.bannedUntil = now + this.#options.banMs
    // A served cool-down wipes the slate.
    record.bans = []
    record.score = 0
    return true
  }

  isRefused(address: string): boolean {
    const record = this.#addresses.get(address)
    return record !== undefined && record.bannedUntil > this.#clock.now()
  }

  #record(address: string): AddressRecord {
    let record = this.#addresses.get(address)
    if (record !== undefined) {
      this.#addresses.delete(address)
      this.#addresses.set(address, record)
      return record
    }
    record = this.#fresh(this.#clock.now())
    this.#addresses.set(address, record)
    if (this.#addresses.size > this.#options.maxTracked) this.#forgetOne()
    return record
  }

  /** The least recently seen address that is not refused goes. */
  #forgetOne(): void {
    const now = this.#clock.now()
    for (const [address, record] of this.#addresses) {
      if (record.bannedUntil > now) continue
      this.#addresses.delete(address)
      return
    }
  }

  #fresh(now: number): AddressRecord {
    const o = this.#options
    return {
      messages: new TokenBucket(o.addressMessagesPerSecond, o.addressMessageBurst, now),
      requests: new TokenBucket(o.addressRequestsPerSecond, o.addressRequestBurst, now),
      bans: [],
      bannedUntil: 0,
      score: 0,
      scoredAt: now
    }
  }
}
