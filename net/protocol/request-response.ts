// One request, one response, over a fresh libp2p stream (or, for a long-lived
// protocol, over the one stream kept open to that peer: channel.ts): the
// mechanism every module's protocol reuses. Both ends enforce the definition's size limits and
// timeout, check every frame against its schema on receipt, and count what a
// peer gets wrong against it (see PeerGuard). Inbound, the cheap checks come
// first, before a byte of the request is read: a banned node is cut off, and a
// node over its request rate, or with too many requests in flight (or the
// whole node with too many), is answered RateLimited. A forged envelope or a
// malformed payload a handler finds is counted against the caller too.
import { TimeoutError } from '@libp2p/interface'
import * as lp from 'it-length-prefixed'
import { raceSignal } from 'race-signal'
import { EnvelopeError } from '../envelope/envelope.ts'
import { internalErrorText, newCorrelationId } from '../errors/correlation.ts'
import { parseNodeId } from '../identity/node-id.ts'
import { silentLogger } from '../logging/logger.ts'
import { deadlineSignal } from '../events/deadline.ts'
import { SchemaError } from '../schema/validator.ts'
import { validatorsOf } from './definition.ts'
import { FRAME_VERSION, FrameError, MAX_ERROR_MESSAGE_LENGTH, readFrame, requestFrame, responseFrame, sendFrame } from './frames.ts'
import { jsonBytes, parseJsonBytes } from './json-bytes.ts'
import { Channel } from './channel.ts'
import { channelRequestFrame } from './channel-frames.ts'
import { NetError, RemoteError, peerAnswerOf } from './errors.ts'
import type { ErrorCode } from '../errors/codes.ts'
import type { Logger } from '../logging/logger.ts'
import type { ProtocolDefinition, ProtocolValidators } from './definition.ts'
import type { NodeId } from '../identity/node-id.ts'
import type { NodeDirectory } from '../peers/node-directory.ts'
import type { PeerGuard, ViolationKind } from '../peers/peer-guard.ts'
import type { Connection, Libp2p, PeerId, Stream } from '@libp2p/interface'
import type { Static, TSchema } from 'typebox'

export interface RequestContext {
  /** The node that asked; proven by the connection's key exchange. */
  from: NodeId
  /** Aborted when the definition's timeout passes, or when the host stops. */
  signal: AbortSignal
  /** Counts a violation only the handler can see (e.g. a valid signature by the wrong node) against the caller. */
  penalise: (kind: ViolationKind) => void
}

export type RequestHandler<Req extends TSchema, Res extends TSchema> = (request: Static<Req>, context: RequestContext) => Promise<Static<Res>>

export interface RequestOptions {
  signal?: AbortSignal
}

/** Requests handled at once; beyond them a request is answered RateLimited without being read. */
export interface InboundLimits {
  perNode: number
  total: number
}

// A long wait (an activity's batch results, up to five minutes) holds a slot.
export const DEFAULT_INBOUND_LIMITS: InboundLimits = { perNode: 64, total: 512 }

/**
 * Streams libp2p lets in at once per protocol and connection. Above our own
 * per-node limit, so that a node over it gets an answer (RateLimited) rather
 * than a reset stream.
 */
const MAX_INBOUND_STREAMS = 256

/** Channels of one long-lived protocol a connection may hold at once (one is all a requester opens). */
const MAX_INBOUND_CHANNELS = 4

/**
 * How long a request that may not go over a relay waits for a direct
 * connection when a relayed one is all there is: DCUtR tries to punch one
 * through as soon as the relayed connection opens, three times at most.
 */
export const DIRECT_CONNECTION_WAIT_MS = 15_000

interface Registration {
  definition: ProtocolDefinition
  /** Compiled once at handle(), not looked up per request. */
  validators: ProtocolValidators<TSchema, TSchema>
  handler: RequestHandler<TSchema, TSchema>
}

