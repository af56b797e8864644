// A counter-proposal answered at once (as a provider agent does): the answer
// may arrive before the call that sent our draft has returned. The requester
// here is a market over a real libp2p host and LevelDB whose wire lets the
// provider answer our draft before the send returns; the provider is a whole daemon.
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Level } from 'level'
import { Market, marketNetOver, marketOutbox } from '../../market/index.ts'
import { NetHost, NodeKey } from '../../net/index.ts'
import type { OutboxDb } from '../../net/index.ts'
import { Cluster } from '../helpers/cluster.ts'
import type { TestNode } from '../helpers/cluster.ts'
import { providerOffer, requesterDemand } from '../helpers/golem-terms.ts'
import type { Reply } from '../helpers/market-client.ts'
import { eventually } from '../helpers/wait.ts'

const M = '/market-api/v1'
type MarketNet = ReturnType<typeof marketNetOver>

describe('market: a counter-proposal answered before its send returned', function () {
  this.timeout(120_000)
  const cluster = new Cluster()
  let provider: TestNode
  let dir: string
  let host: NetHost
  let db: Level<string, unknown>
  let market: Market
  let offer: { properties: Record<string, unknown>; constraints: string }
  let offerId = ''
  /** The provider's answer to our draft, made while our send of it had not returned. */
  let answered: Reply<string> | undefined

  before(async () => {
    provider = await cluster.start()
    dir = await mkdtemp(join(tmpdir(), 'agora-instant-answer-'))
    db = new Level(join(dir, 'db'), { valueEncoding: 'json' })
    await db.open()
    host = new NetHost({ key: NodeKey.random(), bootstrap: [provider.addresses[0]!] })
    await host.start()
    const wire = marketNetOver(host)
    const net: MarketNet = {
      ...wire,
      send: async (to, message, options) => {
        await wire.send(to, message, options)
        if (message.kind !== 'proposal' || offerId === '' || answered !== undefined) return
        // Delivered: the provider answers it now, before this send returns to the market.
        const draftId = (message.envelope.payload as { proposalId: string }).proposalId
        await provider.client.nextEvent('offer', offerId, e => e.eventType === 'ProposalEvent' && e.proposal.proposalId === draftId)
        answered = await provider.client.call<string>('POST', `${M}/offers/${offerId}/proposals/${draftId}`, offer)
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

  it('the answer finds our draft: the provider’s counter is taken, and the requester holds it', async () => {
    const name = `offer-${Math.random().toString(36).slice(2)}`
    offer = providerOffer(provider.nodeId, { 'golem.node.id.name': name })
    const id = await provider.client.subscribe('offer', offer.properties, offer.constraints)
    const demand = requesterDemand()
    const demandId = await market.subscribe('demand', demand)
    const initial = await eventually('the initial proposal', async () =>
      (await market.collect('demand', demandId, 2000, 100)).find(e => e.eventType === 'ProposalEvent' && e.proposal.properties['golem.node.id.name'] === name)
    )
    offerId = id
    const draftId = await market.counterProposal('demand', demandId, (initial as any).proposal.proposalId, demand)
    assert.equal(answered?.status, 201, `the provider's counter was refused: ${JSON.stringify(answered?.body)}`)
    const theirs = await eventually('the provider’s draft', async () =>
      (await market.collect('demand', demandId, 2000, 100)).find(e => e.eventType === 'ProposalEvent' && e.proposal.prevProposalId === draftId)
    )
    assert.equal((theirs as any).proposal.proposalId, answered?.body)
    assert.equal(market.getProposal('demand', demandId, draftId).state, 'Draft')
  })
})
