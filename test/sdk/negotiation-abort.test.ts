// A negotiation stopped while it waits for the provider's approval, over two
// real daemons: the provider (driven through its Market API) approves just as
// the requester's cancel goes out, so the cancel answers Gone. The SDK must
// then hand the agreement it can no longer cancel to its caller (who ends it,
// as rent() ends any rental it cannot start), not leave it Approved unknown.
import assert from 'node:assert/strict'
import { systemClock } from '../../net/kernel.ts'
import { AbortedError } from '../../sdk/index.ts'
import type { ApiClient, ApiRequest } from '../../sdk/client/api-client.ts'
import { negotiate } from '../../sdk/rental/negotiation.ts'
import { Cluster, TEST_APP_KEY } from '../helpers/cluster.ts'
import type { TestNode } from '../helpers/cluster.ts'
import { providerOffer, requesterDemand } from '../helpers/golem-terms.ts'
import { testApiClient } from '../helpers/sdk-api.ts'
import { eventually } from '../helpers/wait.ts'

describe('sdk negotiation stopped while the approval crosses its cancel', function () {
  this.timeout(120_000)
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

  it('hands the caller the agreement approved across its cancel', async () => {
    const name = `offer-${Math.random().toString(36).slice(2)}`
    const offer = providerOffer(provider.nodeId, { 'golem.node.id.name': name })
    const offerId = await provider.client.subscribe('offer', offer.properties, offer.constraints)
    const demand = requesterDemand({}, `(golem.node.id.name=${name})`)
    const real = testApiClient(requester.client.url, TEST_APP_KEY)
    const stop = new AbortController()
    let agreementId: string | undefined
    let cancelAnswer: unknown
    // The requester's API as the SDK sees it, with two moments in the provider's hands: the wait for the
    // approval is where the caller stops; the cancel goes out only once the provider has approved.
    const api: ApiClient = {
      ...real,
      call: async <T>(method: string, path: string, request: ApiRequest = {}): Promise<T> => {
        if (path.endsWith('/wait')) {
          agreementId = path.split('/').at(-2)
          stop.abort()
          throw new AbortedError('stopped by the test')
        }
        if (path.endsWith('/cancel')) {
          await provider.client.expect(204, 'POST', `/market-api/v1/agreements/${agreementId}/approve?timeout=30`)
          await eventually('Approved at the requester', async () => (await requester.client.agreement(agreementId!)).state === 'Approved')
          try {
            return await real.call<T>(method, path, request)
          } catch (error) {
            cancelAnswer = error
            throw error
          }
        }
        return await real.call<T>(method, path, request)
      }
    }
    // The provider counters the requester's proposal and waits for the agreement, as a Golem provider agent does.
    const providerSide = (async () => {
      const draft = await provider.client.nextEvent('offer', offerId, e => e.eventType === 'ProposalEvent' && e.proposal.state === 'Draft')
      await provider.client.expect(201, 'POST', `/market-api/v1/offers/${offerId}/proposals/${draft.proposal.proposalId}`, offer)
      await provider.client.nextEvent('offer', offerId, e => e.eventType === 'AgreementEvent')
    })()

    const { agreement } = await negotiate({ api, clock: systemClock }, demand, {
      runtime: 'wasmtime',
      image: 'hash:sha3:00:http://127.0.0.1:9/a.wasm',
      maxPrices: { startPrice: '1', cpuPerHour: '1', envPerHour: '1' },
      startupTimeoutMs: 60_000,
      signal: stop.signal
    })
    await providerSide
    assert.ok(cancelAnswer !== undefined, 'the cancel crossed the approval and was refused')
    assert.equal(agreement.agreementId, agreementId)
    assert.equal(agreement.state, 'Approved')
    // The caller ends it (rent() does so for a stopped negotiation), and both sides see it ended.
    await requester.client.expect(204, 'POST', `/market-api/v1/agreements/${agreementId}/terminate`, { message: 'stopped' })
    await eventually('Terminated at the provider', async () => (await provider.client.agreement(agreementId!)).state === 'Terminated')
  })
})
