// The durable outbox: signed messages another node must receive (agreement
// closings, approvals; debit notes, invoices and payment confirmations next).
// A message is on disk — in the same batch as the sender's own state change —
// before the caller acknowledges anything; it is then delivered over
// `/agora/<owner>/outbox/1`, in order per peer, retried with capped, jittered
// exponential backoff across restarts, and again at once when the peer
// connects, until the peer acknowledges it or refuses it for good. The
// receiving side dispatches by kind and dedupes by message id, so a message
// delivered twice is handled once and acknowledged both times.
import { createHash, randomUUID } from 'node:crypto'
import { getAddress } from 'ethers'
import { TypedEventEmitter } from '@libp2p/interface'
import { canonicalJson } from '../envelope/canonical-json.ts'
import { parseNodeId } from '../identity/node-id.ts'
import { FRAME_VERSION } from '../protocol/frames.ts'
import { jsonBytes } from '../protocol/json-bytes.ts'
import { HandlerError, RemoteError } from '../protocol/errors.ts'
import { validator } from '../schema/validator.ts'
import { backoffDelay } from './backoff.ts'
import { systemClock } from './clock.ts'
import { MessageRefused, OutboxError } from './errors.ts'
import { DEFAULT_MAX_MESSAGE_BYTES, MAX_REFUSAL_MESSAGE_LENGTH, OutboxRequest, outboxProtocol } from './outbox-protocol.ts'
import { OutboxStore } from './outbox-store.ts'
import type { Clock, TimerHandle } from './clock.ts'
import type { OutboxProtocol, OutboxResponse } from './outbox-protocol.ts'
import type { OutboxDb, PendingRecord, ReceivedRecord, StoreOp } from './outbox-store.ts'
import type { BadRecord } from '../store/load-each.ts'
import type { SignedEnvelope } from '../envelope/envelope.ts'
import type { NodeId } from '../identity/node-id.ts'
import type { NetHost } from '../host/net-host.ts'

/** What the outbox needs of the host: its protocols and its peer connect events. */
export type OutboxHost = Pick<NetHost, 'nodeId' | 'handle' | 'unhandle' | 'request' | 'addEventListener' | 'removeEventListener'>

/** A pino-compatible subset. */
export interface OutboxLogger {
  info: (details: object, message: string) => void
  warn: (details: object, message: string) => void
}

export interface OutboxOptions {
  /** Names the protocol, `/agora/<owner>/outbox/1` (the owning module's name). */
  owner: string
  host: OutboxHost
  /** The owner's sublevel: the outbox writes only keys under `<prefix>:`. */
  db: OutboxDb
  prefix?: string
  clock?: Clock
  logger?: OutboxLogger
  random?: () => number
  /** First retry delay (default 1 s); it doubles per failure up to maxRetryMs (default 60 s). */
  minRetryMs?: number
  maxRetryMs?: number
  /** Pending messages allowed per peer (default 1,000) and in total (default 10,000). */
  maxPendingPerPeer?: number
  maxPending?: number
  /** Ids of received messages remembered for dedupe (default 100,000, oldest forgotten first). */
  maxReceivedIds?: number
  /** Largest request frame, in bytes (default 64 KiB). */
  maxMessageBytes?: number
}

export interface OutboxMessageInfo {
  id: string
  to: NodeId
  kind: string
  enqueuedAt: number
  /** Failed attempts in a row for this peer's queue. */
  failures: number
}

/** How the next attempt on a message ended, as firstAttempt tells it. */
export type AttemptOutcome = 'delivered' | 'dropped' | 'pending'

export type DeliveryOutcome = { result: 'ack' } | { result: 'refused'; code: string; message: string }

export interface OutboxEvents {
  'message:queued': CustomEvent<OutboxMessageInfo>
  'message:delivered': CustomEvent<OutboxMessageInfo>
  /** Refused for good by the peer: removed, not retried. */
  'message:dropped': CustomEvent<OutboxMessageInfo & { code: string; reason: string }>
  /** An attempt failed; the next one is due after `delayMs` (or at the peer's next connect). */
  'message:retry': CustomEvent<OutboxMessageInfo & { delayMs: number; error: string }>
  'message:received': CustomEvent<{ id: string; from: NodeId; kind: string; duplicate: boolean }>
}

