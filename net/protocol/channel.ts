// One long-lived stream to a peer, carrying many exchanges of one protocol
// (channel-frames.ts). A fresh stream per request costs a round trip of
// protocol negotiation, and the stream's setup and teardown at both ends,
// every time; a protocol asked often and in small pieces (the bodies pulled
// for each announcement) pays that once per peer instead. Requests go out as
// they come; the peer answers them in turn, reading the next only once it has
// answered the last, so that what waits is held back by the stream's own flow
// control: a requester's unanswered requests are bounded by its callers, and
// the server's by one.
import * as lp from 'it-length-prefixed'
import { FRAME_VERSION } from './frames.ts'
import { channelResponseFrame } from './channel-frames.ts'
import { jsonBytes, parseJsonBytes } from './json-bytes.ts'
import { NetError } from './errors.ts'
import type { Static } from 'typebox'
import type { Stream } from '@libp2p/interface'
import type { NodeId } from '../identity/node-id.ts'
import type { PeerGuard } from '../peers/peer-guard.ts'
import type { ProtocolDefinition } from './definition.ts'

export type ChannelResponse = Static<typeof channelResponseFrame.schema>

interface Pending {
  resolve: (frame: ChannelResponse) => void
  reject: (err: Error) => void
}

export class Channel {
  readonly #stream: Stream
  readonly #definition: ProtocolDefinition
  readonly #peer: NodeId
  readonly #guard: PeerGuard
  readonly #pending = new Map<number, Pending>()
  /** The number of the last request sent: an answer numbered above it answers nothing. */
  #sent = 0
  #failure: NetError | undefined

  /** Reads the peer's answers until the stream ends; `onEnd` runs then. */
  constructor(stream: Stream, definition: ProtocolDefinition, peer: NodeId, guard: PeerGuard, onEnd: () => void) {
    this.#stream = stream
    this.#definition = definition
    this.#peer = peer
    this.#guard = guard
    void this.#read().finally(onEnd)
  }

  /** Whether it takes no more requests: its stream ended, or is ending. */
  get ended(): boolean {
    return this.#failure !== undefined || this.#stream.status !== 'open'
  }

  /** Sends one request and waits for its answer frame; the signal gives up on it (the channel stays). */
  async exchange(body: unknown, signal: AbortSignal): Promise<ChannelResponse> {
    if (this.#failure !== undefined) throw this.#failure
    const n = ++this.#sent
    const bytes = jsonBytes({ v: FRAME_VERSION, n, body })
    if (bytes.byteLength > this.#definition.maxRequestBytes) {
      throw new NetError(
        'PayloadTooLarge',
        `${this.#definition.name} request is ${bytes.byteLength} bytes, over the ${this.#definition.maxRequestBytes} allowed`
      )
    }
    const answer = Promise.withResolvers<ChannelResponse>()
    // Rejected by the reader when the stream ends, perhaps before it is awaited.
    answer.promise.catch(() => undefined)
    this.#pending.set(n, answer)
    const giveUp = (): void => {
      this.#pending.delete(n)
      answer.reject(signal.reason as Error)
    }
    signal.addEventListener('abort', giveUp, { once: true })
    try {
      if (signal.aborted) giveUp()
      else if (!this.#stream.send(lp.encode.single(bytes))) await this.#stream.onDrain({ signal })
      return await answer.promise
    } finally {
      signal.removeEventListener('abort', giveUp)
      this.#pending.delete(n)
    }
  }

  /** Ends the channel: every request waiting fails. */
  close(reason: string): void {
    this.#end(new NetError('StreamClosed', reason))
    this.#stream.abort(new Error(reason))
  }

  async #read(): Promise<void> {
    try {
      for await (const chunk of lp.decode(this.#stream, { maxDataLength: this.#definition.maxResponseBytes })) {
        this.#take(chunk.subarray())
        if (this.#failure !== undefined) return
      }
      this.#end(new NetError('StreamClosed', `node ${this.#peer} closed its ${this.#definition.name} channel`))
    } catch (err) {
      if ((err as Error).name === 'InvalidDataLengthError') {
        this.#guard.violation(this.#peer, 'oversized')
        this.#end(
          new NetError('ResponseTooLarge', `${this.#definition.name} response too large (over ${this.#definition.maxResponseBytes} bytes) from ${this.#peer}`)
        )
      } else {
        this.#end(new NetError('StreamClosed', `${this.#definition.name} channel to ${this.#peer} broke`, { cause: err }))
      }
    } finally {
      if (this.#stream.status === 'open') this.#stream.abort(new Error('channel over'))
    }
  }

  #take(bytes: Uint8Array): void {
    let raw: unknown
    try {
      raw = parseJsonBytes(bytes)
    } catch {
      this.#guard.violation(this.#peer, 'malformed')
      this.#end(new NetError('MalformedResponse', `node ${this.#peer} sent a malformed frame: it is not UTF-8 JSON`))
      return
    }
    if (!channelResponseFrame.check(raw)) {
      this.#guard.violation(this.#peer, 'protocol')
      this.#end(new NetError('MalformedResponse', `node ${this.#peer} sent a bad ${this.#definition.name} channel frame`))
      return
    }
    const pending = this.#pending.get(raw.n)
    if (pending !== undefined) {
      this.#pending.delete(raw.n)
      pending.resolve(raw)
    } else if (raw.n > this.#sent) {
      this.#guard.violation(this.#peer, 'protocol')
      this.#end(new NetError('MalformedResponse', `node ${this.#peer} answered request ${raw.n}, which was never sent`))
    }
    // Else a late answer to a request whose caller gave up.
  }

  #end(failure: NetError): void {
    if (this.#failure !== undefined) return
    this.#failure = failure
    for (const pending of this.#pending.values()) pending.reject(failure)
    this.#pending.clear()
  }
}