export class RequestResponse {
  readonly #directory: NodeDirectory
  readonly #guard: PeerGuard
  readonly #registrations = new Map<string, Registration>()
  readonly #logger: Logger
  readonly #limits: InboundLimits
  readonly #inFlight = new Map<NodeId, number>()
  #inFlightTotal = 0
  /** Ends each request being handled now: called by stop(). */
  readonly #endInFlight = new Set<() => void>()
  #libp2p: Libp2p | undefined
  readonly #directWaitMs: number
  /** The channels of long-lived protocols, by protocol and node; each entry is the channel's opening. */
  readonly #channels = new Map<string, Promise<Channel>>()

  constructor(
    directory: NodeDirectory,
    guard: PeerGuard,
    logger: Logger = silentLogger,
    limits: Partial<InboundLimits> = {},
    directWaitMs = DIRECT_CONNECTION_WAIT_MS
  ) {
    this.#directWaitMs = directWaitMs
    this.#directory = directory
    this.#guard = guard
    this.#logger = logger
    this.#limits = { ...DEFAULT_INBOUND_LIMITS, ...limits }
    for (const limit of ['perNode', 'total'] as const) {
      if (!Number.isSafeInteger(this.#limits[limit]) || this.#limits[limit] <= 0)
        throw new RangeError(`inbound ${limit} must be a positive integer, not ${this.#limits[limit]}`)
    }
  }

  /** Inbound requests being handled now (for tests and metrics). */
  get inFlight(): number {
    return this.#inFlightTotal
  }

  /** Registers every handler declared so far with a started libp2p node. */
  async start(libp2p: Libp2p): Promise<void> {
    this.#libp2p = libp2p
    for (const registration of this.#registrations.values()) await this.#register(libp2p, registration)
  }

  /**
   * Stops serving, and ends every request being handled: a handler waiting
   * (an activity's batch results wait up to five minutes) sees its signal
   * aborted, and its timer no longer keeps the process alive.
   */
  stop(): void {
    this.#libp2p = undefined
    for (const end of [...this.#endInFlight]) end()
    for (const opening of this.#channels.values()) {
      void opening.then(
        channel => {
          channel.close('this node is stopping')
        },
        () => undefined
      )
    }
    this.#channels.clear()
  }

  async handle<Req extends TSchema, Res extends TSchema>(definition: ProtocolDefinition<Req, Res>, handler: RequestHandler<Req, Res>): Promise<void> {
    if (this.#registrations.has(definition.name)) throw new Error(`${definition.name} already has a handler`)
    const registration: Registration = {
      definition,
      validators: validatorsOf(definition as ProtocolDefinition),
      handler: handler as unknown as RequestHandler<TSchema, TSchema>
    }
    this.#registrations.set(definition.name, registration)
    if (this.#libp2p !== undefined) await this.#register(this.#libp2p, registration)
  }

  async unhandle(definition: ProtocolDefinition): Promise<void> {
    if (!this.#registrations.delete(definition.name)) return
    await this.#libp2p?.unhandle(definition.name)
  }

  async request<Req extends TSchema, Res extends TSchema>(
    definition: ProtocolDefinition<Req, Res>,
    to: NodeId,
    request: Static<Req>,
    options: RequestOptions = {}
  ): Promise<Static<Res>> {
    const libp2p = this.#libp2p
    if (libp2p === undefined) throw new NetError('NotStarted', 'the network host is not started')
    const target = parseNodeId(to)
    const validators = validatorsOf(definition)
    validators.request.parse(request)
    const bytes = jsonBytes({ v: FRAME_VERSION, body: request })
    if (bytes.byteLength > definition.maxRequestBytes) {
      throw new NetError('PayloadTooLarge', `${definition.name} request is ${bytes.byteLength} bytes, over the ${definition.maxRequestBytes} allowed`)
    }
    // A timer cleared when the exchange ends: AbortSignal.timeout's fires all
    // the same later on, and makes an error (with its stack) for nothing.
    const deadline = deadlineSignal(definition.timeoutMs, () => new TimeoutError(`${definition.name} timed out`))
    try {
      return await this.#exchange(libp2p, definition, target, request, bytes, deadline.signal, options.signal, validators)
    } finally {
      deadline.clear()
    }
  }

  async #exchange<Req extends TSchema, Res extends TSchema>(
    libp2p: Libp2p,
    definition: ProtocolDefinition<Req, Res>,
    target: NodeId,
    request: Static<Req>,
    bytes: Uint8Array,
    timeout: AbortSignal,
    callerSignal: AbortSignal | undefined,
    validators: ProtocolValidators<Req, Res>
  ): Promise<Static<Res>> {
    const peerId = this.#directory.peerIdOf(target)
    if (peerId === undefined) {
      throw new NetError('Unreachable', `node ${target} unreachable: its peer id is not known (never connected, no signed message seen)`)
    }
    const signal = callerSignal === undefined ? timeout : AbortSignal.any([callerSignal, timeout])
    const failure = (err: unknown): Error => {
      if (timeout.aborted) return new NetError('PeerTimeout', `${definition.name} to ${target} timed out after ${definition.timeoutMs} ms`, { cause: err })
      if (signal.aborted) return new NetError('Aborted', `${definition.name} to ${target} aborted`, { cause: err })
      return err instanceof NetError || err instanceof RemoteError
        ? err
        : new NetError('StreamClosed', `${definition.name} to ${target} failed: the stream broke`, { cause: err })
    }
    if (definition.longLived === true) {
      let channel: Channel | undefined
      try {
        channel = await raceSignal(this.#channelTo(libp2p, peerId, target, definition), signal)
        return this.#interpret(await channel.exchange(request, signal), target, validators)
      } catch (err) {
        // The server ends the channel at the same timeout: the requests after this one would go down with it.
        if (timeout.aborted) channel?.close(`${definition.name} to ${target} timed out`)
        throw failure(err)
      }
    }
    const stream = await this.#open(libp2p, peerId, target, definition, signal, failure)
    const abort = (): void => {
      stream.abort(new TimeoutError('request aborted'))
    }
    signal.addEventListener('abort', abort, { once: true })
    try {
      await sendFrame(stream, bytes, { signal })
      return this.#interpret(await this.#readResponse(stream, definition, target), target, validators)
    } catch (err) {
      throw failure(err)
    } finally {
      signal.removeEventListener('abort', abort)
      if (stream.status === 'open') stream.abort(new Error('exchange over'))
    }
  }

  /** The body of an answer, checked against its schema; a refusal as the peer's error. */
  #interpret<Res extends TSchema>(
    frame: { ok: true; body: unknown } | { ok: false; error: { code: string; message: string } },
    target: NodeId,
    validators: ProtocolValidators<TSchema, Res>
  ): Static<Res> {
    if (!frame.ok) throw new RemoteError(frame.error.code, frame.error.message, target)
    try {
      return validators.response.parse(frame.body)
    } catch (err) {
      this.#guard.violation(target, 'malformed')
      throw new NetError('MalformedResponse', `node ${target} sent an invalid response: ${messageOf(err)}`)
    }
  }

  async #open(
    libp2p: Libp2p,
    peerId: PeerId,
    target: NodeId,
    definition: ProtocolDefinition,
    signal: AbortSignal,
    failure: (err: unknown) => Error
  ): Promise<Stream> {
    try {
      return await openStream(libp2p, peerId, target, definition, signal, this.#directWaitMs)
    } catch (err) {
      if (signal.aborted) throw failure(err)
      if (err instanceof NetError) throw err
      if ((err as Error).name === 'UnsupportedProtocolError') {
        throw new NetError('Unreachable', `node ${target} does not serve ${definition.name}`, { cause: err })
      }
      if ((err as Error).name === 'LimitedConnectionError') throw relayedOnly(target, definition)
      throw new NetError('Unreachable', `node ${target} unreachable: no connection could be made`, { cause: err })
    }
  }

  /**
   * The open channel to the peer for a long-lived protocol, or a new one.
   * One opening at a time per peer, with a timeout of its own: the callers
   * waiting on it each give up on their own signal, not on the first
   * caller's; when it fails, they fail with it.
   */
  async #channelTo(libp2p: Libp2p, peerId: PeerId, target: NodeId, definition: ProtocolDefinition): Promise<Channel> {
    const key = `${definition.name} ${target}`
    const current = this.#channels.get(key)
    if (current !== undefined) {
      const channel = await current
      if (!channel.ended) return channel
      if (this.#channels.get(key) !== current) return await this.#channelTo(libp2p, peerId, target, definition)
    }
    const deadline = deadlineSignal(definition.timeoutMs)
    const signal = deadline.signal
    const failure = (err: unknown): Error =>
      signal.aborted
        ? new NetError('PeerTimeout', `opening a ${definition.name} channel to ${target} timed out after ${definition.timeoutMs} ms`, { cause: err })
        : (err as Error)
    const forget = (): void => {
      if (this.#channels.get(key) === opening) this.#channels.delete(key)
    }
    const opening = this.#open(libp2p, peerId, target, definition, signal, failure).then(stream => new Channel(stream, definition, target, this.#guard, forget))
    this.#channels.set(key, opening)
    opening.catch(forget)
    // The deadline is the opening's: it ends once the channel is open or has failed.
    opening.then(deadline.clear, deadline.clear)
    return await opening
  }

  async #readResponse(stream: Stream, definition: ProtocolDefinition, from: NodeId): Promise<Static<typeof responseFrame.schema>> {
    let raw: unknown
    try {
      raw = await readFrame(stream, definition.maxResponseBytes)
    } catch (err) {
      if (!(err instanceof FrameError)) throw err
      switch (err.code) {
        case 'PayloadTooLarge':
          this.#guard.violation(from, 'oversized')
          throw new NetError('ResponseTooLarge', `${definition.name} response too large (over ${definition.maxResponseBytes} bytes) from ${from}`)
        case 'BadRequest':
          this.#guard.violation(from, 'malformed')
          throw new NetError('MalformedResponse', `node ${from} sent a malformed frame: ${err.message}`)
        case 'StreamClosed':
          throw new NetError('StreamClosed', `node ${from} closed the stream without answering ${definition.name}`)
      }
    }
    try {
      return responseFrame.parse(raw)
    } catch (err) {
      this.#guard.violation(from, 'protocol')
      throw new NetError('MalformedResponse', `node ${from} sent a bad response frame: ${messageOf(err)}`)
    }
  }

  async #register(libp2p: Libp2p, registration: Registration): Promise<void> {
    const longLived = registration.definition.longLived === true
    await libp2p.handle(
      registration.definition.name,
      async (stream, connection) => {
        const from = this.#directory.learnPeer(connection.remotePeer)
        if (from === undefined || this.#guard.isBanned(from)) {
          stream.abort(new Error('refused'))
          return
        }
        if (longLived) await this.#serveChannel(registration, stream, from)
        else await this.#counted(from, async busy => await this.#serve(registration, stream, from, busy))
      },
      { maxInboundStreams: longLived ? MAX_INBOUND_CHANNELS : MAX_INBOUND_STREAMS, runOnLimitedConnection: registration.definition.overRelay === true }
    )
  }

  /** Runs the handling of one request, counted against the limits of requests at once; `busy` says it is over them. */
  async #counted<T>(from: NodeId, handle: (busy: boolean) => Promise<T>): Promise<T> {
    const inFlight = this.#inFlight.get(from) ?? 0
    const busy = inFlight >= this.#limits.perNode || this.#inFlightTotal >= this.#limits.total
    this.#inFlight.set(from, inFlight + 1)
    this.#inFlightTotal++
    try {
      return await handle(busy)
    } finally {
      this.#inFlightTotal--
      const left = (this.#inFlight.get(from) ?? 1) - 1
      if (left <= 0) this.#inFlight.delete(from)
      else this.#inFlight.set(from, left)
    }
  }

  /** One request on a stream of its own. */
  async #serve(registration: Registration, stream: Stream, from: NodeId, busy: boolean): Promise<void> {
    const { definition } = registration
    const { controller, timer } = handlerDeadline(definition, stream)
    const end = (): void => {
      clearTimeout(timer)
      controller.abort(new NetError('Aborted', 'this node is stopping'))
      stream.abort(new NetError('Aborted', 'this node is stopping'))
    }
    this.#endInFlight.add(end)
    const reply = async (answer: Answer): Promise<void> => {
      await sendFrame(stream, frameOf(definition, answer), { signal: controller.signal })
    }
    try {
      // Before the request is read: a flood costs us no parse and no signature check.
      const refused = this.#refusalUnread(from, busy)
      if (refused !== undefined) {
        await reply(refused)
        return
      }
      const read = await this.#readRequest(definition, stream, from)
      if (read === undefined) return
      if ('refusal' in read) {
        await reply(read.refusal)
        return
      }
      const outcome = await this.#answer(registration, from, read.body, controller.signal)
      if (outcome === undefined) return
      // Answered first: counting the violation may ban the node and cut the connection.
      await reply(outcome.answer).finally(() => {
        this.#countHandlerFinding(from, outcome.finding)
      })
    } catch (err) {
      stream.abort(err as Error)
    } finally {
      clearTimeout(timer)
      this.#endInFlight.delete(end)
    }
  }

  /**
   * The requests of a long-lived protocol's channel, one after another: the
   * next frame is not read until this one is answered, so a peer that sends
   * faster than it is answered is held back by the stream itself. Each
   * request meets the same checks, limits and timeout as one on a stream of
   * its own; a frame that is not one ends the channel.
   */
  async #serveChannel(registration: Registration, stream: Stream, from: NodeId): Promise<void> {
    const { definition } = registration
    let current: AbortController | undefined
    const end = (): void => {
      current?.abort(new NetError('Aborted', 'this node is stopping'))
      stream.abort(new NetError('Aborted', 'this node is stopping'))
    }
    this.#endInFlight.add(end)
    try {
      for await (const chunk of lp.decode(stream, { maxDataLength: definition.maxRequestBytes })) {
        if (this.#guard.isBanned(from)) {
          stream.abort(new Error('refused'))
          return
        }
        let frame: unknown
        try {
          frame = parseJsonBytes(chunk.subarray())
        } catch {
          this.#guard.violation(from, 'malformed')
          stream.abort(new Error('a channel frame that is not UTF-8 JSON'))
          return
        }
        if (!channelRequestFrame.check(frame)) {
          this.#guard.violation(from, 'protocol')
          stream.abort(new Error('not a channel request frame'))
          return
        }
        const request = frame
        const { controller, timer } = handlerDeadline(definition, stream)
        current = controller
        try {
          const answered = await this.#counted(from, async busy => {
            const refused = this.#refusalUnread(from, busy)
            const outcome = refused === undefined ? await this.#answer(registration, from, request.body, controller.signal) : { answer: refused }
            if (outcome === undefined) return false
            try {
              if (!stream.send(lp.encode.single(frameOf(definition, outcome.answer, request.n)))) await stream.onDrain({ signal: controller.signal })
            } finally {
              this.#countHandlerFinding(from, outcome.finding)
            }
            return true
          })
          if (!answered) return
        } finally {
          clearTimeout(timer)
          current = undefined
        }
      }
      await stream.close()
    } catch (err) {
      if ((err as Error).name === 'InvalidDataLengthError') this.#guard.violation(from, 'oversized')
      stream.abort(err as Error)
    } finally {
      this.#endInFlight.delete(end)
    }
  }

  /** Why a request is refused before a byte of it is looked at, if it is. */
  #refusalUnread(from: NodeId, busy: boolean): Answer | undefined {
    if (!this.#guard.allowRequest(from)) return refusal('RateLimited', 'too many requests; slow down')
    if (busy) return refusal('RateLimited', 'too many requests at once; try again later')
    return undefined
  }

  /**
   * What the handler answers to a request's body (checked against the
   * schema first), or why it does not; with what the handler found wrong
   * with the caller, to count once the answer is sent. Undefined when the
   * exchange was cut short (timeout, stop).
   */
  async #answer(
    { definition, validators, handler }: Registration,
    from: NodeId,
    body: unknown,
    signal: AbortSignal
  ): Promise<{ answer: Answer; finding?: unknown } | undefined> {
    let request: unknown
    try {
      request = validators.request.parse(body)
    } catch (err) {
      this.#guard.violation(from, 'malformed')
      return { answer: refusal('BadRequest', messageOf(err)) }
    }
    let response: unknown
    try {
      response = await handler(request, {
        from,
        signal,
        penalise: kind => {
          this.#guard.violation(from, kind)
        }
      })
    } catch (err) {
      if (signal.aborted) return undefined
      const answer = peerAnswerOf(err)
      if (answer === undefined) return { answer: this.#internal(err, definition, from, 'protocol handler failed') }
      return { answer: refusal(answer.code, answer.message), finding: err }
    }
    if (!validators.response.check(response)) {
      const err = new Error(`the handler of ${definition.name} produced an invalid response`)
      return { answer: this.#internal(err, definition, from, 'protocol handler answered an invalid response') }
    }
    return { answer: { ok: true, body: response } }
  }

  /** A fault of ours: the peer gets a reference, the log gets the error. */
  #internal(err: unknown, definition: ProtocolDefinition, from: NodeId, what: string): Answer {
    const correlationId = newCorrelationId()
    this.#logger.error({ err, correlationId, protocol: definition.name, from }, what)
    return refusal('Internal', internalErrorText(correlationId))
  }

  /**
   * What a handler found wrong with the caller's request counts against the
   * caller as the layer's own checks would: an envelope that does not verify
   * is forged, a payload that fails its schema is malformed.
   */
  #countHandlerFinding(from: NodeId, err: unknown): void {
    if (err instanceof EnvelopeError) this.#guard.violation(from, 'forged')
    else if (err instanceof SchemaError) this.#guard.violation(from, 'malformed')
  }

  /** The request frame of a stream of its own: its body, or the refusal to send (the violation counted), or undefined when the stream broke. */
  async #readRequest(definition: ProtocolDefinition, stream: Stream, from: NodeId): Promise<{ body: unknown } | { refusal: Answer } | undefined> {
    let raw: unknown
    try {
      raw = await readFrame(stream, definition.maxRequestBytes)
    } catch (err) {
      if (!(err instanceof FrameError)) throw err
      switch (err.code) {
        case 'PayloadTooLarge':
          this.#guard.violation(from, 'oversized')
          return { refusal: refusal('PayloadTooLarge', `request larger than ${definition.maxRequestBytes} bytes`) }
        case 'BadRequest':
          this.#guard.violation(from, 'malformed')
          return { refusal: refusal('BadRequest', err.message) }
        case 'StreamClosed':
          stream.abort(err)
          return undefined
      }
    }
    try {
      return { body: requestFrame.parse(raw).body }
    } catch (err) {
      this.#guard.violation(from, 'protocol')
      return { refusal: refusal('BadRequest', messageOf(err)) }
    }
  }
}

