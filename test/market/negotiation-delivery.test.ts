// Rejections of a proposal reach the other party however long it is away:
// written with the Rejected state, delivered through the market's outbox.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { MarketModule } from '../../daemon/modules/market-module.ts'
import { Cluster } from '../helpers/cluster.ts'
import type { TestNode } from '../helpers/cluster.ts'
import { negotiateDraft } from '../helpers/negotiation.ts'

const M = '/market-api/v1'

const marketOf = (node: TestNode): MarketModule => {
  const module = node.modules.find(m => m instanceof MarketModule)
  assert.ok(module instanceof MarketModule)
  return module
}

describe('market: proposal rejections reach the other party, whenever it is reachable', function () {
  this.timeout(120_000)
  let cluster: Cluster
  let provider: TestNode
  let requester: TestNode

  beforeEach(async () => {
    cluster = new Cluster()
    provider = await cluster.start()
    requester = await cluster.start()
  })
  afterEach(async () => {
    await cluster.stop()
  })

  it('rejecting a draft while the provider is stopped: Rejected here at once, and the provider hears it once back', async () => {
    const drafted = await negotiateDraft(provider, requester)
    const providerDir = provider.dataDir
    const providerId = provider.nodeId
    await provider.stop()

    await requester.client.expect(204, 'POST', `${M}/demands/${drafted.demandId}/proposals/${drafted.offerDraftId}/reject`, {
      message: 'too expensive',
      'golem.proposal.rejection.is-final': true
    })
    assert.equal((await requester.client.call('GET', `${M}/demands/${drafted.demandId}/proposals/${drafted.offerDraftId}`)).status, 410)
    assert.deepEqual(
      marketOf(requester)
        .outbox.pending(providerId)
        .map(m => m.kind),
      ['proposal.rejection']
    )

    // The provider comes back (joining through the requester); no REST call to anyone.
    const delivered = once(marketOf(requester).outbox, 'message:delivered')
    provider = await cluster.start({ dataDir: providerDir, bootstrap: [requester.addresses[0]!] })
    await delivered
    const rejected = await provider.client.nextEvent('offer', drafted.offerId, e => e.eventType === 'ProposalRejectedEvent')
    assert.equal(rejected.proposalId, drafted.offerDraftId)
    assert.equal(rejected.reason.message, 'too expensive')
    assert.equal((await provider.client.call('GET', `${M}/offers/${drafted.offerId}/proposals/${drafted.offerDraftId}`)).status, 410)
    assert.deepEqual(marketOf(requester).outbox.pending(), [])
  })

  it('a rejection the provider can no longer place is refused by it and dropped, not retried', async () => {
    const drafted = await negotiateDraft(provider, requester)
    // The provider ends its offer: its drafts go with it.
    await provider.client.expect(204, 'DELETE', `${M}/offers/${drafted.offerId}`)
    const dropped = once(marketOf(requester).outbox, 'message:dropped')
    await requester.client.expect(204, 'POST', `${M}/demands/${drafted.demandId}/proposals/${drafted.offerDraftId}/reject`, { message: 'late' })
    const [event] = (await dropped) as [CustomEvent<{ code: string; kind: string }>]
    assert.equal(event.detail.kind, 'proposal.rejection')
    assert.equal(event.detail.code, 'NotFound')
    assert.deepEqual(marketOf(requester).outbox.pending(), [])
  })
})
