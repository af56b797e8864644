// POST /agora-api/v1/market/explain on a requester daemon that has heard the
// offers of several kinds a provider daemon published: the counts, a bad demand
// refused with nothing stored, the route in the OpenAPI document; and the SDK's
// explainDemand and NoMatchingOffersError over it.
import assert from 'node:assert/strict'
import { NoMatchingOffersError } from '../../sdk/index.ts'
import { explainDemand, noMatchingOffers } from '../../sdk/market/index.ts'
import { Cluster, TEST_APP_KEY } from '../helpers/cluster.ts'
import type { TestNode } from '../helpers/cluster.ts'
import { providerOffer } from '../helpers/golem-terms.ts'
import { testApiClient } from '../helpers/sdk-api.ts'
import { eventually } from '../helpers/wait.ts'

const EXPLAIN = '/agora-api/v1/market/explain'
const KINDS = [
  { count: 3, extra: { 'golem.runtime.name': 'vm', 'golem.inf.mem.gib': 16 } },
  { count: 2, extra: { 'golem.runtime.name': 'wasmtime', 'golem.inf.mem.gib': 4 } },
  { count: 1, extra: { 'golem.runtime.name': 'wasmtime', 'golem.inf.mem.gib': 16 } }
]
const TOTAL = KINDS.reduce((sum, kind) => sum + kind.count, 0)

