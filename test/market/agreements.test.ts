import assert from 'node:assert/strict'
import { Cluster } from '../helpers/cluster.ts'
import type { TestNode } from '../helpers/cluster.ts'
import { approveAgreement, approvedAgreement, confirmAgreement, negotiateAgreement, negotiateDraft } from '../helpers/negotiation.ts'
import { eventually } from '../helpers/wait.ts'
import { providerOffer } from '../helpers/golem-terms.ts'

describe('market: agreements between two daemons, through the REST API only', function () {
  this.timeout(180_000)
  const cluster = new Cluster()
  let provider: TestNode
  let requester: TestNode

  before(async () => {
    provider = await cluster.start()
    requester = await cluster.start()
  })
  after(async () => {
    await cluster.stop()
  })

  const agreementEvents = async (node: TestNode, agreementId: string): Promise<any[]> =>
    (await node.client.expect<any[]>(200, 'GET', '/market-api/v1/agreementEvents?timeout=0&maxEvents=100')).filter(e => e.agreementId === agreementId)

  it('reaches Approved: both sides hold the same signed agreement and see the same event', async () => {
    const negotiated = await negotiateAgreement(provider, requester)
    const { agreementId } = negotiated
    assert.equal((await requester.client.agreement(agreementId)).state, 'Proposal')
    const atProvider = await confirmAgreement(provider, requester, negotiated)
    assert.equal(atProvider.state, 'Pending')
    assert.equal((await requester.client.agreement(agreementId)).state, 'Pending')
    await approveAgreement(provider, requester, agreementId)

    const mine = await requester.client.agreement(agreementId)
    const theirs = await provider.client.agreement(agreementId)
    for (const agreement of [mine, theirs]) {
      assert.equal(agreement.state, 'Approved')
      assert.equal(agreement.offer.providerId, provider.nodeId)
      assert.equal(agreement.demand.requestorId, requester.nodeId)
      assert.match(agreement.proposedSignature, /^0x[0-9a-f]{130}$/)
      assert.match(agreement.approvedSignature, /^0x[0-9a-f]{130}$/)
      assert.ok(Date.parse(agreement.approvedDate) > 0)
    }
    assert.deepEqual(mine.offer, theirs.offer)
    assert.deepEqual(mine.demand, theirs.demand)
    assert.equal(mine.proposedSignature, theirs.proposedSignature)
    assert.equal(mine.approvedSignature, theirs.approvedSignature)
    for (const node of [requester, provider]) {
      const events = await agreementEvents(node, agreementId)
      assert.deepEqual(
        events.map(e => e.eventType),
        ['AgreementApprovedEvent']
      )
    }
    const listed = await requester.client.expect<any[]>(200, 'GET', '/market-api/v1/agreements?state=Approved')
    assert.ok(listed.some(entry => entry.id === agreementId && entry.role === 'Requestor'))
    const listedByProvider = await provider.client.expect<any[]>(200, 'GET', '/market-api/v1/agreements')
    assert.ok(listedByProvider.some(entry => entry.id === agreementId && entry.role === 'Provider'))
    // Approving twice is refused: the agreement is no longer Pending.
    assert.equal((await provider.client.call('POST', `/market-api/v1/agreements/${agreementId}/approve?timeout=1`)).status, 410)
  })

  it('terminate by either side: both see Terminated with the reason and who ended it', async () => {
    const { agreementId } = await approvedAgreement(provider, requester)
    await provider.client.expect(204, 'POST', `/market-api/v1/agreements/${agreementId}/terminate`, { message: 'maintenance', 'golem.requestor.code': 'x' })
    for (const node of [provider, requester]) {
      await eventually('Terminated', async () => (await node.client.agreement(agreementId)).state === 'Terminated')
      const reason = await node.client.expect(200, 'POST', `/market-api/v1/agreements/${agreementId}/terminate/reason`)
      assert.equal(reason.reason.message, 'maintenance')
      assert.equal(reason.terminator, 'Provider')
      const events = await agreementEvents(node, agreementId)
      assert.deepEqual(
        events.map(e => e.eventType),
        ['AgreementApprovedEvent', 'AgreementTerminatedEvent']
      )
    }
    assert.equal((await requester.client.call('POST', `/market-api/v1/agreements/${agreementId}/terminate`, { message: 'again' })).status, 410)
  })

  it('cancel before approval: the provider can no longer approve', async () => {
    const negotiated = await negotiateAgreement(provider, requester)
    await confirmAgreement(provider, requester, negotiated)
    const { agreementId } = negotiated
    await requester.client.expect(204, 'POST', `/market-api/v1/agreements/${agreementId}/cancel`, { message: 'changed my mind' })
    await eventually('Cancelled at the provider', async () => (await provider.client.agreement(agreementId)).state === 'Cancelled')
    assert.equal((await requester.client.agreement(agreementId)).state, 'Cancelled')
    assert.equal((await provider.client.call('POST', `/market-api/v1/agreements/${agreementId}/approve?timeout=1`)).status, 410)
    assert.deepEqual(
      (await agreementEvents(provider, agreementId)).map(e => e.eventType),
      ['AgreementCancelledEvent']
    )
    // Only the requestor cancels.
    const other = await negotiateAgreement(provider, requester)
    await confirmAgreement(provider, requester, other)
    assert.equal((await provider.client.call('POST', `/market-api/v1/agreements/${other.agreementId}/cancel`, null)).status, 404)
  })

  it('reject by the provider: the waiting requester learns it, both see Rejected', async () => {
    const negotiated = await negotiateAgreement(provider, requester)
    await confirmAgreement(provider, requester, negotiated)
    const { agreementId } = negotiated
    const waiting = requester.client.call('POST', `/market-api/v1/agreements/${agreementId}/wait?timeout=10`)
    await provider.client.expect(204, 'POST', `/market-api/v1/agreements/${agreementId}/reject`, { message: 'too busy' })
    const answer = await waiting
    assert.equal(answer.status, 410)
    assert.match(answer.body.message, /Rejected/)
    assert.equal((await requester.client.agreement(agreementId)).state, 'Rejected')
    assert.equal((await provider.client.agreement(agreementId)).state, 'Rejected')
    const events = await agreementEvents(requester, agreementId)
    assert.equal(events[0].eventType, 'AgreementRejectedEvent')
    assert.equal(events[0].reason.message, 'too busy')
  })

  it('a rejected proposal reaches the other side with its reason, and cannot be countered', async () => {
    const negotiated = await negotiateAgreement(provider, requester)
    const { offerDraftId, demandId } = negotiated
    const other = await negotiateDraft(provider, requester)
    await requester.client.expect(204, 'POST', `/market-api/v1/demands/${other.demandId}/proposals/${other.offerDraftId}/reject`, {
      message: 'too expensive',
      'golem.proposal.rejection.is-final': true
    })
    const rejected = await provider.client.nextEvent('offer', other.offerId, e => e.eventType === 'ProposalRejectedEvent')
    assert.equal(rejected.reason.message, 'too expensive')
    const counter = await requester.client.call('POST', `/market-api/v1/demands/${other.demandId}/proposals/${other.offerDraftId}`, {
      properties: {},
      constraints: '()'
    })
    assert.equal(counter.status, 410)
    // The agreement already made from the first draft is unaffected.
    assert.equal((await requester.client.agreement(negotiated.agreementId)).state, 'Proposal')
    assert.ok(demandId !== other.demandId && offerDraftId !== other.offerDraftId)
  })

  it('a final rejection ends the negotiation on both sides; a plain one leaves it open', async () => {
    const plain = await negotiateDraft(provider, requester)
    const plainDraft = await requester.client.expect<any>(200, 'GET', `/market-api/v1/demands/${plain.demandId}/proposals/${plain.offerDraftId}`)
    await requester.client.expect(204, 'POST', `/market-api/v1/demands/${plain.demandId}/proposals/${plain.offerDraftId}/reject`, { message: 'try again' })
    await provider.client.nextEvent('offer', plain.offerId, e => e.eventType === 'ProposalRejectedEvent' && e.proposalId === plain.offerDraftId)
    // The provider may answer the requester's draft again, with other terms.
    assert.equal((await provider.client.call('GET', `/market-api/v1/offers/${plain.offerId}/proposals/${plain.offerDraftId}`)).status, 410)
    const offer = providerOffer(provider.nodeId, { 'golem.com.pricing.model.linear.coeffs': [0.00005, 0.00002, 0] })
    await provider.client.expect(201, 'POST', `/market-api/v1/offers/${plain.offerId}/proposals/${plainDraft.prevProposalId}`, offer)

    const final = await negotiateDraft(provider, requester)
    const theirDraft = await requester.client.expect<any>(200, 'GET', `/market-api/v1/demands/${final.demandId}/proposals/${final.offerDraftId}`)
    await requester.client.expect(204, 'POST', `/market-api/v1/demands/${final.demandId}/proposals/${final.offerDraftId}/reject`, {
      message: 'no thanks',
      'golem.proposal.rejection.is-final': true
    })
    await provider.client.nextEvent('offer', final.offerId, e => e.eventType === 'ProposalRejectedEvent' && e.proposalId === final.offerDraftId)
    // The provider can no longer answer the requester's draft it had answered.
    const again = await provider.client.call('POST', `/market-api/v1/offers/${final.offerId}/proposals/${theirDraft.prevProposalId}`, {
      properties: { 'golem.runtime.name': 'wasmtime' },
      constraints: '()'
    })
    assert.equal(again.status, 410, JSON.stringify(again.body))
    assert.match(again.body.message, /final rejection/)
  })

  it('refuses bad input with a 4xx naming the problem, and changes nothing', async () => {
    const c = requester.client
    const noKey = await c.call('GET', '/market-api/v1/demands', undefined, null)
    assert.equal(noKey.status, 401)
    assert.equal((await c.call('GET', '/market-api/v1/demands', undefined, 'wrong-key-0000000000')).status, 401)
    const before = await c.expect<any[]>(200, 'GET', '/market-api/v1/demands')

    const cases: Array<[string, string, unknown, RegExp]> = [
      ['POST', '/market-api/v1/demands', { properties: {} }, /constraints/],
      ['POST', '/market-api/v1/demands', { properties: { 'golem.x': 1 }, constraints: '(golem.x=' }, /position/],
      ['POST', '/market-api/v1/demands', { properties: { '': 1 }, constraints: '()' }, /propert/],
      ['POST', '/market-api/v1/demands', { properties: { 'agora.subscription.expiration': 5 }, constraints: '()' }, /expiration/],
      ['POST', '/market-api/v1/agreements', { proposalId: 'nope', validTo: new Date().toISOString() }, /proposalId/],
      ['POST', '/market-api/v1/agreements', { proposalId: 'ab'.repeat(32), validTo: 'tomorrow' }, /validTo/],
      ['GET', '/market-api/v1/demands/zz/events', undefined, /subscriptionId/],
      ['GET', `/market-api/v1/demands/${'cd'.repeat(32)}/events?timeout=-1`, undefined, /timeout/]
    ]
    for (const [method, path, body, message] of cases) {
      const reply = await c.call(method, path, body)
      assert.equal(reply.status, 400, `${method} ${path} ${JSON.stringify(body)} → ${reply.status} ${JSON.stringify(reply.body)}`)
      assert.match(reply.body.message, message)
    }
    assert.equal(
      (await c.call('POST', '/market-api/v1/agreements', { proposalId: 'ab'.repeat(32), validTo: new Date(Date.now() + 60_000).toISOString() })).status,
      404
    )
    assert.equal((await c.call('GET', `/market-api/v1/agreements/${'ef'.repeat(32)}`)).status, 404)
    assert.deepEqual(await c.expect<any[]>(200, 'GET', '/market-api/v1/demands'), before)
  })

  it('serves the OpenAPI document with the market paths', async () => {
    const doc = await requester.client.expect<any>(200, 'GET', '/agora-api/v1/openapi.json')
    for (const path of [
      '/market-api/v1/offers',
      '/market-api/v1/demands/{subscriptionId}/events',
      '/market-api/v1/agreements/{agreementId}/approve',
      '/market-api/v1/scan'
    ]) {
      assert.ok(path in doc.paths, path)
    }
  })
})

