// A confirm whose answer is lost: the provider holds the agreement (Pending)
// while the requester still reads Proposal. A cancel must then reach the
// provider too, or the two would disagree until validTo. The requester here is
// a market over a real libp2p host and LevelDB whose wire loses exactly that
// one answer; the provider is a whole daemon.
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Level } from 'level'
import { Market, MarketError, marketNetOver, marketOutbox } from '../../market/index.ts'
import { NetHost, NodeKey } from '../../net/index.ts'
import type { OutboxDb } from '../../net/index.ts'
import { Cluster } from '../helpers/cluster.ts'
import type { TestNode } from '../helpers/cluster.ts'
import { providerOffer, requesterDemand } from '../helpers/golem-terms.ts'
import { eventually } from '../helpers/wait.ts'

const M = '/market-api/v1'
type MarketNet = ReturnType<typeof marketNetOver>

describe('market: a confirm whose answer was lost, then a cancel', function () {
  this.timeout(120_000)
  const cluster = new Cluster()
  let provider: TestNode
  let dir: string
  let host: NetHost
  let db: Level<string, unknown>
  let market: Market
  let loseAgreementAnswer = false

  before(async () => {
    provider = await cluster.start()
    dir = await mkdtemp(join(tmpdir(), 'agora-lost-answer-'))
    db = new Level(join(dir, 'db'), { valueEncoding: 'json' })
    await db.open()
    host = new NetHost({ key: NodeKey.random(), bootstrap: [provider.addresses[0]!] })
    await host.start()
    const wire = marketNetOver(host)
    const net: MarketNet = {
      ...wire,
      send: async (to, message, options) => {
        await wire.send(to, message, options)
        // Delivered and handled there, but the answer never comes back.
        if (message.kind === 'agreement' && loseAgreementAnswer) throw new MarketError('Timeout', `${to}: no answer in time`)
      }
    }
    const outbox = marketOutbox({ host, db: db as unknown as OutboxDb })
    market = new Market({ net, db: db as never, outbox })
    await market.start()
  })
  after(async () => {
    await market?.stop()
    await host?.stop()
    await db?.close()
    await cluster.stop()
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  /** The next event of our demand that passes `test` (a long poll on the market itself). */
  const nextDemandEvent = async (demandId: string, test: (event: any) => boolean): Promise<any> =>
    await eventually('a demand event', async () => (await market.collect('demand', demandId, 2000, 100)).find(test))

  it('the cancel reaches the provider that holds the agreement, though the requester never heard it arrive', async () => {
    const name = `offer-${Math.random().toString(36).slice(2)}`
    const offer = providerOffer(provider.nodeId, { 'golem.node.id.name': name })
    const offerId = await provider.client.subscribe('offer', offer.properties, offer.constraints)
    const demand = requesterDemand()
    const demandId = await market.subscribe('demand', demand)
    const initial = await nextDemandEvent(demandId, e => e.eventType === 'ProposalEvent' && e.proposal.properties['golem.node.id.name'] === name)
    const demandDraftId = await market.counterProposal('demand', demandId, initial.proposal.proposalId, demand)
    await provider.client.nextEvent('offer', offerId, e => e.eventType === 'ProposalEvent' && e.proposal.proposalId === demandDraftId)
    const offerDraftId = await provider.client.expect<string>(201, 'POST', `${M}/offers/${offerId}/proposals/${demandDraftId}`, offer)
    await nextDemandEvent(demandId, e => e.eventType === 'ProposalEvent' && e.proposal.proposalId === offerDraftId)
    const agreementId = await market.createAgreement(offerDraftId, new Date(Date.now() + 10 * 60_000).toISOString())

    loseAgreementAnswer = true
    await assert.rejects(market.confirmAgreement(agreementId), (err: unknown) => err instanceof MarketError && err.code === 'Timeout')
    loseAgreementAnswer = false
    assert.equal(market.getAgreement(agreementId).state, 'Proposal')
    await provider.client.nextEvent('offer', offerId, e => e.eventType === 'AgreementEvent' && e.agreement.agreementId === agreementId)
    assert.equal((await provider.client.agreement(agreementId)).state, 'Pending')

    await market.cancelAgreement(agreementId, { message: 'no answer came' })
    assert.equal(market.getAgreement(agreementId).state, 'Cancelled')
    await eventually('Cancelled at the provider', async () => (await provider.client.agreement(agreementId)).state === 'Cancelled')
    const events = (await provider.client.expect<any[]>(200, 'GET', `${M}/agreementEvents?timeout=0&maxEvents=100`)).filter(e => e.agreementId === agreementId)
    assert.deepEqual(
      events.map(e => [e.eventType, e.reason?.message]),
      [['AgreementCancelledEvent', 'no answer came']]
    )
    assert.equal((await provider.client.call('POST', `${M}/agreements/${agreementId}/approve?timeout=1`)).status, 410)
  })
})
