// Peers are untrusted. The guard rate-limits what each node sends us (a token
// bucket for broadcast messages, another for requests), and what all the nodes
// of one IP address send together (keys are free, addresses are not); it keeps
// a score that violations push down; at the threshold the node is banned for a
// cool-down, and the host disconnects and refuses it. An address whose nodes
// keep getting banned is refused as a whole. The counters are for tests and
// metrics.
import { TypedEventEmitter } from '@libp2p/interface'
import { AddressGuard } from './address-guard.ts'
import { TokenBucket } from './token-bucket.ts'
import { systemClock } from './clock.ts'
import type { AddressGuardOptions } from './address-guard.ts'
import type { Clock } from './clock.ts'
import type { NodeId } from '../identity/node-id.ts'

/** What a peer can do wrong; the one list of kinds (the type and the zero counters come from it). */
const VIOLATION_KINDS = [
  // not JSON, wrong shape, schema-invalid
  'malformed',
  // a signature that does not verify, or a signer that may not do this
  'forged',
  // a frame or message larger than allowed
  'oversized',
  // more messages or requests than the rate limit allows
  'flood',
  // anything else against the protocol (wrong version, a reply never asked for)
  'protocol'
] as const

export type ViolationKind = (typeof VIOLATION_KINDS)[number]

export interface PeerGuardOptions extends Omit<AddressGuardOptions, 'banMs' | 'maxTracked' | 'recoveryPerSecond'> {
  messagesPerSecond: number
  messageBurst: number
  requestsPerSecond: number
  requestBurst: number
  /** Score lost per violation of each kind. */
  penalties: Record<ViolationKind, number>
  /** A node whose score falls to this (negative) value is banned. */
  banThreshold: number
  banMs: number
  /** How fast a negative score heals back towards zero. */
  recoveryPerSecond: number
  /** Nodes tracked at most; the least recently seen clean ones are forgotten first. */
  maxTracked: number
}

/** Messages beyond the rate cost score at most once in this time (see allowMessage). */
export const MESSAGE_FLOOD_SCORED_EVERY_MS = 1_000

export const DEFAULT_PEER_GUARD_OPTIONS: PeerGuardOptions = {
  messagesPerSecond: 100,
  messageBurst: 300,
  // A requester driving many small tasks on one provider makes a few requests
  // per task; this bounds a flood, not honest work.
  requestsPerSecond: 200,
  requestBurst: 400,
  // Every node of one address together: a few honest nodes behind one NAT (or
  // on one machine) fit, a flooder with a fresh key per burst does not get more.
  addressMessagesPerSecond: 300,
  addressMessageBurst: 900,
  addressRequestsPerSecond: 400,
  addressRequestBurst: 800,
  addressBanAfter: 5,
  // Three bans' worth of penalties from the nodes of one address, however many keys they took.
  addressBanThreshold: -300,
  penalties: { malformed: 10, forged: 25, oversized: 10, flood: 1, protocol: 5 },
  banThreshold: -100,
  banMs: 10 * 60_000,
  recoveryPerSecond: 0.2,
  maxTracked: 10_000
}

export interface PeerStats {
  score: number
  violations: Record<ViolationKind, number>
  droppedMessages: number
  droppedRequests: number
  /** ms epoch the ban ends, when banned now. */
  bannedUntil?: number
}

export interface PeerBannedDetail {
  nodeId: NodeId
  until: number
  /** The violation that crossed the threshold. */
  reason: ViolationKind
}

export interface AddressBannedDetail {
  address: string
  until: number
}

export interface PeerGuardEvents {
  'peer:banned': CustomEvent<PeerBannedDetail>
  /** Enough nodes of one address were banned: the address is refused until `until`. */
  'address:banned': CustomEvent<AddressBannedDetail>
}

interface PeerRecord {
  score: number
  scoredAt: number
  violations: Record<ViolationKind, number>
  droppedMessages: number
  droppedRequests: number
  bannedUntil: number
  messages: TokenBucket
  requests: TokenBucket
  /** When a message beyond the rate last cost it score (ms epoch). */
  messageFloodAt: number
  /** The IP address it was last seen connecting from. */
  address?: string
}