/**
 * A handler's time: past the definition's timeout its signal is aborted and
 * its stream with it (the requester has given up by then too).
 */
function handlerDeadline(definition: ProtocolDefinition, stream: Stream): { controller: AbortController; timer: NodeJS.Timeout } {
  const controller = new AbortController()
  const timer = setTimeout(() => {
    controller.abort(new TimeoutError(`${definition.name} handler timed out after ${definition.timeoutMs} ms`))
    stream.abort(new TimeoutError('request timed out'))
  }, definition.timeoutMs)
  return { controller, timer }
}

/** A handler's answer, or the refusal sent in its place. */
type Answer = { ok: true; body: unknown } | { ok: false; error: { code: ErrorCode; message: string } }

function refusal(code: ErrorCode, message: string): Answer {
  return { ok: false, error: { code, message: message.slice(0, MAX_ERROR_MESSAGE_LENGTH) } }
}

/** An answer as a frame (with the request's number, on a channel); one over the size limit becomes a refusal. */
function frameOf(definition: ProtocolDefinition, answer: Answer, n?: number): Uint8Array {
  const head = n === undefined ? { v: FRAME_VERSION } : { v: FRAME_VERSION, n }
  const bytes = jsonBytes({ ...head, ...answer })
  if (!answer.ok || bytes.byteLength <= definition.maxResponseBytes) return bytes
  return jsonBytes({ ...head, ...refusal('ResponseTooLarge', `response of ${bytes.byteLength} bytes is over the ${definition.maxResponseBytes} allowed`) })
}

