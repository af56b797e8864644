// The aggregator on the requester's daemon: creates sessions (a bounded
// number live at once), answers the owners over `/agora/secagg/1`, and keeps
// each ended session a while for reading. It only ever holds masked inputs,
// their sum, boxes it cannot open, and per owner one kind of share.
import { CodedError, deadlineSignal, parseNodeId, silentLogger, systemClock } from '../../net/index.ts'
import type { Clock, Logger, NetHost, RequestContext } from '../../net/index.ts'
import { AggregatorSession } from './aggregator-session.ts'
import type { SessionView } from './aggregator-session.ts'
import { DEFAULT_FRACTIONAL_BITS } from './fixed-point.ts'
import { MAX_PARTICIPANTS, MAX_ROUND_TIMEOUT_MS, MAX_VECTOR_LENGTH, MIN_ROUND_TIMEOUT_MS, SECAGG_PROTOCOL, sessionUrl } from './messages.ts'
import type { SecaggRequest, SecaggResponse, SessionTerms } from './messages.ts'

export const DEFAULT_ROUND_TIMEOUT_MS = 60_000

export interface SessionRequest {
  readonly participants: readonly string[]
  readonly threshold: number
  readonly length: number
  readonly fractionalBits?: number
  readonly roundTimeoutMs?: number
}

export interface AggregatorOptions {
  /** Round deadlines and how long ended sessions are kept run on this clock. */
  clock?: Clock
  logger?: Logger
  /** Sessions open at once (default 16). */
  maxLiveSessions?: number
  /** How long an ended session stays readable (default 10 minutes). */
  keepEndedMs?: number
  /** Ended sessions kept at most (default 256; the oldest goes first). */
  maxEndedSessions?: number
}

type AggregatorHost = Pick<NetHost, 'key' | 'nodeId' | 'handle' | 'unhandle'>

export class SecaggAggregator {
  readonly #host: AggregatorHost
  readonly #clock: Clock
  readonly #logger: Logger
  readonly #maxLive: number
  readonly #keepEndedMs: number
  readonly #maxEnded: number
  readonly #sessions = new Map<string, AggregatorSession>()
  readonly #stopping = new AbortController()

  constructor(host: AggregatorHost, options: AggregatorOptions = {}) {
    this.#host = host
    this.#clock = options.clock ?? systemClock
    this.#logger = options.logger ?? silentLogger
    this.#maxLive = options.maxLiveSessions ?? 16
    this.#keepEndedMs = options.keepEndedMs ?? 10 * 60_000
    this.#maxEnded = options.maxEndedSessions ?? 256
  }

  /** Serves `/agora/secagg/1` on the host. */
  async start(): Promise<void> {
    await this.#host.handle(SECAGG_PROTOCOL, async (request, context) => await this.#serve(request, context))
  }