export class PeerGuard extends TypedEventEmitter<PeerGuardEvents> {
  readonly options: PeerGuardOptions
  readonly #peers = new Map<NodeId, PeerRecord>()
  readonly #clock: Clock
  readonly #addresses: AddressGuard

  constructor(options: Partial<PeerGuardOptions> = {}, clock: Clock = systemClock) {
    super()
    this.#clock = clock
    this.options = {
      ...DEFAULT_PEER_GUARD_OPTIONS,
      ...options,
      penalties: { ...DEFAULT_PEER_GUARD_OPTIONS.penalties, ...options.penalties }
    }
    if (!(this.options.banThreshold < 0)) throw new RangeError('banThreshold must be negative')
    this.#addresses = new AddressGuard({ ...this.options, maxTracked: this.options.maxTracked }, clock)
  }

  /** Where a node connects from: from now on it shares that address's budgets. */
  bindAddress(nodeId: NodeId, address: string): void {
    this.#record(nodeId).address = address
  }

  /** Whether connections from this IP address are refused (too many of its nodes banned). */
  isAddressRefused(address: string): boolean {
    return this.#addresses.isRefused(address)
  }

  /**
   * Takes a token for one incoming broadcast message; false means drop it.
   * Beyond the rate every message is dropped, but the node loses score once
   * a second, not once a message: an honest relay that forwards a burst of
   * the network's offers (a node catching up, a market coming online) is over
   * the rate for a while through no fault of its own, while a node that keeps
   * it up is still banned, after banThreshold / (flood penalty − recovery)
   * seconds (125 s by default).
   */
  allowMessage(nodeId: NodeId): boolean {
    const record = this.#record(nodeId)
    if (this.#banned(record)) return false
    const now = this.#clock.now()
    if (!record.messages.has(now)) {
      record.droppedMessages++
      if (now - record.messageFloodAt >= MESSAGE_FLOOD_SCORED_EVERY_MS) {
        record.messageFloodAt = now
        this.#penalise(nodeId, record, 'flood')
      }
      return false
    }
    // Over its address's budget: dropped, but no fault of this node alone.
    if (record.address !== undefined && !this.#addresses.hasMessage(record.address)) {
      record.droppedMessages++
      return false
    }
    record.messages.take(now)
    if (record.address !== undefined) this.#addresses.takeMessage(record.address)
    return true
  }

  /** Takes a token for one incoming request; false means refuse it. */
  allowRequest(nodeId: NodeId): boolean {
    const record = this.#record(nodeId)
    if (this.#banned(record)) return false
    const now = this.#clock.now()
    if (!record.requests.has(now)) {
      record.droppedRequests++
      this.#penalise(nodeId, record, 'flood')
      return false
    }
    if (record.address !== undefined && !this.#addresses.hasRequest(record.address)) {
      record.droppedRequests++
      return false
    }
    record.requests.take(now)
    if (record.address !== undefined) this.#addresses.takeRequest(record.address)
    return true
  }

  /** Counts a violation against a node, and bans it if its score falls to the threshold. */
  violation(nodeId: NodeId, kind: ViolationKind): void {
    this.#penalise(nodeId, this.#record(nodeId), kind)
  }

  isBanned(nodeId: NodeId): boolean {
    const record = this.#peers.get(nodeId)
    return record !== undefined && this.#banned(record)
  }

  /** The current score: 0 for a clean node, down to banThreshold. */
  scoreOf(nodeId: NodeId): number {
    const record = this.#peers.get(nodeId)
    if (record === undefined) return 0
    this.#heal(record, this.#clock.now())
    return record.score
  }

  stats(nodeId: NodeId): PeerStats {
    const record = this.#peers.get(nodeId)
    if (record === undefined) {
      return { score: 0, violations: zeroViolations(), droppedMessages: 0, droppedRequests: 0 }
    }
    this.#heal(record, this.#clock.now())
    const stats: PeerStats = {
      score: record.score,
      violations: { ...record.violations },
      droppedMessages: record.droppedMessages,
      droppedRequests: record.droppedRequests
    }
    if (this.#banned(record)) stats.bannedUntil = record.bannedUntil
    return stats
  }

  #record(nodeId: NodeId): PeerRecord {
    let record = this.#peers.get(nodeId)
    if (record !== undefined) {
      // Move to the back: the map's order is least recently seen first.
      this.#peers.delete(nodeId)
      this.#peers.set(nodeId, record)
      return record
    }
    const now = this.#clock.now()
    record = {
      score: 0,
      scoredAt: now,
      violations: zeroViolations(),
      droppedMessages: 0,
      droppedRequests: 0,
      bannedUntil: 0,
      messages: new TokenBucket(this.options.messagesPerSecond, this.options.messageBurst, now),
      requests: new TokenBucket(this.options.requestsPerSecond, this.options.requestBurst, now),
      messageFloodAt: Number.NEGATIVE_INFINITY
    }
    this.#peers.set(nodeId, record)
    this.#forgetOldest(nodeId)
    return record
  }

  /**
   * Beyond maxTracked, forgets the least recently seen clean nodes first, so a
   * node near a ban cannot wipe its record by making us meet many others;
   * only when there are too few clean ones, any node not banned.
   */
  #forgetOldest(newcomer: NodeId): void {
    if (this.#peers.size <= this.options.maxTracked) return
    const now = this.#clock.now()
    for (const [nodeId, record] of this.#peers) {
      // The newcomer is clean by definition, and its caller holds its record.
      if (nodeId === newcomer || !this.#clean(record, now)) continue
      this.#peers.delete(nodeId)
      if (this.#peers.size <= this.options.maxTracked) return
    }
    for (const [nodeId, record] of this.#peers) {
      if (this.#banned(record)) continue
      this.#peers.delete(nodeId)
      if (this.#peers.size <= this.options.maxTracked) return
    }
  }

  /** Nothing to remember: no score, not banned, and both buckets full again. */
  #clean(record: PeerRecord, now: number): boolean {
    this.#heal(record, now)
    return record.score === 0 && !this.#banned(record) && record.messages.isFull(now) && record.requests.isFull(now)
  }

  #penalise(nodeId: NodeId, record: PeerRecord, kind: ViolationKind): void {
    const now = this.#clock.now()
    this.#heal(record, now)
    record.violations[kind]++
    record.score -= this.options.penalties[kind]
    if (record.address !== undefined && this.#addresses.penalise(record.address, this.options.penalties[kind])) this.#addressRefused(record.address, now)
    if (record.score > this.options.banThreshold || this.#banned(record)) return
    record.bannedUntil = now + this.options.banMs
    // A served ban wipes the slate: the node comes back at zero.
    record.score = 0
    this.safeDispatchEvent<PeerBannedDetail>('peer:banned', { detail: { nodeId, until: record.bannedUntil, reason: kind } })
    if (record.address !== undefined && this.#addresses.nodeBanned(record.address)) this.#addressRefused(record.address, now)
  }

  #addressRefused(address: string, now: number): void {
    this.safeDispatchEvent<AddressBannedDetail>('address:banned', { detail: { address, until: now + this.options.banMs } })
  }

  #heal(record: PeerRecord, now: number): void {
    if (record.score < 0) {
      record.score = Math.min(0, record.score + ((now - record.scoredAt) / 1000) * this.options.recoveryPerSecond)
    }
    record.scoredAt = now
  }

  #banned(record: PeerRecord): boolean {
    return record.bannedUntil > this.#clock.now()
  }
}

function zeroViolations(): Record<ViolationKind, number> {
  return Object.fromEntries(VIOLATION_KINDS.map(kind => [kind, 0])) as Record<ViolationKind, number>
}
