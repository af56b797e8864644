// A minimal provider agent over a daemon's Market API, as a Golem provider
// agent behaves: it publishes one offer, answers each counter-proposal on it
// with the offer, and approves every agreement made from it. It runs until
// stopped; stop() ends its long poll and rethrows what failed on the way.
import type { MarketClient } from './market-client.ts'

export interface ProviderAgent {
  /** The provider's node id as its API reports it (GET /me). */
  providerId: string
  offerId: string
  /** Agreements it approved (or is approving), by id. */
  approved: Set<string>
  /** Requester proposals it answered with a counter-proposal, by id. */
  countered: Set<string>
  stop: () => Promise<void>
}

export async function startProviderAgent(client: MarketClient, offer: { properties: Record<string, unknown>; constraints: string }): Promise<ProviderAgent> {
  const providerId = (await client.expect<{ identity: string }>(200, 'GET', '/me')).identity
  const offerId = await client.subscribe('offer', offer.properties, offer.constraints)
  const approved = new Set<string>()
  const countered = new Set<string>()
  let running = true
  const base = `/market-api/v1/offers/${offerId}`

  async function handle(event: any): Promise<void> {
    if (event.eventType === 'ProposalEvent' && event.proposal.state === 'Draft') {
      // Noted first: the requester may see the answer before this call returns.
      countered.add(event.proposal.proposalId)
      await client.expect(201, 'POST', `${base}/proposals/${event.proposal.proposalId}`, offer)
    } else if (event.eventType === 'AgreementEvent') {
      const id = event.agreement.agreementId
      // Noted first: the requester may see the approval before this call returns.
      approved.add(id)
      await client.expect(204, 'POST', `/market-api/v1/agreements/${id}/approve?timeout=30`)
    }
  }

  const loop = (async () => {
    while (running) {
      const events = await client.events('offer', offerId, 1, 20)
      for (const event of events) await handle(event)
    }
  })()
  // A failure is reported by stop(); until then it must not count as unhandled.
  loop.catch(() => {})

  return {
    providerId,
    offerId,
    approved,
    countered,
    stop: async () => {
      running = false
      await loop
      await client.call('DELETE', base)
    }
  }
}
