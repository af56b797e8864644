// Keys are free, addresses are not: what the nodes behind one IP address may
// send us is budgeted together (a token bucket for broadcast messages, one for
// requests), so a flooder that takes a fresh key whenever it is banned still
// has one budget. An address whose nodes keep getting banned is refused for a
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
}

export class AddressGuard {
  readonly #options: AddressGuardOptions
  readonly #clock: Clock
  readonly #addresses = new Map<string, AddressRecord>()

  constructor(options: AddressGuardOptions, clock: Clock) {
    if (!(options.addressBanAfter >= 1)) throw new RangeError('addressBanAfter must be at least 1')
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
    record.bannedUntil = now + this.#options.banMs
    record.bans = []
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
      bannedUntil: 0
    }
  }
}
