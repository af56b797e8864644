// An activity created the instant the requester holds the approval, before
// its acknowledgement is back at the provider (as golem-js does): the create
// shows the provider that the requester holds it, so the provider's agreement
// becomes Approved then and the activity is made; the acknowledgement, when it
// comes, changes nothing. The requester is a market over a real libp2p host and
// LevelDB whose acknowledgement of the approval is held until the test lets it
// go; the provider is a whole daemon.
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Level } from 'level'
import { MarketModule } from '../../daemon/modules/market-module.ts'
import { ACTIVITY_PROTOCOL } from '../../exe-unit/index.ts'
import { AGREEMENT_MESSAGES, Market, marketNetOver, marketOutbox } from '../../market/index.ts'
import type { MarketOutbox } from '../../market/index.ts'
import { NetHost, NodeKey } from '../../net/index.ts'
import type { NodeId, OutboxDb } from '../../net/index.ts'
import { Cluster } from '../helpers/cluster.ts'
import type { TestNode } from '../helpers/cluster.ts'
import { providerOffer, requesterDemand } from '../helpers/golem-terms.ts'
import { eventually } from '../helpers/wait.ts'

const M = '/market-api/v1'

/** The market's outbox, whose approval handler answers (acknowledges) only once `release` is called. */
function holdingApprovalAcks(outbox: ReturnType<typeof marketOutbox>): { outbox: MarketOutbox; heard: Promise<void>; release: () => void } {
  const { promise: heard, resolve: hear } = Promise.withResolvers<void>()
  const { promise: released, resolve: release } = Promise.withResolvers<void>()
  const held: MarketOutbox = {
    enqueue: outbox.enqueue.bind(outbox),
    nextAttempt: outbox.nextAttempt.bind(outbox),
    onSettled: outbox.onSettled.bind(outbox),
    start: outbox.start.bind(outbox),
    stop: outbox.stop.bind(outbox),
    pending: outbox.pending.bind(outbox),
    addEventListener: outbox.addEventListener.bind(outbox),
    removeEventListener: outbox.removeEventListener.bind(outbox),
    handle: (kind, handler) => {
      if (kind !== AGREEMENT_MESSAGES.approval) return outbox.handle(kind, handler)
      outbox.handle(kind, async (envelope, context) => {
        await handler(envelope, context)
        hear()
        await released
      })
    }
  }
  return { outbox: held, heard, release: () => release() }
}

const marketOf = (node: TestNode): MarketModule => {
  const module = node.modules.find(m => m instanceof MarketModule)
  assert.ok(module instanceof MarketModule)
  return module
}

describe('activity: created the instant the requester holds the approval, its acknowledgement still held', function () {
  this.timeout(120_000)
  const cluster = new Cluster()
  let provider: TestNode
  let dir: string
  let host: NetHost
  let db: Level<string, unknown>
  let market: Market
  let release: () => void
  let heard: Promise<void>

  before(async () => {
    provider = await cluster.start()
    dir = await mkdtemp(join(tmpdir(), 'agora-create-before-ack-'))
    db = new Level(join(dir, 'db'), { valueEncoding: 'json' })
    await db.open()
    host = new NetHost({ key: NodeKey.random(), bootstrap: [provider.addresses[0]!] })
    await host.start()
    const holding = holdingApprovalAcks(marketOutbox({ host, db: db as unknown as OutboxDb }))
    release = holding.release
    heard = holding.heard
    market = new Market({ net: marketNetOver(host), db: db as never, outbox: holding.outbox })
    await market.start()
  })
  after(async () => {
    release?.()
    await market?.stop()
    await host?.stop()
    await db?.close()
    await cluster.stop()
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  const nextDemandEvent = async (demandId: string, test: (event: any) => boolean): Promise<any> =>
    await eventually('a demand event', async () => (await market.collect('demand', demandId, 2000, 100)).find(test))

  it('the provider makes the activity and holds the agreement Approved; the late acknowledgement changes nothing', async () => {
    const name = `offer-${Math.random().toString(36).slice(2)}`
    const offer = providerOffer(provider.nodeId, { 'golem.node.id.name': name })
    const offerId = await provider.client.subscribe('offer', offer.properties, offer.constraints)
    // Fetched only by a deploy, which this test does not make.
    const demand = requesterDemand({ 'golem.srv.comp.task_package': 'http://127.0.0.1:9/never-fetched.wasm' })
    const demandId = await market.subscribe('demand', demand)
    const initial = await nextDemandEvent(demandId, e => e.eventType === 'ProposalEvent' && e.proposal.properties['golem.node.id.name'] === name)
    const demandDraftId = await market.counterProposal('demand', demandId, initial.proposal.proposalId, demand)
    await provider.client.nextEvent('offer', offerId, e => e.eventType === 'ProposalEvent' && e.proposal.proposalId === demandDraftId)
    const offerDraftId = await provider.client.expect<string>(201, 'POST', `${M}/offers/${offerId}/proposals/${demandDraftId}`, offer)
    await nextDemandEvent(demandId, e => e.eventType === 'ProposalEvent' && e.proposal.proposalId === offerDraftId)
    const agreementId = await market.createAgreement(offerDraftId, new Date(Date.now() + 10 * 60_000).toISOString())
    await market.confirmAgreement(agreementId)
    await provider.client.nextEvent('offer', offerId, e => e.eventType === 'AgreementEvent' && e.agreement.agreementId === agreementId)

    const approving = provider.client.call('POST', `${M}/agreements/${agreementId}/approve?timeout=60`)
    await heard
    await market.waitForApproval(agreementId, 0)
    assert.equal(market.getAgreement(agreementId).state, 'Approved')
    assert.equal((await provider.client.agreement(agreementId)).state, 'Pending', 'the acknowledgement is still held')

    const created = await host.request(ACTIVITY_PROTOCOL, provider.nodeId as NodeId, { op: 'create', agreementId })
    assert.match(String(created.value), /^[0-9a-f]{32}$/)
    assert.equal((await provider.client.agreement(agreementId)).state, 'Approved')
    assert.equal((await approving).status, 204, 'the approve call is answered once the agreement is Approved')

    const outbox = marketOf(provider).outbox
    const acknowledged = new Promise<void>(resolve => {
      const onDelivered = (event: CustomEvent<{ kind: string }>): void => {
        if (event.detail.kind !== AGREEMENT_MESSAGES.approval) return
        outbox.removeEventListener('message:delivered', onDelivered)
        resolve()
      }
      outbox.addEventListener('message:delivered', onDelivered)
    })
    release()
    await acknowledged
    assert.equal((await provider.client.agreement(agreementId)).state, 'Approved')
    const approvedEvents = (await provider.client.expect<any[]>(200, 'GET', `${M}/agreementEvents?timeout=0&maxEvents=100`)).filter(
      e => e.agreementId === agreementId && e.eventType === 'AgreementApprovedEvent'
    )
    assert.equal(approvedEvents.length, 1, JSON.stringify(approvedEvents))
  })
})
