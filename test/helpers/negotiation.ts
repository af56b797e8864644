// Drives a requester and a provider through the Market API, as Golem tooling
// does, up to an agreement the requester has created (state Proposal).
import assert from 'node:assert/strict'
import type { MarketClient } from './market-client.ts'
import { providerOffer, requesterDemand } from './golem-terms.ts'

/** A daemon as its API user sees it. */
export interface Party {
  nodeId: string
  client: MarketClient
}

export interface Negotiated {
  offerId: string
  demandId: string
  /** The provider's counter-proposal the agreement is made from. */
  offerDraftId: string
  agreementId: string
}

const isProposal =
  (id?: string) =>
  (event: any): boolean =>
    event.eventType === 'ProposalEvent' && (id === undefined || event.proposal.proposalId === id)

export type Drafted = Omit<Negotiated, 'agreementId'>

/** Subscribes both sides and counters until the requester holds the provider's Draft. */
export interface NegotiationOptions {
  offerExtra?: Record<string, unknown>
  demandExtra?: Record<string, unknown>
  /** The runtime the demand asks for (default wasmtime). */
  runtime?: string
}

export async function negotiateDraft(provider: Party, requester: Party, options: NegotiationOptions = {}): Promise<Drafted> {
  // A name of its own tells this offer's proposals from those of earlier offers.
  const name = `offer-${Math.random().toString(36).slice(2)}`
  const offer = providerOffer(provider.nodeId, { 'golem.node.id.name': name, ...options.offerExtra })
  const offerId = await provider.client.subscribe('offer', offer.properties, offer.constraints)
  const demand = requesterDemand(options.demandExtra, '', options.runtime)
  const demandId = await requester.client.subscribe('demand', demand.properties, demand.constraints)

  const initial = (
    await requester.client.nextEvent(
      'demand',
      demandId,
      event => isProposal()(event) && event.proposal.issuerId === provider.nodeId && event.proposal.properties['golem.node.id.name'] === name
    )
  ).proposal
  assert.equal(initial.state, 'Initial')
  const demandDraftId = await requester.client.expect<string>(201, 'POST', `/market-api/v1/demands/${demandId}/proposals/${initial.proposalId}`, demand)

  const seenByProvider = (await provider.client.nextEvent('offer', offerId, isProposal(demandDraftId))).proposal
  assert.equal(seenByProvider.state, 'Draft')
  assert.equal(seenByProvider.issuerId, requester.nodeId)
  const offerDraftId = await provider.client.expect<string>(201, 'POST', `/market-api/v1/offers/${offerId}/proposals/${demandDraftId}`, offer)

  const draft = (await requester.client.nextEvent('demand', demandId, isProposal(offerDraftId))).proposal
  assert.equal(draft.state, 'Draft')
  assert.equal(draft.prevProposalId, demandDraftId)
  return { offerId, demandId, offerDraftId }
}

export async function negotiateAgreement(provider: Party, requester: Party, options: NegotiationOptions & { validToMs?: number } = {}): Promise<Negotiated> {
  const { offerId, demandId, offerDraftId } = await negotiateDraft(provider, requester, options)
  const validTo = new Date(Date.now() + (options.validToMs ?? 60_000)).toISOString()
  const agreementId = await requester.client.expect<string>(201, 'POST', '/market-api/v1/agreements', { proposalId: offerDraftId, validTo })
  return { offerId, demandId, offerDraftId, agreementId }
}

/** Confirms an agreement and waits until the provider has received it. */
export async function confirmAgreement(provider: Party, requester: Party, negotiated: Negotiated): Promise<any> {
  await requester.client.expect(204, 'POST', `/market-api/v1/agreements/${negotiated.agreementId}/confirm`)
  const event = await provider.client.nextEvent(
    'offer',
    negotiated.offerId,
    e => e.eventType === 'AgreementEvent' && e.agreement.agreementId === negotiated.agreementId
  )
  return event.agreement
}

/** Approves on the provider while the requester waits; both must answer 204. */
export async function approveAgreement(provider: Party, requester: Party, agreementId: string): Promise<void> {
  const waiting = requester.client.call('POST', `/market-api/v1/agreements/${agreementId}/wait?timeout=60`)
  await provider.client.expect(204, 'POST', `/market-api/v1/agreements/${agreementId}/approve?timeout=60`)
  assert.equal((await waiting).status, 204)
}

/** Negotiates, confirms and approves: an agreement both sides hold as Approved. */
export async function approvedAgreement(provider: Party, requester: Party, options: NegotiationOptions = {}): Promise<Negotiated> {
  const negotiated = await negotiateAgreement(provider, requester, options)
  await confirmAgreement(provider, requester, negotiated)
  await approveAgreement(provider, requester, negotiated.agreementId)
  return negotiated
}
