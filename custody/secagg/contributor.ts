// SecaggContributor on the owner's daemon: an activity's partial becomes a
// masked input. The owner encodes its vector (plus its privacy noise) before
// anything goes out, runs AdvertiseKeys, ShareKeys and MaskedInput with the
// aggregator, and resolves; the consistency check and the unmasking go on in
// the daemon, where stop() ends them.
import { CodedError, parseNodeId, silentLogger, systemClock } from '../../net/index.ts'
import type { Clock, Logger } from '../../net/index.ts'
import type { ContributionInput, PrivacyLedger, PrivacyPolicy, SecaggContributor } from '../model.ts'
import { encodeFixed } from './fixed-point.ts'
import { parseSessionUrl } from './messages.ts'
import type { SessionTerms } from './messages.ts'
import { OwnerSession } from './participant.ts'
import { SecaggClient } from './protocol.ts'
import type { OwnerHost } from './protocol.ts'

/** What an owner's privacy policy adds to its fixed-point contribution (custody/privacy). */
export type NoiseSource = (policy: PrivacyPolicy, length: number, fractionalBits: number, threshold: number) => bigint[]

export interface ContributorOptions {
  noise?: NoiseSource
  /** Spent before noise is added, when the contribution carries a privacy policy. */
  ledger?: PrivacyLedger
  clock?: Clock
  logger?: Logger
}

export class SecaggOwner implements SecaggContributor {
  readonly #host: OwnerHost
  readonly #client: SecaggClient
  readonly #options: ContributorOptions
  readonly #logger: Logger
  readonly #finishing = new Set<Promise<void>>()
  readonly #stopping = new AbortController()

  constructor(host: OwnerHost, options: ContributorOptions = {}) {
    this.#host = host
    this.#options = options
    this.#client = new SecaggClient(host, options.clock ?? systemClock)
    this.#logger = options.logger ?? silentLogger
  }

  /** Unmasking rounds still running in the background. */
  get pending(): number {
    return this.#finishing.size
  }

  async contribute(input: ContributionInput): Promise<void> {
    const { aggregator, sessionId } = parseSessionUrl(input.url)
    if (aggregator !== parseNodeId(input.requesterId))
      throw new CodedError('Forbidden', "secure aggregation: the session's aggregator is not the agreement's requester")
    const signal = AbortSignal.any([input.signal, this.#stopping.signal])
    const terms = await this.#client.terms(aggregator, sessionId, signal)
    if (input.values.length !== terms.length)
      throw new CodedError('BadRequest', `session ${sessionId} sums vectors of ${terms.length} values, not ${input.values.length}`)
    const session = new OwnerSession(terms, this.#host.key)
    // Checked before anything leaves: a bad vector changes nothing, spends no ε.
    encodeFixed(input.values, terms.fractionalBits, terms.participants.length)
    const encoded = encodeFixed(input.values, terms.fractionalBits, terms.participants.length, await this.#noise(input, terms))
    await this.#client.submit(aggregator, 'advertise', session.advertise(), signal)
    session.acceptKeys((await this.#client.outcome(terms, 'advertise', signal)).keys ?? [])
    await this.#client.submit(aggregator, 'shares', session.shareKeys(), signal)
    const shared = await this.#client.outcome(terms, 'shares', signal)
    session.acceptShares(shared.sharers ?? [], shared.boxes ?? [])
    await this.#client.submit(aggregator, 'masked', session.maskedInput(encoded), signal)
    // The activity may end now; the unmasking belongs to the daemon.
    const finishing = this.#finish(session, this.#stopping.signal).catch((err: unknown) => {
      this.#logger.warn({ err, sessionId }, 'secure aggregation: the unmasking did not complete')
    })
    this.#finishing.add(finishing)
    void finishing.finally(() => this.#finishing.delete(finishing))
  }

  async stop(): Promise<void> {
    this.#stopping.abort()
    await Promise.allSettled([...this.#finishing])
  }

  async #noise(input: ContributionInput, terms: SessionTerms): Promise<bigint[] | undefined> {
    const policy = input.noise
    if (policy === undefined) return undefined
    const noise = this.#options.noise
    if (noise === undefined) throw new CodedError('Unavailable', 'this node cannot add privacy noise to a secure aggregation contribution')
    await this.#options.ledger?.spend(input.dataset, policy.epsilonPerQuery, policy.epsilonBudget, { requesterId: input.requesterId })
    return noise(policy, terms.length, terms.fractionalBits, terms.threshold)
  }

  async #finish(session: OwnerSession, signal: AbortSignal): Promise<void> {
    const { terms } = session
    const masked = await this.#client.outcome(terms, 'masked', signal)
    if (masked.survivors === undefined) throw new CodedError('Forbidden', 'secure aggregation: the aggregator sent no survivors')
    await this.#client.submit(terms.aggregator, 'consistency', session.acceptSurvivors(terms.aggregator, masked.survivors), signal)
    session.acceptChecks((await this.#client.outcome(terms, 'consistency', signal)).checks ?? [])
    await this.#client.submit(terms.aggregator, 'unmask', session.unmask(), signal)
  }
}
