// The owner's policy through the provider agent as `agora service run
// --provider` runs it: the data offer carries the summary of the policy in
// force and is republished when the policy file changes; a demand for the
// dataset with an algorithm the policy does not allow is rejected by the
// agent's own negotiation, with the reason, and no agreement is made.
import assert from 'node:assert/strict'
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { DatasetPolicy } from '../../custody/index.ts'
import type { CustodyModule } from '../../daemon/modules/custody-module.ts'
import type { MarketModule } from '../../daemon/modules/market-module.ts'
import type { ProviderModule } from '../../daemon/modules/provider-module.ts'
import type { RuntimeAnswer } from '../../daemon/provider/offers/index.ts'
import { Cluster } from '../helpers/cluster.ts'
import type { TestNode } from '../helpers/cluster.ts'
import { eventually } from '../helpers/wait.ts'
import { initialProposalId } from '../../market/negotiation/proposal-book.ts'

const MACHINE = { threads: 2, cpuModel: 'Test CPU', architecture: 'x86_64', memoryGib: 8, diskGib: 50 }
const WASMTIME: RuntimeAnswer = { name: 'wasmtime', available: true, offerProperties: { 'golem.runtime.name': 'wasmtime' } }
const ALLOWED = 'a1'.repeat(32)

describe('custody policy through the provider agent of a real daemon', function () {
  this.timeout(180_000)
  const cluster = new Cluster()
  let provider: TestNode
  let requester: TestNode
  const moduleOf = <M>(node: TestNode, name: string): M => node.modules.find(module => module.name === name) as M
  /** The data offer as the requester's market knows it, once it says `policy`. */
  const dataOfferSaying = async (summary: RegExp) =>
    await eventually(
      `the data offer saying ${summary}`,
      async () =>
        moduleOf<MarketModule>(requester, 'market')
          .market.knownOffers()
          .find(offer => offer.properties['agora.data.name'] === 'patients' && summary.test(String(offer.properties['agora.data.policy']))),
      60_000
    )

  let sourceDir: string | undefined
  before(async () => {
    provider = await cluster.start({
      configure: config => {
        config.modules.provider = { offer: true, nodeName: 'data-owner' }
      },
      provider: { machine: async () => MACHINE, runtimes: async () => [WASMTIME] }
    })
    requester = await cluster.start()
    // The owner's file lives outside the daemon's data dir, which no dataset may read.
    sourceDir = await mkdtemp(join(tmpdir(), 'agora-policy-offers-'))
    const csv = join(sourceDir, 'patients.csv')
    await writeFile(csv, 'age,weight\n40,70.5\n51,80.25\n')
    await provider.client.expect(201, 'POST', '/agora-api/v1/custody/datasets', { name: 'patients', csv })
  })
  after(async () => {
    await cluster.stop()
    if (sourceDir !== undefined) await rm(sourceDir, { recursive: true, force: true })
  })

  it('the offer carries the policy in force, and an algorithm it does not allow is rejected by the agent before any agreement', async () => {
    await dataOfferSaying(/^policy: none$/)
    const judge = moduleOf<CustodyModule>(provider, 'custody').policies
    const policy: DatasetPolicy = {
      dataset: 'patients',
      algorithms: { hashes: [`sha3:${ALLOWED}`] },
      output: { maxBytes: 4096, minRows: 10, kinds: ['aggregate'], logs: 'none', exitCodes: 'status' }
    }
    await writeFile(join(provider.dataDir, 'policy.tmp'), JSON.stringify(policy))
    await rename(join(provider.dataDir, 'policy.tmp'), judge.fileOf('patients'))
    const offer = await dataOfferSaying(/^algorithms: 1 by hash; .*min rows 10; logs none/)

    const demand = {
      properties: {
        'golem.srv.comp.expiration': Date.now() + 3_600_000,
        'agora.data.name': 'patients',
        'golem.srv.comp.task_package': `hash:sha3:${'b2'.repeat(32)}:http://127.0.0.1:9/a.wasm`
      },
      constraints: '(&(agora.data.name=patients)(golem.node.id.name=data-owner))'
    }
    const demandId = await requester.client.subscribe('demand', demand.properties, demand.constraints)
    // The offer saying the policy: the one it replaced may still be known a while.
    const fromOffer = (e: any): boolean => e.eventType === 'ProposalEvent' && e.proposal.proposalId === initialProposalId(demandId, offer.offerId)
    const initial = (await requester.client.nextEvent('demand', demandId, fromOffer)).proposal
    assert.equal(initial.properties['agora.data.policy'], offer.properties['agora.data.policy'])
    const draftId = await requester.client.expect<string>(201, 'POST', `/market-api/v1/demands/${demandId}/proposals/${initial.proposalId}`, demand)
    const answer = await requester.client.nextEvent(
      'demand',
      demandId,
      e => (e.eventType === 'ProposalRejectedEvent' && e.proposalId === draftId) || (e.eventType === 'ProposalEvent' && e.proposal.prevProposalId === draftId)
    )
    assert.equal(answer.eventType, 'ProposalRejectedEvent', JSON.stringify(answer))
    assert.equal(answer.reason['golem.provider.code'], 'DataPolicy')
    assert.match(answer.reason.message, /algorithms.hashes: algorithm sha3:b2b2/)
    assert.equal(moduleOf<MarketModule>(provider, 'market').market.listAgreements().length, 0)
    const [decision] = await moduleOf<CustodyModule>(provider, 'custody').audit.list({ kind: 'decision' })
    assert.equal(decision?.allow, false)
    assert.equal(decision?.requesterId, requester.nodeId.toLowerCase())
    assert.ok(moduleOf<ProviderModule>(provider, 'provider').offers!.offerIds().includes(offer.offerId))
  })
})