describe('market: proposals expire', function () {
  this.timeout(180_000)
  const cluster = new Cluster()
  let provider: TestNode
  let requester: TestNode
  const shortProposals = {
    configure: (config: any) => {
      config.modules.market = { proposalTtlMs: 3_000 }
    }
  }

  before(async () => {
    provider = await cluster.start(shortProposals)
    requester = await cluster.start(shortProposals)
  })
  after(async () => {
    await cluster.stop()
  })

  it('an expired draft can be neither turned into an agreement nor countered', async () => {
    const drafted = await negotiateDraft(provider, requester)
    const draft = await requester.client.expect<any>(200, 'GET', `/market-api/v1/demands/${drafted.demandId}/proposals/${drafted.offerDraftId}`)
    await eventually(
      'the draft expires',
      async () =>
        (await requester.client.expect<any>(200, 'GET', `/market-api/v1/demands/${drafted.demandId}/proposals/${drafted.offerDraftId}`)).state === 'Expired',
      20_000
    )
    const create = await requester.client.call('POST', '/market-api/v1/agreements', {
      proposalId: drafted.offerDraftId,
      validTo: new Date(Date.now() + 60_000).toISOString()
    })
    assert.equal(create.status, 410)
    assert.match(create.body.message, /Expired/)
    const counter = await provider.client.call(
      'POST',
      `/market-api/v1/offers/${drafted.offerId}/proposals/${draft.prevProposalId}`,
      providerOffer(provider.nodeId)
    )
    assert.equal(counter.status, 410)
  })
})
