// The deal keeper on a real provider daemon, negotiating with a real requester
// daemon over loopback libp2p through the requester's REST API: what each
// check of the chain does, as the requester sees it.
import assert from 'node:assert/strict'
import { Cluster } from '../../helpers/cluster.ts'
import type { TestNode } from '../../helpers/cluster.ts'
import { requesterDemand } from '../../helpers/golem-terms.ts'
import { agreeOn, attachKeeper, proposeTo, TestSettings } from '../../helpers/agent-deals.ts'
import type { AttachedKeeper } from '../../helpers/agent-deals.ts'
import { eventually } from '../../helpers/wait.ts'

const PLATFORM = 'erc20-holesky-tglm'
const INTERVAL = 'golem.com.scheme.payu.debit-note.interval-sec?'
const ACCEPT = 'golem.com.payment.debit-notes.accept-timeout?'
const PAYMENT_TIMEOUT = 'golem.com.scheme.payu.payment-timeout-sec?'
const COEFFS = 'golem.com.pricing.model.linear.coeffs'

describe('provider deals: the negotiator chain between two daemons', function () {
  this.timeout(180_000)
  const cluster = new Cluster()
  let provider: TestNode
  let requester: TestNode
  let agent: AttachedKeeper

  const demand = (extra: Record<string, unknown> = {}) =>
    requesterDemand({
      'golem.com.payment.chosen-platform': PLATFORM,
      [`golem.com.payment.platform.${PLATFORM}.address`]: requester.nodeId.toLowerCase(),
      ...extra
    })

  before(async () => {
    provider = await cluster.start()
    requester = await cluster.start()
  })
  /** Agreements a test made: ended after it, so that the next one starts with no agreement live. */
  const made: string[] = []
  afterEach(async () => {
    for (const agreementId of made.splice(0)) {
      await requester.client.call('POST', `/market-api/v1/agreements/${agreementId}/terminate`, { message: 'done' })
      await eventually('Terminated at the provider', async () => agent.market.getAgreement(agreementId).state === 'Terminated')
    }
    await agent?.stop()
  })
  after(async () => {
    await cluster.stop()
  })

  const start = async (settings = new TestSettings()) => {
    agent = await attachKeeper(provider, { settings })
    return agent
  }

  const rejection = (answer: any): Record<string, unknown> => {
    assert.equal(answer.eventType, 'ProposalRejectedEvent', `expected a rejection, got ${JSON.stringify(answer)}`)
    return answer.reason
  }

  it('a proposal that passes: countered with the offer and the adopted terms, and the agreement approved', async () => {
    const { offerName, offerId } = await start()
    const { answer } = await proposeTo(requester, provider, offerName, demand({ [INTERVAL]: 60 }))
    assert.equal(answer.eventType, 'ProposalEvent')
    const draft = answer.proposal
    assert.equal(draft.state, 'Draft')
    assert.equal(draft.issuerId, provider.nodeId)
    assert.equal(draft.properties[INTERVAL], 60, "the requester's interval, in range, adopted")
    assert.equal(draft.properties[ACCEPT], 240, 'the preferred accept timeout, the requester naming none')
    assert.equal(draft.properties[PAYMENT_TIMEOUT], undefined, 'no payments as it goes unless asked for')
    assert.deepEqual(draft.properties[COEFFS], [0.0001, 0.00005, 0])
    const { agreementId, status, events } = await agreeOn(requester, draft.proposalId)
    // Ended after the test whatever it finds, so that the next test starts with no agreement live.
    made.push(agreementId)
    assert.equal(status, 204)
    assert.deepEqual(
      events.map(e => e.eventType),
      ['AgreementApprovedEvent']
    )
    // The requester holds the approval; the provider is Approved once the acknowledgement is back.
    await eventually('Approved at the provider', async () => agent.market.getAgreement(agreementId).state === 'Approved')
    assert.equal(agent.market.getAgreement(agreementId).offer.offerId, offerId)
  })

  it('out-of-range terms and a lower price are countered with ours; the requester adopting them gets the agreement', async () => {
    const { offerName } = await start()
    const asked = demand({ [INTERVAL]: 5000, [ACCEPT]: 1, [COEFFS]: [0, 0, 0] })
    const { answer } = await proposeTo(requester, provider, offerName, asked)
    const draft = answer.proposal
    assert.equal(draft.properties[INTERVAL], 120)
    assert.equal(draft.properties[ACCEPT], 240)
    assert.deepEqual(draft.properties[COEFFS], [0.0001, 0.00005, 0])
    const { status, agreementId } = await agreeOn(requester, draft.proposalId)
    made.push(agreementId)
    assert.equal(status, 204)
  })

  it('a demand with no payment platform is rejected by payment-platform', async () => {
    const { offerName } = await start()
    const bare = requesterDemand()
    const reason = rejection((await proposeTo(requester, provider, offerName, bare)).answer)
    assert.equal(reason['golem.provider.code'], 'PaymentPlatform')
    assert.equal(reason['agora.provider.check'], 'payment-platform')
  })

  it('a denied requester is rejected by requester-list; on the allow list it is not', async () => {
    const settings = new TestSettings({ denyRequesters: [requester.nodeId as never] })
    const { offerName } = await start(settings)
    const reason = rejection((await proposeTo(requester, provider, offerName, demand())).answer)
    assert.equal(reason['golem.provider.code'], 'RequestorNotAllowed')
    assert.equal(reason['agora.provider.check'], 'requester-list')
    settings.set({ denyRequesters: [], allowRequesters: [requester.nodeId as never] })
    assert.equal((await proposeTo(requester, provider, offerName, demand())).answer.eventType, 'ProposalEvent')
  })

  it('expiration: too soon, too far, and beyond 10 hours without a payment timeout are rejected by expiration', async () => {
    const { offerName } = await start()
    for (const extra of [
      { 'golem.srv.comp.expiration': Date.now() + 60_000 },
      { 'golem.srv.comp.expiration': Date.now() + 2 * 86_400_000, [PAYMENT_TIMEOUT]: 3600 },
      { 'golem.srv.comp.expiration': Date.now() + 11 * 3_600_000 }
    ]) {
      const reason = rejection((await proposeTo(requester, provider, offerName, demand(extra))).answer)
      assert.equal(reason['golem.provider.code'], 'Expiration')
      assert.equal(reason['agora.provider.check'], 'expiration')
    }
    const long = await proposeTo(requester, provider, offerName, demand({ 'golem.srv.comp.expiration': Date.now() + 11 * 3_600_000, [PAYMENT_TIMEOUT]: 600 }))
    assert.equal(long.answer.eventType, 'ProposalEvent')
    assert.equal(long.answer.proposal.properties[PAYMENT_TIMEOUT], 600, "the requester's payment timeout, in range, adopted")
  })

  it('the agreement limit: counted at proposal time, and again at approval', async () => {
    const settings = new TestSettings({ maxAgreements: 1 })
    const { offerName } = await start(settings)
    // Two drafts while no agreement is live; the first agreement takes the one slot.
    const first = await proposeTo(requester, provider, offerName, demand())
    const second = await proposeTo(requester, provider, offerName, demand())
    const approved = await agreeOn(requester, first.answer.proposal.proposalId)
    made.push(approved.agreementId)
    assert.equal(approved.status, 204)
    const refused = await agreeOn(requester, second.answer.proposal.proposalId)
    assert.equal(refused.status, 410)
    const rejected = await eventually('the rejection among the requester’s agreement events', async () =>
      (await requester.client.expect<any[]>(200, 'GET', '/market-api/v1/agreementEvents?timeout=1&maxEvents=100')).find(
        e => e.eventType === 'AgreementRejectedEvent' && e.agreementId === refused.agreementId
      )
    )
    assert.equal(rejected.reason['golem.provider.code'], 'AgreementLimit')
    assert.equal(rejected.reason['agora.provider.check'], 'agreement-limit')
    // And a new proposal is refused at once.
    const reason = rejection((await proposeTo(requester, provider, offerName, demand())).answer)
    assert.equal(reason['golem.provider.code'], 'AgreementLimit')
    await requester.client.expect(204, 'POST', `/market-api/v1/agreements/${approved.agreementId}/terminate`, { message: 'done' })
    await eventually('the slot is free', async () => (await proposeTo(requester, provider, offerName, demand())).answer.eventType === 'ProposalEvent')
  })
})