  async stop(): Promise<void> {
    this.#stopping.abort()
    await this.#host.unhandle(SECAGG_PROTOCOL)
    for (const session of this.#sessions.values()) session.fail('the aggregator stopped')
  }

  /** Checks the request in full, then opens the session (nothing is kept for a refused one). */
  create(request: SessionRequest): { sessionId: string; url: string } {
    const terms = this.#terms(request)
    this.#sweep()
    const live = [...this.#sessions.values()].filter(session => session.state === 'Open').length
    if (live >= this.#maxLive) throw new CodedError('CapacityExceeded', `${live} secure aggregation sessions are open, the most this node runs at once`)
    const session = new AggregatorSession(terms, this.#host.key, this.#clock, () => {
      this.#logger.info({ sessionId: terms.sessionId, state: session.state }, 'secure aggregation session ended')
      if (this.#stopping.signal.aborted) return
      const timer = this.#clock.setTimeout(() => {
        this.#sessions.delete(terms.sessionId)
      }, this.#keepEndedMs)
      this.#stopping.signal.addEventListener('abort', () => this.#clock.clearTimeout(timer), { once: true })
    })
    this.#sessions.set(terms.sessionId, session)
    return { sessionId: terms.sessionId, url: sessionUrl(this.#host.nodeId, terms.sessionId) }
  }

  /** The session as the requester reads it; waits up to `timeoutMs` for it to end. */
  async view(sessionId: string, timeoutMs = 0, signal?: AbortSignal): Promise<SessionView> {
    const session = this.#session(sessionId)
    if (timeoutMs > 0) {
      const deadline = deadlineSignal(timeoutMs)
      try {
        const waiting = anySignal([deadline.signal, this.#stopping.signal, signal])
        while (session.state === 'Open' && !waiting.aborted) await session.changed.wait(Number.POSITIVE_INFINITY, waiting)
      } finally {
        deadline.clear()
      }
    }
    return session.view()
  }

  /** A session for inspection (tests, diagnostics); undefined once forgotten. */
  inspect(sessionId: string): AggregatorSession | undefined {
    return this.#sessions.get(sessionId)
  }

  #session(sessionId: string): AggregatorSession {
    const session = this.#sessions.get(sessionId)
    if (session === undefined) throw new CodedError('NotFound', `no secure aggregation session ${sessionId}`)
    return session
  }

  async #serve(request: SecaggRequest, context: RequestContext): Promise<SecaggResponse> {
    switch (request.op) {
      case 'session': {
        const session = this.#session(request.sessionId)
        if (!session.terms.participants.includes(context.from))
          throw new CodedError('Forbidden', `${context.from} is not a participant of session ${request.sessionId}`)
        return { session: session.signedTerms }
      }
      case 'submit': {
        const sessionId = (request.envelope.payload as { sessionId?: unknown } | null)?.sessionId
        if (typeof sessionId !== 'string') throw new CodedError('BadRequest', 'the message names no session')
        this.#session(sessionId).submit(request.round, context.from, request.envelope)
        return { accepted: true }
      }
      case 'outcome': {
        const session = this.#session(request.sessionId)
        if (!session.terms.participants.includes(context.from))
          throw new CodedError('Forbidden', `${context.from} is not a participant of session ${request.sessionId}`)
        const budget = deadlineSignal(request.waitMs)
        try {
          const waiting = anySignal([budget.signal, context.signal, this.#stopping.signal])
          for (;;) {
            const outcome = session.outcome(request.round, context.from)
            if (outcome !== undefined) return outcome
            if (this.#stopping.signal.aborted) throw new CodedError('Unavailable', 'the aggregator is stopping')
            if (waiting.aborted) return { state: 'open' }
            await session.changed.wait(Number.POSITIVE_INFINITY, waiting)
          }
        } finally {
          budget.clear()
        }
      }
    }
  }

  #terms(request: SessionRequest): SessionTerms {
    const participants = request.participants.map(id => parseNodeId(id))
    if (participants.length < 2 || participants.length > MAX_PARTICIPANTS)
      throw new CodedError('BadRequest', `a session has 2 to ${MAX_PARTICIPANTS} participants`)
    if (new Set(participants).size !== participants.length) throw new CodedError('BadRequest', 'a participant is listed twice')
    if (participants.includes(this.#host.nodeId)) throw new CodedError('BadRequest', 'the aggregator cannot be one of the participants')
    const { threshold, length } = request
    const majority = Math.floor(participants.length / 2) + 1
    if (!Number.isSafeInteger(threshold) || threshold < Math.max(2, majority) || threshold > participants.length)
      throw new CodedError('BadRequest', `threshold must be between ${Math.max(2, majority)} (a majority) and ${participants.length} (every participant)`)
    if (!Number.isSafeInteger(length) || length < 1 || length > MAX_VECTOR_LENGTH)
      throw new CodedError('BadRequest', `length must be between 1 and ${MAX_VECTOR_LENGTH}`)
    const fractionalBits = request.fractionalBits ?? DEFAULT_FRACTIONAL_BITS
    if (!Number.isSafeInteger(fractionalBits) || fractionalBits < 0 || fractionalBits > 32)
      throw new CodedError('BadRequest', 'fractionalBits must be between 0 and 32')
    const roundTimeoutMs = request.roundTimeoutMs ?? DEFAULT_ROUND_TIMEOUT_MS
    if (!Number.isSafeInteger(roundTimeoutMs) || roundTimeoutMs < MIN_ROUND_TIMEOUT_MS || roundTimeoutMs > MAX_ROUND_TIMEOUT_MS)
      throw new CodedError('BadRequest', `roundTimeoutMs must be between ${MIN_ROUND_TIMEOUT_MS} and ${MAX_ROUND_TIMEOUT_MS}`)
    const id = new Uint8Array(16)
    crypto.getRandomValues(id)
    return {
      sessionId: Buffer.from(id).toString('hex'),
      aggregator: this.#host.nodeId,
      participants,
      threshold,
      length,
      fractionalBits,
      roundTimeoutMs
    }
  }

  /** Forgets the oldest ended sessions beyond the bound. */
  #sweep(): void {
    const ended = [...this.#sessions.values()].filter(session => session.endedAt !== undefined).sort((a, b) => a.endedAt! - b.endedAt!)
    for (const session of ended.slice(0, Math.max(0, ended.length - this.#maxEnded + 1))) this.#sessions.delete(session.terms.sessionId)
  }
}

function anySignal(signals: readonly (AbortSignal | undefined)[]): AbortSignal {
  return AbortSignal.any(signals.filter((signal): signal is AbortSignal => signal !== undefined))
}
