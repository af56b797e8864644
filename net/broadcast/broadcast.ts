// Signed entries of one topic, spread to every node: gossip for speed,
// anti-entropy sync (on connect and now and then with a random peer) for
// completeness. Gossip carries announcements (the hashes of entries), and a
// node pulls each body it lacks from the peer that announced it before it
// passes the announcement on (announcement.ts). A retraction is pushed
// whole by its signer; what is pushed whole is taken in the same way and
// announced, not forwarded. Every entry and retraction from outside is
// schema-checked and its signature verified before it counts; what a peer
// gets wrong is counted against it, and gossipsub is told not to pass it on.
// What each relaying node and each signer may add is budgeted in bytes per
// second, the same whether it comes by gossip or by sync; the cheap checks
// (size, the relayer's budget) come before any parse or signature check, and
// what is over a budget is neither kept nor passed on.
import { TypedEventEmitter } from '@libp2p/interface'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { signEnvelope, verifyEnvelopeSigner } from '../envelope/envelope.ts'
import { validator } from '../schema/validator.ts'
import { RemoteError, doesNotServe } from '../protocol/errors.ts'
import { jsonBytes, parseJsonBytes } from '../protocol/json-bytes.ts'
import { ByteBudgets } from '../peers/byte-budgets.ts'
import { ChangeSignal } from '../events/change-signal.ts'
import { systemClock } from '../peers/clock.ts'
import { MAX_ANNOUNCED, decodeAnnouncement, encodeAnnouncement, isAnnouncement, messageHash } from './announcement.ts'
import { EntryStore } from './entry-store.ts'
import { SUMMARY_BUCKETS, differingBuckets } from './summary-index.ts'
import { BroadcastError } from './errors.ts'
import { PULL_PROTOCOL, SYNC_BODIES_PAGE, SYNC_IDS_PAGE, SYNC_MAX_RESPONSE_BYTES, SYNC_PROTOCOL } from './sync.ts'
import {
  DEFAULT_MAX_ENTRY_BYTES,
  DEFAULT_MAX_TOPIC_BYTES,
  DEFAULT_MAX_TTL_MS,
  MAX_ID_LENGTH,
  checkTopicDefinition,
  gossipMessage,
  gossipTopicOf,
  retractionPayload,
  retractionTypeOf
} from './topic.ts'
import type { GossipSub, Message, TopicValidatorFn } from '@libp2p/gossipsub'
import type { PeerId } from '@libp2p/interface'
import type { Static, TSchema } from 'typebox'
import type { NodeId } from '../identity/node-id.ts'
import type { NodeKey } from '../identity/node-key.ts'
import type { SignedEnvelope } from '../envelope/envelope.ts'
import type { Validator } from '../schema/validator.ts'
import type { NodeDirectory } from '../peers/node-directory.ts'
import type { ByteBudget } from '../peers/byte-budgets.ts'
import type { Clock } from '../peers/clock.ts'
import type { PeerGuard, ViolationKind } from '../peers/peer-guard.ts'
import type { ProtocolDefinition } from '../protocol/definition.ts'
import type { Held, StoredEntry, SummaryItem } from './entry-store.ts'
import type { BodiesRequest, BodiesResponse, DigestRequest, DigestResponse, IdsRequest, IdsResponse, PulledBodies, SyncResponse, SyncServer } from './sync.ts'
import type { TopicDefinition } from './topic.ts'

export interface BroadcastEntry<T> {
  id: string
  signer: NodeId
  payload: T
  envelope: SignedEnvelope<T>
}

export interface EntryRemoved {
  id: string
  /** 'evicted': made room for another entry (see the store's eviction order). */
  reason: 'retracted' | 'expired' | 'evicted'
}

/** Why a message from outside was not taken in. */
export type RefusalReason =
  | ViolationKind
  | 'rate_limited'
  | 'relayer_budget'
  | 'signer_budget'
  | 'full'
  | 'signer_full'
  | 'duplicate'
  | 'retracted'
  | 'conflict'
  | 'expired'
  | 'not_running'
  /** Announced, and the announcer did not hand over the body. */
  | 'unserved'

export interface EntryRefused {
  /** The node that handed it to us. */
  from: NodeId
  reason: RefusalReason
  how: 'gossip' | 'sync'
}

export interface BroadcastEvents<T> {
  'entry:added': CustomEvent<BroadcastEntry<T>>
  'entry:removed': CustomEvent<EntryRemoved>
  /** A message from outside that was not taken in (for metrics and tests). */
  'entry:refused': CustomEvent<EntryRefused>
}

