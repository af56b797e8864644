// Finds a provider for a demand through the Market API v1, as a Golem
// requester does: subscribe the demand, take the offers' Initial proposals as
// they come (those within the max prices, the filter and not avoided, cheapest
// first), counter one with the demand, wait for the provider's Draft, make an
// agreement of it, confirm it and wait for the approval. A rejection or a
// timeout moves on to the next offer; at the start-up timeout the caller gets
// NoMatchingOffersError with what excluded the offers seen.
import type { Clock } from '../../net/kernel.ts'
import { AbortedError, NoMatchingOffersError, SdkError } from '../errors.ts'
import type { AgreementView, ApiClient } from '../client/api-client.ts'
import type { OfferSummary, RentOptions } from '../types.ts'
import type { DemandBody } from './demand.ts'
import { explanationText } from '../market/index.ts'
import { explainNoOffers } from './no-offers.ts'
import type { SdkChecks } from './no-offers.ts'
import { cheaperFirst, offerPrices, priceAboveLimit, priceLimitsOf, summaryOf } from './offer-summary.ts'
import type { OfferPrices } from './offer-summary.ts'

/** Longest single wait for market events (s): short enough to notice the start-up timeout. */
const EVENTS_POLL_S = 2
/** How long a provider may take to answer our counter-proposal with its Draft (ms). */
const DRAFT_WAIT_MS = 10_000
/** How long a provider may take to approve an agreement (s). */
const APPROVAL_WAIT_S = 30
/** Counter-proposals sent to one offer before it is given up. */
const MAX_ATTEMPTS = 3
const POLL_MARGIN_MS = 15_000

interface Proposal {
  readonly proposalId: string
  readonly issuerId: string
  readonly state: string
  readonly prevProposalId?: string
  readonly properties: Record<string, unknown>
  readonly constraints: string
}

type MarketEvent =
  | { readonly eventType: 'ProposalEvent'; readonly proposal: Proposal }
  | { readonly eventType: 'ProposalRejectedEvent'; readonly proposalId: string; readonly reason?: { readonly message?: string } }
  | { readonly eventType: string }

interface Candidate {
  readonly proposal: Proposal
  readonly prices: OfferPrices
  readonly summary: OfferSummary
}

export interface Negotiated {
  readonly agreement: AgreementView
  readonly offer: OfferSummary
}

export interface NegotiationComponents {
  readonly api: ApiClient
  readonly clock: Clock
}