describe('the match explanation route', function () {
  this.timeout(120_000)
  const cluster = new Cluster()
  let provider: TestNode
  let requester: TestNode
  const demand = (constraints: string, subnet = 'agora-test') => ({
    properties: { 'golem.srv.comp.expiration': Date.now() + 3_600_000, 'golem.node.debug.subnet': subnet },
    constraints
  })

  before(async function () {
    this.timeout(120_000)
    provider = await cluster.start()
    requester = await cluster.start()
    for (const kind of KINDS) {
      for (let i = 0; i < kind.count; i++) {
        const offer = providerOffer(provider.nodeId, kind.extra)
        await provider.client.subscribe('offer', offer.properties, offer.constraints)
      }
    }
    await eventually('the requester knows every offer', async () => {
      const counts = await requester.client.expect<any>(200, 'POST', EXPLAIN, demand('()'))
      return counts.offersKnown === TOTAL
    })
  })

  after(async function () {
    this.timeout(60_000)
    await cluster.stop()
  })

  it('counts the offers known, matching, and what each term of the demand and of the offers excluded', async () => {
    const counts = await requester.client.expect<any>(
      200,
      'POST',
      EXPLAIN,
      demand('(&(golem.runtime.name=wasmtime)(golem.inf.mem.gib>=8)(golem.inf.gpu.model=*))')
    )
    assert.equal(counts.offersKnown, TOTAL)
    assert.equal(counts.matching, 0)
    assert.deepEqual(counts.demandConstraints, [
      { constraint: '(golem.runtime.name=wasmtime)', excluded: 3, undefinedCount: 0 },
      { constraint: '(golem.inf.mem.gib>=8)', excluded: 2, undefinedCount: 0 },
      // Presence is False, not Undefined, for a missing property.
      { constraint: '(golem.inf.gpu.model=*)', excluded: TOTAL, undefinedCount: 0 }
    ])
    assert.deepEqual(counts.offerConstraints, [])

    // Every offer asks for the subnet agora-test: a demand in another subnet is refused by all of them.
    const elsewhere = await requester.client.expect<any>(200, 'POST', EXPLAIN, demand('(golem.runtime.name=wasmtime)', 'elsewhere'))
    assert.deepEqual(elsewhere.offerConstraints, [{ constraint: '(golem.node.debug.subnet=agora-test)', excluded: TOTAL, undefinedCount: 0 }])
    assert.equal(elsewhere.matching, 0)

    const fitting = await requester.client.expect<any>(200, 'POST', EXPLAIN, demand('(&(golem.runtime.name=wasmtime)(golem.inf.mem.gib>=8))'))
    assert.equal(fitting.matching, 1)
  })

  it('refuses a bad demand with 400 naming what was wrong, and stores nothing', async () => {
    const before = await requester.client.expect<any[]>(200, 'GET', '/market-api/v1/demands')
    const broken = await requester.client.call('POST', EXPLAIN, demand('(golem.runtime.name=wasmtime'))
    assert.equal(broken.status, 400)
    assert.match(broken.body.message, /constraints/)
    assert.equal((await requester.client.call('POST', EXPLAIN, { properties: {} })).status, 400)
    assert.equal((await requester.client.call('POST', EXPLAIN, demand('()'), null)).status, 401)
    assert.deepEqual(await requester.client.expect<any[]>(200, 'GET', '/market-api/v1/demands'), before)
  })

  it('is in the OpenAPI document with its schemas', async () => {
    const document = await requester.client.expect<any>(200, 'GET', '/agora-api/v1/openapi.json')
    const operation = document.paths['/agora-api/v1/market/explain']?.post
    assert.equal(operation?.operationId, 'explainDemand')
    assert.ok(operation.responses['200'] !== undefined)
    assert.ok(operation.responses['400'] !== undefined)
  })

  it('gives the SDK its explanation and NoMatchingOffersError a sentence a user can act on', async () => {
    const api = testApiClient(requester.client.url, TEST_APP_KEY)
    const asked = demand('(&(golem.runtime.name=vm)(golem.inf.mem.gib>=32))')
    const explanation = await explainDemand(api, asked, [{ check: 'max prices', excluded: 2 }])
    assert.equal(explanation.offersKnown, TOTAL)
    assert.deepEqual(explanation.sdkChecks, [{ check: 'max prices', excluded: 2 }])
    const error = await noMatchingOffers(api, asked, [{ check: 'max prices', excluded: 2 }], { waited: '30 s' })
    assert.ok(error instanceof NoMatchingOffersError)
    assert.equal(error.code, 'NotFound')
    assert.equal(
      error.message,
      `no provider found within 30 s: ${TOTAL} offers known, none matched: golem.inf.mem.gib>=32 excluded ${TOTAL}, golem.runtime.name=vm excluded 3; the SDK's checks left out 2 by max prices`
    )
    assert.deepEqual(
      error.explanation.demandConstraints.map(t => t.excluded),
      [3, TOTAL]
    )

    const refused = await noMatchingOffers(testApiClient(requester.client.url, 'not-the-key-000000001'), asked)
    assert.match(refused.message, /the daemon could not say why \(the daemon at .* refused the app-key\)/)
  })

  it("lists a demand's proposals without taking them from its event queue, and 404s an unknown demand", async () => {
    const demandId = await requester.client.subscribe('demand', demand('(golem.runtime.name=wasmtime)').properties, '(golem.runtime.name=wasmtime)')
    try {
      const proposalsOf = async (): Promise<any[]> => await requester.client.expect<any[]>(200, 'GET', `/agora-api/v1/market/demands/${demandId}/proposals`)
      const wasmtime = KINDS.filter(kind => kind.extra['golem.runtime.name'] === 'wasmtime').reduce((sum, kind) => sum + kind.count, 0)
      await eventually('a proposal for each wasmtime offer', async () => (await proposalsOf()).length === wasmtime)
      const listed = await proposalsOf()
      assert.ok(listed.every(proposal => proposal.state === 'Initial' && proposal.properties['golem.runtime.name'] === 'wasmtime'))
      // The events still carry every proposal the listing showed.
      const events = await requester.client.events('demand', demandId, 5, 100)
      assert.deepEqual(
        events
          .filter(event => event.eventType === 'ProposalEvent')
          .map(event => event.proposal.proposalId)
          .sort(),
        listed.map(proposal => proposal.proposalId).sort()
      )
      assert.equal((await proposalsOf()).length, wasmtime, 'polling the events took nothing from the listing')
    } finally {
      await requester.client.call('DELETE', `/market-api/v1/demands/${demandId}`)
    }
    const unknown = await requester.client.call('GET', `/agora-api/v1/market/demands/${'0'.repeat(64)}/proposals`)
    assert.equal(unknown.status, 404)
  })
})