/**
 * A stream to the peer over the connection the protocol may use: a direct one
 * first; a relayed one only if the protocol may go over a relay, else the
 * direct one hole punching brings. With no connection at all, libp2p dials.
 */
async function openStream(
  libp2p: Libp2p,
  peerId: PeerId,
  target: NodeId,
  definition: ProtocolDefinition,
  signal: AbortSignal,
  directWaitMs: number
): Promise<Stream> {
  const overRelay = definition.overRelay === true
  const open = libp2p.getConnections(peerId).filter(connection => connection.status === 'open')
  const direct = open.find(connection => connection.limits === undefined)
  if (direct !== undefined) return await direct.newStream(definition.name, { signal })
  const relayed = open[0]
  if (relayed === undefined) return await dialAfresh(libp2p, peerId, definition, signal)
  if (overRelay) return await relayed.newStream(definition.name, { signal, runOnLimitedConnection: true })
  const wait = deadlineSignal(directWaitMs)
  const upgraded = await directConnection(libp2p, peerId, AbortSignal.any([signal, wait.signal])).finally(wait.clear)
  if (upgraded === undefined) throw relayedOnly(target, definition, directWaitMs)
  return await upgraded.newStream(definition.name, { signal })
}

/**
 * Dials the peer; when none of the addresses known for it answers, asks the
 * DHT for its current ones and dials once more. The addresses a node heard
 * first may be stale: a node behind a NAT is heard of by its private address
 * before it holds a relay reservation, and the relay address it advertises
 * next reaches only the peers connected to it (and the DHT, through them).
 */
