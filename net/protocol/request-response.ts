// One request, one response, over a fresh libp2p stream: the mechanism every
// module's protocol reuses. Both ends enforce the definition's size limits and
// timeout, check every frame against its schema on receipt, and count what a
// peer gets wrong against it (see PeerGuard).
import { TimeoutError } from '@libp2p/interface'
import { internalErrorText, newCorrelationId } from '../errors/correlation.ts'
import { parseNodeId } from '../identity/node-id.ts'
import { silentLogger } from '../logging/logger.ts'
import { SchemaError } from '../schema/validator.ts'
import { validatorsOf } from './definition.ts'
import {
  FRAME_VERSION, FrameError, MAX_ERROR_MESSAGE_LENGTH, readFrame, requestFrame, responseFrame, sendFrame
} from './frames.ts'
import { jsonBytes } from './json-bytes.ts'
import { NetError, RemoteError, peerAnswerOf } from './errors.ts'
import type { ErrorCode } from '../errors/codes.ts'
import type { Logger } from '../logging/logger.ts'
import type { ProtocolDefinition, ProtocolValidators } from './definition.ts'
import type { NodeId } from '../identity/node-id.ts'
import type { NodeDirectory } from '../peers/node-directory.ts'
import type { PeerGuard } from '../peers/peer-guard.ts'
import type { Connection, Libp2p, Stream } from '@libp2p/interface'
import type { Static, TSchema } from 'typebox'

export interface RequestContext {
  /** The node that asked; proven by the connection's key exchange. */
  from: NodeId
  /** Aborted when the definition's timeout passes. */
  signal: AbortSignal
}

export type RequestHandler<Req extends TSchema, Res extends TSchema> =
  (request: Static<Req>, context: RequestContext) => Promise<Static<Res>>

export interface RequestOptions {
  signal?: AbortSignal
}