export async function negotiate(components: NegotiationComponents, demand: DemandBody, options: RentOptions): Promise<Negotiated> {
  const { api, clock } = components
  const deadline = clock.now() + (options.startupTimeoutMs ?? 30_000)
  const limits = priceLimitsOf(options.maxPrices)
  const avoided = new Set((options.avoid ?? []).map(id => id.toLowerCase()))
  const signal = options.signal
  const demandId = await api.call<string>('POST', '/market-api/v1/demands', { body: demand, ...(signal === undefined ? {} : { signal }) })
  const seen = new Set<string>()
  const checks: SdkChecks = { maxPrices: 0, filter: 0, avoid: 0, negotiation: 0 }
  const candidates: Candidate[] = []
  const attemptsOf = new Map<string, number>()
  const drafts = new Map<string, Proposal>()
  const rejected = new Set<string>()

  const take = (event: MarketEvent): void => {
    if (event.eventType === 'ProposalRejectedEvent') {
      rejected.add((event as { proposalId: string }).proposalId)
      return
    }
    if (event.eventType !== 'ProposalEvent') return
    const proposal = (event as { proposal: Proposal }).proposal
    if (proposal.state === 'Draft' && proposal.prevProposalId !== undefined) {
      drafts.set(proposal.prevProposalId, proposal)
      return
    }
    if (proposal.state !== 'Initial' || seen.has(proposal.proposalId)) return
    seen.add(proposal.proposalId)
    const judged = judge(proposal)
    if (judged === undefined) return
    candidates.push(judged)
    candidates.sort((a, b) => cheaperFirst(a.prices, b.prices))
  }

  const judge = (proposal: Proposal): Candidate | undefined => {
    if (avoided.has(proposal.issuerId.toLowerCase())) {
      checks.avoid += 1
      return undefined
    }
    let prices: OfferPrices
    try {
      prices = offerPrices(proposal.properties)
    } catch {
      // An offer whose price list cannot be read cannot be bounded.
      checks.maxPrices += 1
      return undefined
    }
    if (priceAboveLimit(prices, limits) !== undefined) {
      checks.maxPrices += 1
      return undefined
    }
    const summary = summaryOf(proposal.proposalId, proposal.issuerId, proposal.properties, prices)
    if (options.filter !== undefined && !options.filter(summary)) {
      checks.filter += 1
      return undefined
    }
    return { proposal, prices, summary }
  }

  /** Polls the demand's events until `done` holds or `until` passes. */
  const pump = async (done: () => boolean, until: number): Promise<void> => {
    while (!done()) {
      if (signal?.aborted === true) throw new AbortedError()
      const left = until - clock.now()
      if (left <= 0) return
      const timeout = Math.min(EVENTS_POLL_S, left / 1000)
      const events = await api.call<MarketEvent[]>('GET', `/market-api/v1/demands/${demandId}/events`, {
        query: { timeout, maxEvents: 100 },
        timeoutMs: timeout * 1000 + POLL_MARGIN_MS,
        ...(signal === undefined ? {} : { signal })
      })
      for (const event of events) take(event)
    }
  }

  try {
    for (;;) {
      await pump(() => candidates.length > 0, deadline)
      const candidate = candidates.shift()
      if (candidate === undefined) break
      const agreement = await attempt(candidate)
      if (agreement !== undefined) return { agreement, offer: candidate.summary }
      // Passed over for now: tried again after the others (a provider slow under load answers a second
      // counter-proposal), at most MAX_ATTEMPTS times; then it counts as left out by the negotiation.
      const attempts = (attemptsOf.get(candidate.proposal.proposalId) ?? 0) + 1
      attemptsOf.set(candidate.proposal.proposalId, attempts)
      if (attempts < MAX_ATTEMPTS) candidates.push(candidate)
      else checks.negotiation += 1
    }
    const explanation = await explainNoOffers(api, demand, { offersSeen: seen.size, checks })
    throw new NoMatchingOffersError(`no provider agreed within ${options.startupTimeoutMs ?? 30_000} ms: ${explanationText(explanation)}`, explanation)
  } finally {
    await api.call('DELETE', `/market-api/v1/demands/${demandId}`).catch(() => {})
  }

  async function attempt(candidate: Candidate): Promise<AgreementView | undefined> {
    let counterId: string
    try {
      counterId = await api.call<string>('POST', `/market-api/v1/demands/${demandId}/proposals/${candidate.proposal.proposalId}`, {
        body: demand,
        ...(signal === undefined ? {} : { signal })
      })
    } catch (error) {
      if (error instanceof AbortedError) throw error
      return undefined
    }
    await pump(() => drafts.has(counterId) || rejected.has(counterId), Math.min(deadline, clock.now() + DRAFT_WAIT_MS))
    const draft = drafts.get(counterId)
    if (draft === undefined) return undefined
    const validTo = new Date(Number(demand.properties['golem.srv.comp.expiration'])).toISOString()
    let agreementId: string | undefined
    try {
      agreementId = await api.call<string>('POST', '/market-api/v1/agreements', { body: { proposalId: draft.proposalId, validTo } })
      await api.call('POST', `/market-api/v1/agreements/${agreementId}/confirm`)
      await api.call('POST', `/market-api/v1/agreements/${agreementId}/wait`, {
        query: { timeout: APPROVAL_WAIT_S },
        timeoutMs: APPROVAL_WAIT_S * 1000 + POLL_MARGIN_MS,
        ...(signal === undefined ? {} : { signal })
      })
      return await api.call<AgreementView>('GET', `/market-api/v1/agreements/${agreementId}`)
    } catch (error) {
      if (agreementId !== undefined) {
        // An approval that came just after the wait ended still binds the provider: the agreement is taken, not
        // abandoned. A caller that stopped gets it too, and ends it as it ends any rental it cannot start (settling
        // its invoice).
        const late = await letGo(agreementId)
        if (late !== undefined) return late
      }
      if (error instanceof AbortedError) throw error
      if (error instanceof SdkError && error.code === 'Unauthorized') throw error
      return undefined
    }
  }

  /** Cancels an agreement not approved in time; the agreement if it was approved after all (before or across the cancel). */
  async function letGo(agreementId: string): Promise<AgreementView | undefined> {
    const read = async (): Promise<AgreementView | undefined> =>
      await api.call<AgreementView>('GET', `/market-api/v1/agreements/${agreementId}`).catch(() => undefined)
    const late = await read()
    if (late?.state === 'Approved') return late
    try {
      // The offer is let go, so that a late approval binds nobody.
      await api.call('POST', `/market-api/v1/agreements/${agreementId}/cancel`, { body: { message: 'not approved in time' } })
      return undefined
    } catch {
      // The approval may have crossed the cancel (which then answers Gone): an agreement Approved now binds the provider.
      const after = await read()
      return after?.state === 'Approved' ? after : undefined
    }
  }
}