async function dialAfresh(libp2p: Libp2p, peerId: PeerId, definition: ProtocolDefinition, signal: AbortSignal): Promise<Stream> {
  const options = { signal, runOnLimitedConnection: definition.overRelay === true }
  try {
    return await libp2p.dialProtocol(peerId, definition.name, options)
  } catch (err) {
    const name = (err as Error).name
    if (signal.aborted || name === 'UnsupportedProtocolError' || name === 'LimitedConnectionError') throw err
    const found = await libp2p.peerRouting.findPeer(peerId, { signal, useCache: false }).catch(() => undefined)
    if (found === undefined || found.multiaddrs.length === 0) throw err
    return await libp2p.dialProtocol(peerId, definition.name, options)
  }
}

/** The next direct connection to the peer, or undefined when the signal ends the wait. */
async function directConnection(libp2p: Libp2p, peerId: PeerId, signal: AbortSignal): Promise<Connection | undefined> {
  return await new Promise(resolve => {
    const done = (connection: Connection | undefined): void => {
      libp2p.removeEventListener('connection:open', onOpen)
      signal.removeEventListener('abort', onAbort)
      resolve(connection)
    }
    const onOpen = (event: CustomEvent<Connection>): void => {
      const connection = event.detail
      if (connection.remotePeer.equals(peerId) && connection.limits === undefined) done(connection)
    }
    const onAbort = (): void => {
      done(undefined)
    }
    libp2p.addEventListener('connection:open', onOpen)
    signal.addEventListener('abort', onAbort, { once: true })
    // It may have come while this request looked at the connections.
    const already = libp2p.getConnections(peerId).find(connection => connection.status === 'open' && connection.limits === undefined)
    if (already !== undefined) done(already)
    else if (signal.aborted) done(undefined)
  })
}

function relayedOnly(target: string, definition: ProtocolDefinition, waitedMs?: number): NetError {
  const waited = waitedMs === undefined ? '' : ` (none came within ${waitedMs} ms)`
  return new NetError(
    'Unreachable',
    `node ${target} is reachable only through a relay, and ${definition.name} needs a direct connection${waited}: hole punching did not get through its NAT or ours`
  )
}

/** What a failed parse says (a SchemaError names the first problem; nothing else is shown). */
function messageOf(err: unknown): string {
  return err instanceof SchemaError ? err.message : 'it does not parse'
}