/** Handles a received message; throw MessageRefused to refuse it for good, anything else to have it retried. */
export type ReceiveHandler = (envelope: SignedEnvelope, context: { from: NodeId; id: string; kind: string }) => Promise<void>
/** Runs when a peer acknowledged or refused a message, before it leaves the disk (so it may run again after a crash). */
export type SettleHandler = (message: PendingRecord, outcome: DeliveryOutcome) => Promise<void>

interface PendingEntry {
  seq: number
  id: string
  to: NodeId
  kind: string
  enqueuedAt: number
}

interface PeerQueue {
  to: NodeId
  /** In seq order. */
  messages: PendingEntry[]
  reserved: number
  failures: number
  nextAttemptAt: number
  timer?: TimerHandle | undefined
  inFlight?: Promise<void> | undefined
  /** The peer connected while an attempt was under way: try again at once if it fails. */
  kicked: boolean
  /** Told once the next attempt is scheduled, so listeners see the timer that is set. */
  retry?: OutboxEvents['message:retry']['detail'] | undefined
}

const outboxRequest = validator(OutboxRequest, 'outbox message')
/** Frame errors of a request the peer's protocol layer will refuse every time. */
const PERMANENT_REMOTE_CODES = new Set(['bad_request', 'BadRequest', 'request_too_large', 'PayloadTooLarge'])

/** The id of a message: the same message to the same node has the same id on both sides. */
export function messageIdOf(to: NodeId, kind: string, envelope: SignedEnvelope): string {
  // `to` is hashed in the checksum form, as message ids were first made, so a
  // node of an earlier version and ids stored by one agree with ours.
  return createHash('sha256')
    .update(canonicalJson({ to: getAddress(to), kind, envelope } as never))
    .digest('hex')
}

export class Outbox extends TypedEventEmitter<OutboxEvents> {
  readonly protocol: OutboxProtocol
  readonly #host: OutboxHost
  readonly #store: OutboxStore
  readonly #clock: Clock
  readonly #logger: OutboxLogger | undefined
  readonly #random: () => number
  readonly #minRetryMs: number
  readonly #maxRetryMs: number
  readonly #maxPerPeer: number
  readonly #maxPending: number
  readonly #maxReceived: number
  readonly #maxMessageBytes: number
  readonly #queues = new Map<NodeId, PeerQueue>()
  readonly #pendingIds = new Set<string>()
  readonly #handlers = new Map<string, ReceiveHandler>()
  readonly #settlers = new Map<string, SettleHandler>()
  /** Received ids, oldest first, with their store keys. */
  readonly #received = new Map<string, string>()
  readonly #receiving = new Map<string, Promise<OutboxResponse>>()
  /** Callers waiting for the next attempt on a message (see firstAttempt). */
  readonly #attemptWaiters = new Map<string, Array<(outcome: AttemptOutcome) => void>>()
  #abort = new AbortController()
  #state: 'new' | 'running' | 'stopped' = 'new'
  #seq = 0
  #pendingCount = 0
  #reservedCount = 0