/** Inbound streams allowed at once per protocol and connection. */
const MAX_INBOUND_STREAMS = 64

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
  #libp2p: Libp2p | undefined

  constructor (directory: NodeDirectory, guard: PeerGuard, logger: Logger = silentLogger) {
    this.#directory = directory
    this.#guard = guard
    this.#logger = logger
  }

  /** Registers every handler declared so far with a started libp2p node. */
  async start (libp2p: Libp2p): Promise<void> {
    this.#libp2p = libp2p
    for (const registration of this.#registrations.values()) await this.#register(libp2p, registration)
  }

  stop (): void {
    this.#libp2p = undefined
  }

  async handle<Req extends TSchema, Res extends TSchema> (definition: ProtocolDefinition<Req, Res>, handler: RequestHandler<Req, Res>): Promise<void> {
    if (this.#registrations.has(definition.name)) throw new Error(`${definition.name} already has a handler`)
    const registration: Registration = {
      definition,
      validators: validatorsOf(definition as ProtocolDefinition),
      handler: handler as unknown as RequestHandler<TSchema, TSchema>
    }
    this.#registrations.set(definition.name, registration)
    if (this.#libp2p !== undefined) await this.#register(this.#libp2p, registration)
  }

  async unhandle (definition: ProtocolDefinition): Promise<void> {
    if (!this.#registrations.delete(definition.name)) return
    await this.#libp2p?.unhandle(definition.name)
  }

  async request<Req extends TSchema, Res extends TSchema> (
    definition: ProtocolDefinition<Req, Res>, to: NodeId, request: Static<Req>, options: RequestOptions = {}
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
    const peerId = this.#directory.peerIdOf(target)
    if (peerId === undefined) {
      throw new NetError('Unreachable', `node ${target} unreachable: its peer id is not known (never connected, no signed message seen)`)
    }

    const timeout = AbortSignal.timeout(definition.timeoutMs)
    const signal = options.signal === undefined ? timeout : AbortSignal.any([options.signal, timeout])
    const failure = (err: unknown): Error => {
      if (timeout.aborted) return new NetError('PeerTimeout', `${definition.name} to ${target} timed out after ${definition.timeoutMs} ms`, { cause: err })
      if (signal.aborted) return new NetError('Aborted', `${definition.name} to ${target} aborted`, { cause: err })
      return err instanceof NetError || err instanceof RemoteError ? err : new NetError('StreamClosed', `${definition.name} to ${target} failed: the stream broke`, { cause: err })
    }

    let stream: Stream
    try {
      stream = await libp2p.dialProtocol(peerId, definition.name, { signal })
    } catch (err) {
      if (signal.aborted) throw failure(err)
      if ((err as Error).name === 'UnsupportedProtocolError') {
        throw new NetError('Unreachable', `node ${target} does not serve ${definition.name}`, { cause: err })
      }
      throw new NetError('Unreachable', `node ${target} unreachable: no connection could be made`, { cause: err })
    }
    const abort = (): void => { stream.abort(new TimeoutError('request aborted')) }
    signal.addEventListener('abort', abort, { once: true })
    try {
      await sendFrame(stream, bytes, { signal })
      const frame = await this.#readResponse(stream, definition, target)
      if (!frame.ok) throw new RemoteError(frame.error.code, frame.error.message, target)
      try {
        return validators.response.parse(frame.body)
      } catch (err) {
        this.#guard.violation(target, 'malformed')
        throw new NetError('MalformedResponse', `node ${target} sent an invalid response: ${messageOf(err)}`)
      }
    } catch (err) {
      throw failure(err)
    } finally {
      signal.removeEventListener('abort', abort)
      if (stream.status === 'open') stream.abort(new Error('exchange over'))
    }
  }

  async #readResponse (stream: Stream, definition: ProtocolDefinition, from: NodeId): Promise<Static<typeof responseFrame.schema>> {
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

  async #register (libp2p: Libp2p, registration: Registration): Promise<void> {
    await libp2p.handle(registration.definition.name, async (stream, connection) => {
      await this.#serve(registration, stream, connection)
    }, { maxInboundStreams: MAX_INBOUND_STREAMS })
  }

  async #serve ({ definition, validators, handler }: Registration, stream: Stream, connection: Connection): Promise<void> {
    const from = this.#directory.learnPeer(connection.remotePeer)
    if (from === undefined) {
      stream.abort(new Error('not an Agora node'))
      return
    }
    const controller = new AbortController()
    const timer = setTimeout(() => {
      controller.abort(new TimeoutError(`${definition.name} handler timed out after ${definition.timeoutMs} ms`))
      stream.abort(new TimeoutError('request timed out'))
    }, definition.timeoutMs)
    const reply = async (frame: unknown): Promise<void> => {
      await sendFrame(stream, jsonBytes(frame), { signal: controller.signal })
    }
    const refuse = async (code: ErrorCode, message: string): Promise<void> => {
      await reply({ v: FRAME_VERSION, ok: false, error: { code, message: message.slice(0, MAX_ERROR_MESSAGE_LENGTH) } })
    }
    // A fault of ours: the peer gets a reference, the log gets the error.
    const refuseInternally = async (err: unknown, what: string): Promise<void> => {
      const correlationId = newCorrelationId()
      this.#logger.error({ err, correlationId, protocol: definition.name, from }, what)
      await refuse('Internal', internalErrorText(correlationId))
    }
    try {
      if (!this.#guard.allowRequest(from)) {
        await refuse('RateLimited', 'too many requests; slow down')
        return
      }
      const request = await this.#readRequest(definition, validators, stream, from, refuse)
      if (request === undefined) return
      let response: unknown
      try {
        response = await handler(request.body, { from, signal: controller.signal })
      } catch (err) {
        if (controller.signal.aborted) return
        const answer = peerAnswerOf(err)
        if (answer === undefined) await refuseInternally(err, 'protocol handler failed')
        else await refuse(answer.code, answer.message)
        return
      }
      if (!validators.response.check(response)) {
        await refuseInternally(new Error(`the handler of ${definition.name} produced an invalid response`), 'protocol handler answered an invalid response')
        return
      }
      const bytes = jsonBytes({ v: FRAME_VERSION, ok: true, body: response })
      if (bytes.byteLength > definition.maxResponseBytes) {
        await refuse('ResponseTooLarge', `response of ${bytes.byteLength} bytes is over the ${definition.maxResponseBytes} allowed`)
        return
      }
      await sendFrame(stream, bytes, { signal: controller.signal })
    } catch (err) {
      stream.abort(err as Error)
    } finally {
      clearTimeout(timer)
    }
  }

  async #readRequest (
    definition: ProtocolDefinition, validators: ProtocolValidators<TSchema, TSchema>, stream: Stream, from: NodeId,
    refuse: (code: ErrorCode, message: string) => Promise<void>
  ): Promise<{ body: unknown } | undefined> {
    let raw: unknown
    try {
      raw = await readFrame(stream, definition.maxRequestBytes)
    } catch (err) {
      if (!(err instanceof FrameError)) throw err
      switch (err.code) {
        case 'PayloadTooLarge':
          this.#guard.violation(from, 'oversized')
          await refuse('PayloadTooLarge', `request larger than ${definition.maxRequestBytes} bytes`)
          return undefined
        case 'BadRequest':
          this.#guard.violation(from, 'malformed')
          await refuse('BadRequest', err.message)
          return undefined
        case 'StreamClosed':
          stream.abort(err)
          return undefined
      }
    }
    let frame
    try {
      frame = requestFrame.parse(raw)
    } catch (err) {
      this.#guard.violation(from, 'protocol')
      await refuse('BadRequest', messageOf(err))
      return undefined
    }
    try {
      return { body: validators.request.parse(frame.body) }
    } catch (err) {
      this.#guard.violation(from, 'malformed')
      await refuse('BadRequest', messageOf(err))
      return undefined
    }
  }
}

/** What a failed parse says (a SchemaError names the first problem; nothing else is shown). */
function messageOf (err: unknown): string {
  return err instanceof SchemaError ? err.message : 'it does not parse'
}