export interface BroadcastOptions {
  /** How often to sync with one random connected node, healing missed gossip (0 = never). */
  resyncIntervalMs: number
  /** How often expired entries are swept. */
  sweepIntervalMs: number
  /** Bytes one relaying node may hand us per second (gossip and sync alike), with its burst. */
  relayerBudget: ByteBudget
  /** Bytes of entries one signer may add per second, with its burst. */
  signerBudget: ByteBudget
  /** The oldest bytes of an established signer that eviction never takes. */
  signerFloorBytes: number
  /** A signer whose oldest kept entry is this old is established. */
  establishedAfterMs: number
}

export const DEFAULT_BROADCAST_OPTIONS: BroadcastOptions = {
  resyncIntervalMs: 60_000,
  sweepIntervalMs: 1_000,
  relayerBudget: { bytesPerSecond: 1 << 20, burstBytes: 8 << 20 },
  signerBudget: { bytesPerSecond: 64 << 10, burstBytes: 1 << 20 },
  signerFloorBytes: 256 << 10,
  establishedAfterMs: 10 * 60_000
}

/** What a broadcast needs of its host. */
export interface BroadcastHost {
  readonly key: NodeKey
  readonly directory: NodeDirectory
  readonly guard: PeerGuard
  readonly pubsub: GossipSub
  /** What the broadcast reads the time from (default: the system clock). */
  readonly clock?: Clock
  connectedNodes: () => NodeId[]
  request: <Req extends TSchema, Res extends TSchema>(definition: ProtocolDefinition<Req, Res>, to: NodeId, request: Static<Req>) => Promise<Static<Res>>
}

/** Peers remembered as not serving the pull protocol, at most. */
const MAX_PULLS_BY_SYNC = 1024

/** The longest a sync waits for a peer's byte budget to refill before it asks for more bodies. */
const MAX_BUDGET_WAIT_MS = 5_000

/** How a received entry or retraction fared. */
type Verdict = { accept: true } | { accept: false; reason: RefusalReason; violation?: ViolationKind }

const ACCEPT: Verdict = { accept: true }
const ignore = (reason: RefusalReason): Verdict => ({ accept: false, reason })
const reject = (violation: ViolationKind): Verdict => ({ accept: false, reason: violation, violation })

export class Broadcast<S extends TSchema> extends TypedEventEmitter<BroadcastEvents<Static<S>>> implements SyncServer {
  readonly definition: TopicDefinition<S>
  readonly gossipTopic: string
  readonly #host: BroadcastHost
  readonly #options: BroadcastOptions
  readonly #payload: Validator<S>
  readonly #store: EntryStore<Static<S>>
  readonly #maxEntryBytes: number
  readonly #maxTtlMs: number
  readonly #clock: Clock
  readonly #relayerBudgets: ByteBudgets<NodeId>
  readonly #signerBudgets: ByteBudgets<string>
  readonly #syncing = new Set<NodeId>()
  /** Hashes being pulled, with the pull each waits on. */
  readonly #pulling = new Map<string, Promise<unknown>>()
  /** Peers that do not serve the pull protocol: asked by sync instead. */
  readonly #pullsBySync = new Set<NodeId>()
  /** Hashes of this node's entries and retractions not yet announced, and the announcement that will take them. */
  #unannounced: string[] = []
  #announcing: Promise<void> | undefined
  #timers: NodeJS.Timeout[] = []
  #running = false
  readonly #relayerBurstBytes: number
  /** Ends, at stop, each wait for a peer's budget to refill. */
  readonly #stopping = new ChangeSignal()