  constructor(options: OutboxOptions) {
    super()
    this.#host = options.host
    this.#maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES
    this.protocol = outboxProtocol(options.owner, this.#maxMessageBytes)
    this.#store = new OutboxStore(options.db, options.prefix ?? 'outbox')
    this.#clock = options.clock ?? systemClock
    this.#logger = options.logger
    this.#random = options.random ?? Math.random
    this.#minRetryMs = options.minRetryMs ?? 1_000
    this.#maxRetryMs = options.maxRetryMs ?? 60_000
    this.#maxPerPeer = options.maxPendingPerPeer ?? 1_000
    this.#maxPending = options.maxPending ?? 10_000
    this.#maxReceived = options.maxReceivedIds ?? 100_000
    for (const [name, value] of Object.entries({
      minRetryMs: this.#minRetryMs,
      maxRetryMs: this.#maxRetryMs,
      maxPendingPerPeer: this.#maxPerPeer,
      maxPending: this.#maxPending,
      maxReceivedIds: this.#maxReceived
    })) {
      if (!Number.isSafeInteger(value) || value <= 0) throw new TypeError(`outbox ${name} must be a positive integer, not ${value}`)
    }
  }

  /** Receives messages of `kind` (register before start). */
  handle(kind: string, handler: ReceiveHandler): void {
    if (this.#handlers.has(kind)) throw new Error(`outbox kind ${kind} already has a handler`)
    this.#handlers.set(kind, handler)
  }

  /** Learns how the peer answered messages of `kind` that this node sent (register before start). */
  onSettled(kind: string, handler: SettleHandler): void {
    if (this.#settlers.has(kind)) throw new Error(`outbox kind ${kind} already has a settle handler`)
    this.#settlers.set(kind, handler)
  }

  /** Loads what is pending from disk, serves the protocol and starts delivering. */
  async start(): Promise<void> {
    if (this.#state !== 'new') throw new Error('an outbox starts once')
    const setAside = (bad: BadRecord): void => {
      this.#logger?.warn(bad, 'outbox: unreadable stored record set aside')
    }
    const pending = await this.#store.pending(value => {
      if (!isPendingRecord(value)) throw new Error(`not a pending message: ${describe(value)}`)
      // Earlier versions stored the checksum form: queues are keyed by the one form.
      return { ...value, to: parseNodeId(value.to) }
    }, setAside)
    for (const record of pending.sort((a, b) => a.seq - b.seq)) {
      this.#seq = Math.max(this.#seq, record.seq)
      this.#insert({ seq: record.seq, id: record.id, to: record.to, kind: record.kind, enqueuedAt: record.enqueuedAt })
    }
    const received = await this.#store.received(value => {
      if (!isReceivedRecord(value)) throw new Error(`not a received id: ${describe(value)}`)
      return value
    }, setAside)
    for (const record of received.sort((a, b) => a.seq - b.seq)) {
      this.#seq = Math.max(this.#seq, record.seq)
      this.#received.set(record.id, this.#store.receivedKey(record.seq))
    }
    await this.#host.handle(this.protocol, async (request, { from }) => await this.#receive(request, from))
    this.#host.addEventListener('node:connect', this.#onConnect)
    this.#state = 'running'
    for (const queue of this.#queues.values()) this.#schedule(queue)
  }

  /** Stops delivering (what is pending stays on disk for the next start) and ends attempts under way. */
  async stop(): Promise<void> {
    if (this.#state !== 'running') {
      this.#state = 'stopped'
      return
    }
    this.#state = 'stopped'
    this.#host.removeEventListener('node:connect', this.#onConnect)
    this.#abort.abort(new Error('outbox stopping'))
    for (const id of [...this.#attemptWaiters.keys()]) this.#tellAttempt(id, 'pending')
    const inFlight: Array<Promise<void>> = []
    for (const queue of this.#queues.values()) {
      if (queue.timer !== undefined) this.#clock.clearTimeout(queue.timer)
      queue.timer = undefined
      if (queue.inFlight !== undefined) inFlight.push(queue.inFlight)
    }
    await Promise.allSettled(inFlight)
    await this.#host.unhandle(this.protocol)
  }

  /**
   * Queues `envelope` for `to` and writes it durably, in one batch with the
   * caller's `alongside` ops (keys of the same sublevel). Every limit is
   * checked before anything is written. The same message queued twice is
   * kept once. Returns the message id.
   */
  async enqueue(to: NodeId, kind: string, envelope: SignedEnvelope, options: { alongside?: StoreOp[] } = {}): Promise<string> {
    if (this.#state === 'stopped') throw new OutboxError('Unavailable', 'the outbox is stopped')
    const target = parseNodeId(to)
    if (target === this.#host.nodeId) throw new OutboxError('BadRequest', 'a node does not send messages to itself')
    const request = { kind, envelope }
    if (!outboxRequest.check(request)) {
      throw new OutboxError('BadRequest', `not a message the outbox carries: ${tryParse(request)}`)
    }
    const bytes = jsonBytes({ v: FRAME_VERSION, body: request }).byteLength
    if (bytes > this.#maxMessageBytes) {
      throw new OutboxError('PayloadTooLarge', `a ${kind} message of ${bytes} bytes is over the ${this.#maxMessageBytes} bytes a message may take`)
    }
    const alongside = options.alongside ?? []
    const id = messageIdOf(target, kind, envelope)
    if (this.#pendingIds.has(id)) {
      if (alongside.length > 0) await this.#store.write(alongside, true)
      return id
    }
    const queue = this.#queueOf(target)
    if (queue.messages.length + queue.reserved >= this.#maxPerPeer) {
      throw new OutboxError('CapacityExceeded', `${this.#maxPerPeer} messages already wait for ${target}; try again once it has received them`)
    }
    if (this.#pendingCount + this.#reservedCount >= this.#maxPending) {
      throw new OutboxError('CapacityExceeded', `${this.#maxPending} messages already wait for delivery; try again later`)
    }
    // Reserved before the first await, so concurrent calls cannot pass the caps together.
    queue.reserved++
    this.#reservedCount++
    const seq = ++this.#seq
    const record: PendingRecord = { seq, id, to: target, kind, envelope, enqueuedAt: this.#clock.now() }
    try {
      await this.#store.write([...alongside, { type: 'put', key: this.#store.pendingKey(seq), value: record }], true)
    } finally {
      queue.reserved--
      this.#reservedCount--
    }
    const entry = this.#insert({ seq, id, to: target, kind, enqueuedAt: record.enqueuedAt })
    this.safeDispatchEvent('message:queued', { detail: this.#info(entry, queue) })
    this.#schedule(queue)
    return id
  }

  /** Messages waiting for delivery, oldest first; to one peer, or to all. */
  pending(to?: NodeId): OutboxMessageInfo[] {
    const queues = to === undefined ? [...this.#queues.values()] : [this.#queues.get(parseNodeId(to))].filter(q => q !== undefined)
    return queues.flatMap(queue => queue.messages.map(entry => this.#info(entry, queue))).sort((a, b) => a.enqueuedAt - b.enqueuedAt)
  }

  /**
   * Waits for the next attempt on message `id` to end, at most `timeoutMs`:
   * 'delivered' or 'dropped', or 'pending' when it failed, timed out here, or
   * nothing waits under that id. Lets a caller answer after the peer heard
   * when the peer is there, without waiting for one that is not.
   */
  async nextAttempt(id: string, timeoutMs: number): Promise<AttemptOutcome> {
    if (!this.#pendingIds.has(id) || this.#state !== 'running') return 'pending'
    return await new Promise<AttemptOutcome>(resolve => {
      const waiters = this.#attemptWaiters.get(id) ?? []
      const done = (outcome: AttemptOutcome): void => {
        this.#clock.clearTimeout(timer)
        const left = (this.#attemptWaiters.get(id) ?? []).filter(w => w !== done)
        if (left.length === 0) this.#attemptWaiters.delete(id)
        else this.#attemptWaiters.set(id, left)
        resolve(outcome)
      }
      const timer = this.#clock.setTimeout(() => {
        done('pending')
      }, timeoutMs)
      waiters.push(done)
      this.#attemptWaiters.set(id, waiters)
    })
  }

  /** When the next attempt to `to` is due (ms on the outbox clock), or undefined if nothing waits. */
  nextAttemptAt(to: NodeId): number | undefined {
    const queue = this.#queues.get(parseNodeId(to))
    return queue === undefined || queue.messages.length === 0 ? undefined : queue.nextAttemptAt
  }

  // ---- sending ----

  readonly #onConnect = (event: CustomEvent<NodeId>): void => {
    const queue = this.#queues.get(event.detail)
    if (queue === undefined || queue.messages.length === 0) return
    queue.nextAttemptAt = 0
    if (queue.inFlight !== undefined) queue.kicked = true
    else this.#schedule(queue)
  }

  #schedule(queue: PeerQueue): void {
    if (this.#state !== 'running' || queue.inFlight !== undefined) return
    if (queue.timer !== undefined) {
      this.#clock.clearTimeout(queue.timer)
      queue.timer = undefined
    }
    if (queue.messages.length === 0) {
      if (queue.reserved === 0) this.#queues.delete(queue.to)
      return
    }
    const wait = queue.nextAttemptAt - this.#clock.now()
    if (wait > 0) {
      queue.timer = this.#clock.setTimeout(() => {
        queue.timer = undefined
        this.#schedule(queue)
      }, wait)
      return
    }
    queue.kicked = false
    queue.inFlight = this.#attempt(queue)
      .catch(err => {
        this.#logger?.warn({ err, to: queue.to }, 'outbox: delivery attempt failed unexpectedly')
      })
      .finally(() => {
        queue.inFlight = undefined
        const retry = queue.retry
        queue.retry = undefined
        this.#schedule(queue)
        if (retry !== undefined) {
          this.#tellAttempt(retry.id, 'pending')
          this.safeDispatchEvent('message:retry', { detail: retry })
        }
      })
  }

  async #attempt(queue: PeerQueue): Promise<void> {
    const head = queue.messages[0]
    if (head === undefined) return
    const key = this.#store.pendingKey(head.seq)
    const record = await this.#store.get(key)
    if (!isPendingRecord(record)) {
      this.#logger?.warn({ key, id: head.id }, 'outbox: pending message missing or unreadable on disk; set aside')
      this.#remove(queue, head)
      return
    }
    let outcome: DeliveryOutcome
    try {
      const response = await this.#host.request(this.protocol, head.to, { kind: record.kind, envelope: record.envelope }, { signal: this.#abort.signal })
      outcome = response.result === 'ack' ? { result: 'ack' } : { result: 'refused', code: response.code, message: response.message }
    } catch (err) {
      if (this.#state !== 'running') return
      if (err instanceof RemoteError && PERMANENT_REMOTE_CODES.has(err.code)) {
        outcome = { result: 'refused', code: err.code, message: err.message.slice(0, MAX_REFUSAL_MESSAGE_LENGTH) }
      } else {
        this.#failed(queue, head, err)
        return
      }
    }
    try {
      await this.#settlers.get(record.kind)?.(record, outcome)
      await this.#store.write([{ type: 'del', key }], false)
    } catch (err) {
      this.#failed(queue, head, err)
      return
    }
    this.#remove(queue, head)
    queue.failures = 0
    queue.nextAttemptAt = 0
    const info = this.#info(head, queue)
    this.#tellAttempt(head.id, outcome.result === 'ack' ? 'delivered' : 'dropped')
    if (outcome.result === 'ack') {
      this.safeDispatchEvent('message:delivered', { detail: info })
    } else {
      this.#logger?.warn(
        { id: head.id, to: head.to, kind: head.kind, code: outcome.code, reason: outcome.message },
        'outbox: message refused by its recipient; dropped'
      )
      this.safeDispatchEvent('message:dropped', { detail: { ...info, code: outcome.code, reason: outcome.message } })
    }
  }

  #tellAttempt(id: string, outcome: AttemptOutcome): void {
    for (const wake of this.#attemptWaiters.get(id) ?? []) wake(outcome)
  }

  #failed(queue: PeerQueue, head: PendingEntry, err: unknown): void {
    queue.failures++
    const delayMs = queue.kicked ? 0 : backoffDelay(queue.failures, { minMs: this.#minRetryMs, maxMs: this.#maxRetryMs, random: this.#random })
    queue.nextAttemptAt = this.#clock.now() + delayMs
    queue.retry = { ...this.#info(head, queue), delayMs, error: (err as Error)?.message ?? String(err) }
  }

  #queueOf(to: NodeId): PeerQueue {
    let queue = this.#queues.get(to)
    if (queue === undefined) {
      queue = { to, messages: [], reserved: 0, failures: 0, nextAttemptAt: 0, kicked: false }
      this.#queues.set(to, queue)
    }
    return queue
  }

  #insert(entry: PendingEntry): PendingEntry {
    const queue = this.#queueOf(entry.to)
    let at = queue.messages.length
    while (at > 0 && queue.messages[at - 1]!.seq > entry.seq) at--
    queue.messages.splice(at, 0, entry)
    this.#pendingIds.add(entry.id)
    this.#pendingCount++
    return entry
  }

  #remove(queue: PeerQueue, entry: PendingEntry): void {
    const at = queue.messages.indexOf(entry)
    if (at < 0) return
    queue.messages.splice(at, 1)
    this.#pendingIds.delete(entry.id)
    this.#pendingCount--
  }

  #info(entry: PendingEntry, queue: PeerQueue): OutboxMessageInfo {
    return { id: entry.id, to: entry.to, kind: entry.kind, enqueuedAt: entry.enqueuedAt, failures: queue.failures }
  }

  // ---- receiving ----

  async #receive(request: OutboxRequest, from: NodeId): Promise<OutboxResponse> {
    const id = messageIdOf(this.#host.nodeId, request.kind, request.envelope as SignedEnvelope)
    if (this.#received.has(id)) {
      this.safeDispatchEvent('message:received', { detail: { id, from, kind: request.kind, duplicate: true } })
      return { result: 'ack' }
    }
    const handler = this.#handlers.get(request.kind)
    if (handler === undefined) return { result: 'refused', code: 'NotFound', message: `no messages of kind ${request.kind} are taken here` }
    // The same message on two streams at once is handled once.
    const running = this.#receiving.get(id)
    if (running !== undefined) return await running
    const work = this.#handleOnce(handler, request, from, id)
    this.#receiving.set(id, work)
    try {
      return await work
    } finally {
      this.#receiving.delete(id)
    }
  }

  async #handleOnce(handler: ReceiveHandler, request: OutboxRequest, from: NodeId, id: string): Promise<OutboxResponse> {
    try {
      await handler(request.envelope as SignedEnvelope, { from, id, kind: request.kind })
    } catch (err) {
      if (err instanceof MessageRefused) {
        this.#logger?.info({ id, from, kind: request.kind, code: err.code, reason: err.message }, 'outbox: message refused')
        return { result: 'refused', code: err.code, message: err.message.slice(0, MAX_REFUSAL_MESSAGE_LENGTH) }
      }
      // Internals stay here; the sender only learns to try again.
      const ref = randomUUID()
      this.#logger?.warn({ err, id, from, kind: request.kind, ref }, 'outbox: message not handled; the sender will retry')
      throw new HandlerError('Unavailable', `the message could not be handled now (ref ${ref}); try again later`)
    }
    await this.#remember(from, id)
    this.safeDispatchEvent('message:received', { detail: { id, from, kind: request.kind, duplicate: false } })
    return { result: 'ack' }
  }

  async #remember(from: NodeId, id: string): Promise<void> {
    const seq = ++this.#seq
    const key = this.#store.receivedKey(seq)
    const ops: StoreOp[] = [{ type: 'put', key, value: { seq, from, id } satisfies ReceivedRecord }]
    const oldest = this.#received.size >= this.#maxReceived ? this.#received.entries().next().value : undefined
    if (oldest !== undefined) ops.push({ type: 'del', key: oldest[1] })
    try {
      await this.#store.write(ops, false)
    } catch (err) {
      // Handled already: a lost dedupe record only means the handler may see it once more.
      this.#logger?.warn({ err, id }, 'outbox: received id not recorded')
      return
    }
    if (oldest !== undefined) this.#received.delete(oldest[0])
    this.#received.set(id, key)
  }
}

function isPendingRecord(value: unknown): value is PendingRecord {
  const r = value as Partial<PendingRecord> | undefined
  return (
    typeof r === 'object' &&
    r !== null &&
    Number.isSafeInteger(r.seq) &&
    typeof r.id === 'string' &&
    typeof r.to === 'string' &&
    typeof r.enqueuedAt === 'number' &&
    outboxRequest.check({ kind: r.kind, envelope: r.envelope })
  )
}

function isReceivedRecord(value: unknown): value is ReceivedRecord {
  const r = value as Partial<ReceivedRecord> | undefined
  return typeof r === 'object' && r !== null && Number.isSafeInteger(r.seq) && typeof r.id === 'string' && typeof r.from === 'string'
}

function describe(value: unknown): string {
  return JSON.stringify(value)?.slice(0, 200) ?? String(value)
}

function tryParse(request: unknown): string {
  try {
    outboxRequest.parse(request)
    return 'invalid'
  } catch (err) {
    return (err as Error).message
  }
}
