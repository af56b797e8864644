// The owner's end of `/agora/secagg/1`: fetch a session's signed terms, send
// a round's signed message, and poll for the round's outcome until it closes
// (or the session fails, or the owner's own bound on the round passes).
import { CodedError, openEnvelope, systemClock } from '../../net/index.ts'
import type { Clock, NetHost, NodeId, SignedEnvelope } from '../../net/index.ts'
import { ENVELOPE_TYPES, MAX_POLL_MS, PAYLOADS, SECAGG_PROTOCOL } from './messages.ts'
import type { RoundName, SecaggResponse, SessionTerms } from './messages.ts'

export type OwnerHost = Pick<NetHost, 'request' | 'key' | 'nodeId'>

/** How long past a round's deadline an owner still waits for the aggregator to close it. */
const ROUND_GRACE_MS = 30_000

export class SecaggClient {
  readonly #host: OwnerHost
  readonly #clock: Clock

  constructor(host: OwnerHost, clock: Clock = systemClock) {
    this.#host = host
    this.#clock = clock
  }

  /** The session's terms, signed by the aggregator; checked against the session asked for. */
  async terms(aggregator: NodeId, sessionId: string, signal?: AbortSignal): Promise<SessionTerms> {
    const answer = await this.#host.request(SECAGG_PROTOCOL, aggregator, { op: 'session', sessionId }, optionsOf(signal))
    if (answer.session === undefined) throw new CodedError('Forbidden', 'secure aggregation: the aggregator sent no session terms')
    const { signer, payload } = openEnvelope<unknown>(answer.session, ENVELOPE_TYPES.session)
    const terms = PAYLOADS.session.parse(payload)
    if (signer !== aggregator || terms.aggregator !== aggregator || terms.sessionId !== sessionId)
      throw new CodedError('Forbidden', 'secure aggregation: the session terms are not those of the session asked for')
    return terms
  }

  async submit(aggregator: NodeId, round: RoundName, envelope: SignedEnvelope<unknown>, signal?: AbortSignal): Promise<void> {
    await this.#host.request(SECAGG_PROTOCOL, aggregator, { op: 'submit', round, envelope }, optionsOf(signal))
  }

  /** Waits for a round to close; a failed session comes back as the aggregator's coded error. */
  async outcome(terms: SessionTerms, round: RoundName, signal?: AbortSignal): Promise<SecaggResponse> {
    const giveUpAt = this.#clock.now() + terms.roundTimeoutMs + ROUND_GRACE_MS
    for (;;) {
      signal?.throwIfAborted()
      const waitMs = Math.max(0, Math.min(MAX_POLL_MS, giveUpAt - this.#clock.now()))
      const answer = await this.#host.request(
        SECAGG_PROTOCOL,
        terms.aggregator,
        { op: 'outcome', sessionId: terms.sessionId, round, waitMs },
        optionsOf(signal)
      )
      if (answer.state === 'closed') return answer
      if (this.#clock.now() >= giveUpAt)
        throw new CodedError('Timeout', `secure aggregation: the ${round} round of session ${terms.sessionId} did not close in time`)
    }
  }
}

function optionsOf(signal: AbortSignal | undefined): { signal?: AbortSignal } {
  return signal === undefined ? {} : { signal }
}