  constructor(host: BroadcastHost, definition: TopicDefinition<S>, options: Partial<BroadcastOptions> = {}) {
    super()
    checkTopicDefinition(definition)
    this.definition = definition
    this.gossipTopic = gossipTopicOf(definition.name)
    this.#host = host
    this.#options = { ...DEFAULT_BROADCAST_OPTIONS, ...options }
    this.#payload = validator(definition.payload, `${definition.name} entry`)
    this.#clock = host.clock ?? systemClock
    this.#maxEntryBytes = definition.maxEntryBytes ?? DEFAULT_MAX_ENTRY_BYTES
    this.#maxTtlMs = definition.maxTtlMs ?? DEFAULT_MAX_TTL_MS
    const settings = this.#options
    this.#store = new EntryStore({
      maxEntries: definition.maxEntries,
      maxPerSigner: definition.maxPerSigner,
      maxBytes: definition.maxBytes ?? DEFAULT_MAX_TOPIC_BYTES,
      signerFloorBytes: settings.signerFloorBytes,
      establishedAfterMs: settings.establishedAfterMs,
      standingOf: relayer => host.guard.scoreOf(relayer)
    })
    // A budget smaller than the largest entry would refuse every large one.
    const atLeastOneEntry = (budget: ByteBudget): ByteBudget => ({ ...budget, burstBytes: Math.max(budget.burstBytes, this.#maxEntryBytes) })
    const relayerBudget = atLeastOneEntry(settings.relayerBudget)
    this.#relayerBurstBytes = relayerBudget.burstBytes
    this.#relayerBudgets = new ByteBudgets(relayerBudget, this.#clock)
    this.#signerBudgets = new ByteBudgets(atLeastOneEntry(settings.signerBudget), this.#clock)
  }

  get size(): number {
    return this.#store.size
  }
  /** Message bytes of the entries kept (bounded by the topic's maxBytes). */
  get bytes(): number {
    return this.#store.bytes
  }

  start(): void {
    if (this.#running) return
    this.#running = true
    const pubsub = this.#host.pubsub
    pubsub.topicValidators.set(this.gossipTopic, this.#validateGossip)
    pubsub.subscribe(this.gossipTopic)
    this.#every(this.#options.sweepIntervalMs, () => {
      this.#sweep()
    })
    if (this.#options.resyncIntervalMs > 0)
      this.#every(this.#options.resyncIntervalMs, () => {
        void this.#resyncWithRandomNode()
      })
    for (const nodeId of this.#host.connectedNodes()) void this.syncWith(nodeId).catch(() => {})
  }

  stop(): void {
    if (!this.#running) return
    this.#running = false
    for (const timer of this.#timers) clearInterval(timer)
    this.#timers = []
    this.#stopping.notify()
    const pubsub = this.#host.pubsub
    pubsub.unsubscribe(this.gossipTopic)
    pubsub.topicValidators.delete(this.gossipTopic)
  }

  /** Signs an entry with the node key, keeps it, and spreads it. */
  async publish(payload: Static<S>): Promise<BroadcastEntry<Static<S>>> {
    this.#payload.parse(payload)
    const id = this.#idOf(payload)
    const expiresAt = this.definition.expiresAt(payload)
    const signer = this.#host.key.nodeId
    const now = this.#clock.now()
    if (!(expiresAt > now)) throw new BroadcastError('BadRequest', `${this.definition.name} entry ${id} has already expired`)
    if (expiresAt > now + this.#maxTtlMs)
      throw new BroadcastError('BadRequest', `${this.definition.name} entry ${id} expires more than ${this.#maxTtlMs} ms from now`)
    if (this.#store.tombstone(signer, id) !== undefined)
      throw new BroadcastError('Gone', `${this.definition.name} entry ${id} was retracted; publish under a new id`)
    const existing = this.#store.get(id)
    if (existing !== undefined) {
      if (existing.signer !== signer) throw new BroadcastError('Conflict', `${this.definition.name} entry ${id} is already taken by ${existing.signer}`)
      return toEntry(existing)
    }
    const envelope = signEnvelope(this.#host.key, this.definition.envelopeType, payload)
    const message = encodeMessage('entry', envelope)
    if (message.byteLength > this.#maxEntryBytes)
      throw new BroadcastError('PayloadTooLarge', `${this.definition.name} entry ${id} is ${message.byteLength} bytes, over the ${this.#maxEntryBytes} allowed`)
    const hash = messageHash(message)
    const stored: StoredEntry<Static<S>> = { id, signer, payload, expiresAt, envelope, messageBytes: message.byteLength, hash, addedAt: now }
    const { outcome, evicted } = this.#store.add(stored, now)
    if (outcome !== 'added') {
      const full = outcome === 'full' || outcome === 'signer_full'
      throw new BroadcastError(
        full ? 'CapacityExceeded' : 'Conflict',
        `${this.definition.name} entry ${id} not kept: ${outcome === 'full' ? 'the topic is full' : outcome === 'signer_full' ? 'too many entries of this node' : outcome}`
      )
    }
    this.#evicted(evicted)
    const entry = toEntry(stored)
    this.safeDispatchEvent('entry:added', { detail: entry })
    await this.#announce(hash)
    return entry
  }

  /** Withdraws one of this node's entries everywhere, with a signed retraction. */
  async retract(id: string): Promise<void> {
    const entry = this.#store.get(id)
    const signer = this.#host.key.nodeId
    if (entry === undefined) throw new BroadcastError('NotFound', `${this.definition.name} has no entry ${id}`)
    if (entry.signer !== signer)
      throw new BroadcastError('Forbidden', `${this.definition.name} entry ${id} belongs to ${entry.signer}; only its signer may retract it`)
    const envelope = signEnvelope(this.#host.key, retractionTypeOf(this.definition), { topic: this.definition.name, id, expiresAt: entry.expiresAt })
    const message = encodeMessage('retraction', envelope)
    const hash = messageHash(message)
    const { outcome } = this.#store.retract({ id, signer, expiresAt: entry.expiresAt, envelope, messageBytes: message.byteLength, hash })
    if (outcome === 'full') throw new BroadcastError('CapacityExceeded', `${this.definition.name}: too many retractions kept; try again later`)
    this.safeDispatchEvent<EntryRemoved>('entry:removed', { detail: { id, reason: 'retracted' } })
    // Pushed whole, not announced: a node often retracts as it stops, and
    // then no peer could pull the retraction from it. Its peers announce it.
    await this.#gossip(message)
  }

  get(id: string): BroadcastEntry<Static<S>> | undefined {
    const stored = this.#store.get(id)
    return stored === undefined ? undefined : toEntry(stored)
  }

  entries(): Array<BroadcastEntry<Static<S>>> {
    return [...this.#store.entries()].map(toEntry)
  }

  /** Connected nodes subscribed to this topic's gossip. */
  gossipPeers(): NodeId[] {
    return this.#host.pubsub
      .getSubscribers(this.gossipTopic)
      .map(peerId => this.#host.directory.learnPeer(peerId))
      .filter(nodeId => nodeId !== undefined)
  }

  /**
   * Pulls from one node what it has and this node lacks: ids page by page,
   * then the missing bodies in batches. Returns how many were taken in.
   */
  async syncWith(nodeId: NodeId): Promise<number> {
    if (!this.#running || this.#syncing.has(nodeId)) return 0
    this.#syncing.add(nodeId)
    try {
      const wanted = await this.#wantedFrom(nodeId)
      let taken = 0
      // What the bodies so far weighed, to tell how much budget a batch needs.
      const received = { bytes: 0, bodies: 0 }
      for (let start = 0; this.#running; start += SYNC_BODIES_PAGE) {
        const perBody = received.bodies === 0 ? this.#maxEntryBytes : Math.ceil(received.bytes / received.bodies)
        const asked = await this.#askBodies(nodeId, wanted, start, perBody)
        if (asked === undefined) break
        const { batch, response } = asked
        if (response.op !== 'bodies' || response.bodies.length > batch.length) {
          this.#host.guard.violation(nodeId, 'protocol')
          return taken
        }
        for (const body of response.bodies) {
          const { kind, message, hash } = messageOfBody(body)
          received.bytes += message.byteLength
          received.bodies++
          const verdict = this.#admit(nodeId, message.byteLength) ?? this.#receive(kind, body.envelope, message.byteLength, hash, nodeId)
          if (verdict.accept) {
            taken++
            continue
          }
          this.#refused(nodeId, verdict, 'sync')
        }
      }
      return taken
    } catch (err) {
      // A node that does not carry this topic is no fault of anyone.
      if (err instanceof RemoteError && err.code === 'NotFound') return 0
      throw err
    } finally {
      this.#syncing.delete(nodeId)
    }
  }

  /**
   * The bodies of one batch of `wanted`, from `start`; undefined when none
   * is left, or this broadcast stops, or the peer's byte budget would not
   * refill within MAX_BUDGET_WAIT_MS for the batch (at `bytesPerBody` each):
   * what it sent beyond its budget could not be kept. Within that, the sync
   * waits for the refill and goes on, so a node that joins late takes a whole
   * market at the budget's rate rather than a burst per resync.
   */
  async #askBodies(
    nodeId: NodeId,
    wanted: SummaryItem[],
    start: number,
    bytesPerBody: number
  ): Promise<{ batch: SummaryItem[]; response: SyncResponse } | undefined> {
    if (start >= wanted.length || !this.#running) return undefined
    const batch = wanted.slice(start, start + SYNC_BODIES_PAGE)
    const needed = Math.min(this.#relayerBurstBytes, Math.max(this.#maxEntryBytes, bytesPerBody * batch.length))
    // Waited for again when a timer fires a little early (it counts from the time the event loop read at its turn's start).
    const waitUntil = performance.now() + MAX_BUDGET_WAIT_MS
    for (let wait = this.#relayerBudgets.msUntil(nodeId, needed); wait > 0; wait = this.#relayerBudgets.msUntil(nodeId, needed)) {
      if (performance.now() + wait > waitUntil) return undefined
      if (await this.#stopping.wait(wait)) return undefined
    }
    const response = await this.#host.request(SYNC_PROTOCOL, nodeId, {
      op: 'bodies',
      topic: this.definition.name,
      wanted: batch.map(({ kind, id, signer }) => ({ kind, id, signer }))
    })
    return { batch, response }
  }

  serveIds(request: IdsRequest): IdsResponse {
    const { items, next } = this.#store.summary(request.after, request.limit, request.bucket)
    return next === undefined ? { op: 'ids', items } : { op: 'ids', items, next }
  }

  serveDigest(request: DigestRequest): DigestResponse {
    const digest = this.#store.digest()
    return request.buckets ? { op: 'digest', ...digest, buckets: this.#store.bucketFingerprints() } : { op: 'digest', ...digest }
  }

  serveBodies(request: BodiesRequest): BodiesResponse {
    const bodies = bodiesOf(
      request.wanted.map(({ kind, id, signer }): Held<Static<S>> | undefined => {
        if (kind === 'entry') {
          const entry = this.#store.get(id)
          return entry && { kind, entry }
        }
        const tombstone = this.#store.tombstone(signer, id)
        return tombstone && { kind, tombstone }
      })
    )
    return { op: 'bodies', bodies }
  }

  servePull(hashes: readonly string[]): PulledBodies {
    return { bodies: bodiesOf(hashes.map(hash => this.#store.byHash(hash))) }
  }

  async #wantedFrom(nodeId: NodeId): Promise<SummaryItem[]> {
    const buckets = await this.#bucketsToList(nodeId)
    const tombstones: SummaryItem[] = []
    const entries: SummaryItem[] = []
    // Enough pages for a full store of entries and retractions (and one per bucket listed), and no more.
    const maxPages = Math.ceil((2 * this.definition.maxEntries) / SYNC_IDS_PAGE) + 1 + (buckets?.length ?? 0)
    let pages = 0
    for (const bucket of buckets ?? [undefined]) {
      let after: string | undefined
      while (pages++ < maxPages) {
        const request: IdsRequest = {
          op: 'ids',
          topic: this.definition.name,
          limit: SYNC_IDS_PAGE,
          ...(after === undefined ? {} : { after }),
          ...(bucket === undefined ? {} : { bucket })
        }
        const response = await this.#host.request(SYNC_PROTOCOL, nodeId, request)
        if (response.op !== 'ids') {
          this.#host.guard.violation(nodeId, 'protocol')
          return []
        }
        const now = this.#clock.now()
        for (const item of response.items) {
          if (item.expiresAt <= now) continue
          if (item.kind === 'tombstone') {
            if (this.#store.tombstone(item.signer, item.id) === undefined) tombstones.push(item)
          } else if (this.#store.get(item.id) === undefined && this.#store.tombstone(item.signer, item.id) === undefined) {
            entries.push(item)
          }
        }
        if (response.next === undefined || (after !== undefined && response.next <= after)) break
        after = response.next
      }
    }
    // Retractions first, so a retracted entry is never added only to be removed.
    return [...tombstones, ...entries].slice(0, 2 * this.definition.maxEntries)
  }

  /**
   * Which buckets of the peer's summary to list: none when its fingerprint
   * is ours, those whose fingerprints differ, or (undefined) all of them
   * when that costs less than comparing buckets: a store of one page, or
   * ours nearly empty (a node just joined), or most buckets differing.
   */
  async #bucketsToList(nodeId: NodeId): Promise<number[] | undefined> {
    const ours = this.#store.digest()
    const theirs = await this.#host.request(SYNC_PROTOCOL, nodeId, { op: 'digest', topic: this.definition.name, buckets: false })
    if (theirs.op !== 'digest') {
      this.#host.guard.violation(nodeId, 'protocol')
      return []
    }
    if (theirs.count === ours.count && theirs.total === ours.total) return []
    if (theirs.count <= SYNC_IDS_PAGE || ours.count < SYNC_IDS_PAGE) return undefined
    const detail = await this.#host.request(SYNC_PROTOCOL, nodeId, { op: 'digest', topic: this.definition.name, buckets: true })
    if (detail.op !== 'digest' || detail.buckets === undefined) {
      this.#host.guard.violation(nodeId, 'protocol')
      return []
    }
    const differ = differingBuckets(this.#store.bucketFingerprints(), detail.buckets)
    return differ.length > SUMMARY_BUCKETS / 2 ? undefined : differ
  }

  readonly #validateGossip: TopicValidatorFn = async (peerId: PeerId, message: Message) => {
    const from = this.#host.directory.learnPeer(peerId)
    if (from === undefined) return TopicValidatorResult.Reject
    // Over its message rate: the guard has counted it; reported like any other refusal.
    const verdict = this.#host.guard.allowMessage(from) ? this.#admit(from, message.data.byteLength) : ignore('rate_limited')
    if (verdict !== undefined) return this.#verdictOnGossip(from, verdict)
    if (isAnnouncement(message.data)) {
      const hashes = decodeAnnouncement(message.data)
      return hashes === undefined ? this.#verdictOnGossip(from, reject('malformed')) : await this.#pullAnnounced(from, hashes)
    }
    return this.#receivePushed(from, message.data)
  }

  #verdictOnGossip(from: NodeId, verdict: Verdict): TopicValidatorResult {
    if (verdict.accept) return TopicValidatorResult.Accept
    this.#refused(from, verdict, 'gossip')
    return verdict.violation === undefined ? TopicValidatorResult.Ignore : TopicValidatorResult.Reject
  }

  /** An entry or retraction pushed whole: kept if good, and announced rather than passed on, so that no body crosses a link twice. */
  #receivePushed(from: NodeId, data: Uint8Array): TopicValidatorResult {
    const parsed = decodeMessage(data)
    if (parsed === undefined) return this.#verdictOnGossip(from, reject('malformed'))
    const hash = messageHash(encodeMessage(parsed.kind, parsed.envelope as SignedEnvelope))
    const verdict = this.#receive(parsed.kind, parsed.envelope, data.byteLength, hash, from)
    if (!verdict.accept) return this.#verdictOnGossip(from, verdict)
    void this.#announce(hash)
    return TopicValidatorResult.Ignore
  }

  /**
   * Takes in what an announcement names and this node lacks, from the peer
   * that announced it, and says whether to pass the announcement on: only
   * when this node now holds something it names, so that whoever it reaches
   * can pull that from here.
   */
  async #pullAnnounced(from: NodeId, hashes: string[]): Promise<TopicValidatorResult> {
    if (!this.#running) return this.#verdictOnGossip(from, ignore('not_running'))
    const elsewhere = hashes.flatMap(hash => this.#pulling.get(hash) ?? [])
    const missing = hashes.filter(hash => this.#store.byHash(hash) === undefined && !this.#pulling.has(hash))
    if (missing.length > 0) {
      const pull = this.#pull(from, missing)
      for (const hash of missing) this.#pulling.set(hash, pull)
      try {
        const violation = await pull
        if (violation !== undefined) return this.#verdictOnGossip(from, reject(violation))
      } finally {
        for (const hash of missing) this.#pulling.delete(hash)
      }
    }
    await Promise.all(elsewhere)
    if (hashes.some(hash => this.#store.byHash(hash) !== undefined)) return TopicValidatorResult.Accept
    return this.#verdictOnGossip(from, ignore('unserved'))
  }

  /**
   * The bodies of these hashes from a peer: by the pull protocol, or by sync
   * from a peer that does not serve it. Undefined when the peer answered
   * something else.
   */
  async #pullFrom(from: NodeId, hashes: string[]): Promise<PulledBodies | undefined> {
    const topic = this.definition.name
    if (!this.#pullsBySync.has(from)) {
      try {
        return await this.#host.request(PULL_PROTOCOL, from, { topic, hashes })
      } catch (err) {
        if (!doesNotServe(err)) throw err
        // Bounded: a full set starts again, and a node in it is asked once more.
        if (this.#pullsBySync.size >= MAX_PULLS_BY_SYNC) this.#pullsBySync.clear()
        this.#pullsBySync.add(from)
      }
    }
    const answer = await this.#host.request(SYNC_PROTOCOL, from, { op: 'pull', topic, hashes })
    return answer.op === 'bodies' ? answer : undefined
  }

  /** Asks a peer for the bodies of these hashes and takes in each; returns what the peer did wrong, if anything. */
  async #pull(from: NodeId, hashes: string[]): Promise<ViolationKind | undefined> {
    let response: PulledBodies | undefined
    try {
      response = await this.#pullFrom(from, hashes)
    } catch {
      // Gone, slow or refusing: nothing is taken in, and the next sync heals it.
      return undefined
    }
    if (response === undefined) return 'protocol'
    const asked = new Set(hashes)
    for (const body of response.bodies) {
      const { kind, message, hash } = messageOfBody(body)
      // What was not asked for, or a body twice.
      if (!asked.delete(hash)) return 'protocol'
      const verdict = this.#admit(from, message.byteLength) ?? this.#receive(kind, body.envelope, message.byteLength, hash, from)
      if (verdict.accept) continue
      if (verdict.violation !== undefined) return verdict.violation
      this.#refused(from, verdict, 'gossip')
    }
    return undefined
  }

  /**
   * The checks that cost nothing, before any parse or signature check: the
   * size, and the relayer's byte budget (charged for whatever it makes us
   * look at). Undefined means go on.
   */
  #admit(from: NodeId, messageBytes: number): Verdict | undefined {
    if (messageBytes > this.#maxEntryBytes) return reject('oversized')
    if (!this.#relayerBudgets.take(from, messageBytes)) return ignore('relayer_budget')
    return undefined
  }

  #refused(from: NodeId, verdict: Extract<Verdict, { accept: false }>, how: EntryRefused['how']): void {
    if (verdict.violation !== undefined) this.#host.guard.violation(from, verdict.violation)
    this.safeDispatchEvent<EntryRefused>('entry:refused', { detail: { from, reason: verdict.reason, how } })
  }

  /** Checks and takes in one entry or retraction from outside, however it came; `hash` is of its canonical message. */
  #receive(kind: 'entry' | 'retraction', envelope: unknown, messageBytes: number, hash: string, from: NodeId): Verdict {
    if (!this.#running) return ignore('not_running')
    return kind === 'entry' ? this.#receiveEntry(envelope, messageBytes, hash, from) : this.#receiveRetraction(envelope, messageBytes, hash)
  }

  #receiveEntry(envelope: unknown, messageBytes: number, hash: string, from: NodeId): Verdict {
    const payload = (envelope as { payload?: unknown } | null)?.payload
    if (!this.#payload.check(payload)) return reject('malformed')
    let id: string
    let expiresAt: number
    try {
      id = this.#idOf(payload)
      expiresAt = this.definition.expiresAt(payload)
    } catch {
      return reject('malformed')
    }
    if (!Number.isFinite(expiresAt)) return reject('malformed')
    const existing = this.#store.get(id)
    // The same bytes again: no need to check the signature a second time.
    if (existing !== undefined && existing.envelope.sig === (envelope as SignedEnvelope).sig) return ignore('duplicate')
    // The signer it claims, before the signature says whether the claim is true:
    // a signer over its budget is not worth verifying.
    const claimed = (envelope as { signer?: unknown }).signer
    if (typeof claimed === 'string' && !this.#signerBudgets.allows(claimed, messageBytes)) return ignore('signer_budget')
    let signer: NodeId
    try {
      const verified = verifyEnvelopeSigner(envelope, this.definition.envelopeType)
      signer = verified.nodeId
      this.#host.directory.learnKey(signer, verified.publicKey)
    } catch {
      return reject('forged')
    }
    const now = this.#clock.now()
    if (expiresAt <= now || expiresAt > now + this.#maxTtlMs) return ignore('expired')
    const stored: StoredEntry<Static<S>> = {
      id,
      signer,
      payload,
      expiresAt,
      envelope: envelope as SignedEnvelope<Static<S>>,
      messageBytes,
      hash,
      relayer: from,
      addedAt: now
    }
    // Planned by the store before anything changes; the signer pays only for what is kept.
    const { outcome, evicted } = this.#store.add(stored, now)
    if (outcome !== 'added') return ignore(outcome)
    this.#signerBudgets.take(signer, messageBytes)
    this.#evicted(evicted)
    this.safeDispatchEvent('entry:added', { detail: toEntry(stored) })
    return ACCEPT
  }

  #evicted(entries: ReadonlyArray<StoredEntry<Static<S>>>): void {
    for (const entry of entries) this.safeDispatchEvent<EntryRemoved>('entry:removed', { detail: { id: entry.id, reason: 'evicted' } })
  }

  #receiveRetraction(envelope: unknown, messageBytes: number, hash: string): Verdict {
    const payload = (envelope as { payload?: unknown } | null)?.payload
    if (!retractionPayload.check(payload) || payload.topic !== this.definition.name) return reject('malformed')
    let signer: NodeId
    try {
      signer = verifyEnvelopeSigner(envelope, retractionTypeOf(this.definition)).nodeId
    } catch {
      return reject('forged')
    }
    const entry = this.#store.get(payload.id)
    // Only an entry's own signer may take it back.
    if (entry !== undefined && entry.signer !== signer) return reject('forged')
    const now = this.#clock.now()
    const expiresAt = Math.min(Math.max(payload.expiresAt, entry?.expiresAt ?? 0), now + this.#maxTtlMs)
    if (expiresAt <= now) return ignore('expired')
    if (!this.#signerBudgets.take(signer, messageBytes)) return ignore('signer_budget')
    const { outcome, removed } = this.#store.retract({ id: payload.id, signer, expiresAt, envelope: envelope as SignedEnvelope, messageBytes, hash })
    if (outcome === 'duplicate') return ignore('duplicate')
    if (outcome === 'full') return ignore('full')
    if (removed !== undefined) this.safeDispatchEvent<EntryRemoved>('entry:removed', { detail: { id: removed.id, reason: 'retracted' } })
    return ACCEPT
  }

  #idOf(payload: Static<S>): string {
    const id = this.definition.idOf(payload)
    if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH) {
      throw new BroadcastError('BadRequest', `${this.definition.name}: an entry id must be 1 to ${MAX_ID_LENGTH} characters`)
    }
    return id
  }

  #sweep(): void {
    for (const entry of this.#store.sweep(this.#clock.now())) {
      this.safeDispatchEvent<EntryRemoved>('entry:removed', { detail: { id: entry.id, reason: 'expired' } })
    }
  }

  async #resyncWithRandomNode(): Promise<void> {
    const nodes = this.#host.connectedNodes()
    const nodeId = nodes[Math.floor(Math.random() * nodes.length)]
    if (nodeId === undefined) return
    await this.syncWith(nodeId).catch(() => {})
  }

  /**
   * Announces one of this node's entries or retractions (or one pushed to
   * it), with whatever else is announced in the same turn of the event loop:
   * a burst of publishes costs one announcement and one pull per peer.
   */
  async #announce(hash: string): Promise<void> {
    this.#unannounced.push(hash)
    this.#announcing ??= new Promise<void>(resolve => setImmediate(resolve)).then(async () => {
      this.#announcing = undefined
      const hashes = this.#unannounced.splice(0)
      for (let start = 0; start < hashes.length; start += MAX_ANNOUNCED) await this.#gossip(encodeAnnouncement(hashes.slice(start, start + MAX_ANNOUNCED)))
    })
    await this.#announcing
  }

  async #gossip(message: Uint8Array): Promise<void> {
    try {
      await this.#host.pubsub.publish(this.gossipTopic, message)
    } catch {
      // Kept locally all the same; sync hands it to peers as they come.
    }
  }

  #every(ms: number, task: () => void): void {
    const timer = setInterval(task, ms)
    timer.unref()
    this.#timers.push(timer)
  }
}

/** A body of a sync or pull response as the broadcast message it stands for, with that message's hash. */
function messageOfBody(body: BodiesResponse['bodies'][number]): { kind: 'entry' | 'retraction'; message: Uint8Array; hash: string } {
  const kind = body.kind === 'entry' ? 'entry' : 'retraction'
  const message = encodeMessage(kind, body.envelope as SignedEnvelope)
  return { kind, message, hash: messageHash(message) }
}

/** The bodies of what is held, in order, as many as fit in one response. */
function bodiesOf<T>(found: ReadonlyArray<Held<T> | undefined>): PulledBodies['bodies'] {
  const bodies: PulledBodies['bodies'] = []
  // Leave room for the frame around the bodies.
  let budget = SYNC_MAX_RESPONSE_BYTES - 1024
  for (const held of found) {
    if (held === undefined) continue
    const stored = held.kind === 'entry' ? held.entry : held.tombstone
    // The message held the envelope with a little more around it than a body has.
    budget -= stored.messageBytes + 32
    if (budget < 0) break
    bodies.push({ kind: held.kind, envelope: stored.envelope })
  }
  return bodies
}

function toEntry<T>(stored: StoredEntry<T>): BroadcastEntry<T> {
  return { id: stored.id, signer: stored.signer, payload: stored.payload, envelope: stored.envelope }
}

function encodeMessage(kind: 'entry' | 'retraction', envelope: SignedEnvelope): Uint8Array {
  return jsonBytes({ v: 1, kind, envelope })
}

function decodeMessage(data: Uint8Array): { kind: 'entry' | 'retraction'; envelope: unknown } | undefined {
  try {
    const value = parseJsonBytes(data)
    return gossipMessage.check(value) ? value : undefined
  } catch {
    return undefined
  }
}
