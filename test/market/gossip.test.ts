import assert from 'node:assert/strict'
import { Cluster } from '../helpers/cluster.ts'
import type { TestNode } from '../helpers/cluster.ts'
import { providerOffer, requesterDemand } from '../helpers/golem-terms.ts'
import { eventually } from '../helpers/wait.ts'

describe('market: offers over gossip across five daemons', function () {
  this.timeout(180_000)
  const cluster = new Cluster()
  let nodes: TestNode[]

  before(async () => {
    nodes = await cluster.startMany(5)
  })
  after(async () => {
    await cluster.stop()
  })

  const publish = async (node: TestNode, extra: Record<string, unknown> = {}): Promise<string> => {
    const offer = providerOffer(node.nodeId, extra)
    return await node.client.subscribe('offer', offer.properties, offer.constraints)
  }
  const sees = async (node: TestNode, offerId: string): Promise<boolean> => (await node.client.known('offer')).some(offer => offer.offerId === offerId)

  it('an offer published on one daemon is visible at every other, signed by its provider', async () => {
    const [provider, ...others] = nodes as [TestNode, ...TestNode[]]
    const offerId = await publish(provider, { 'golem.node.id.name': 'p-visible' })
    for (const node of others) {
      const offer = await eventually(`offer at ${node.nodeId}`, async () => (await node.client.known('offer')).find(o => o.offerId === offerId))
      assert.equal(offer.providerId, provider.nodeId)
      assert.equal(offer.properties['golem.node.id.name'], 'p-visible')
      assert.equal(offer.properties['golem.inf.mem.gib'], 8)
    }
    // The publisher lists it among its own subscriptions.
    const own = await provider.client.expect<any[]>(200, 'GET', '/market-api/v1/offers')
    assert.deepEqual(
      own.map(o => o.offerId),
      [offerId]
    )
  })

  it('a daemon that joins late learns the live offers', async () => {
    const provider = nodes[1]!
    const offerId = await publish(provider)
    await eventually('offer at node 2', async () => await sees(nodes[2]!, offerId))
    const late = await cluster.start({ bootstrap: [nodes[3]!.addresses[0]!] })
    await eventually('offer at the late joiner', async () => await sees(late, offerId))
  })

  it('an unsubscribed offer disappears everywhere, and unsubscribing twice says Gone', async () => {
    const provider = nodes[2]!
    const offerId = await publish(provider)
    for (const node of nodes) await eventually('offer spread', async () => await sees(node, offerId))
    assert.equal((await provider.client.call('DELETE', `/market-api/v1/offers/${offerId}`)).status, 204)
    for (const node of nodes) await eventually('offer gone', async () => !(await sees(node, offerId)))
    assert.equal((await provider.client.call('DELETE', `/market-api/v1/offers/${offerId}`)).status, 410)
    assert.equal((await provider.client.call('DELETE', `/market-api/v1/offers/${'ab'.repeat(32)}`)).status, 404)
  })

  it('an offer expires everywhere at its expiration', async () => {
    const provider = nodes[3]!
    // Long enough to spread on a loaded machine first; each node must see it before it expires.
    const expiresAt = Date.now() + 6_000
    const offerId = await publish(provider, { 'agora.subscription.expiration': expiresAt })
    for (const node of nodes) await eventually('offer spread', async () => await sees(node, offerId), Math.max(0, expiresAt - Date.now() - 100))
    for (const node of nodes) await eventually('offer expired', async () => !(await sees(node, offerId)))
    assert.ok(Date.now() >= expiresAt)
    assert.equal((await provider.client.call('GET', `/market-api/v1/offers/${offerId}/events?timeout=0`)).status, 404)
  })

  it('a demand stays local unless the requester asks for it to be broadcast', async () => {
    const requester = nodes[4]!
    const quiet = await requester.client.subscribe('demand', requesterDemand().properties, requesterDemand().constraints)
    const loud = await requester.client.subscribe('demand', { ...requesterDemand().properties, 'agora.demand.broadcast': true }, requesterDemand().constraints)
    const listDemands = async (node: TestNode): Promise<string[]> => (await node.client.known('demand')).map(d => d.demandId)
    await eventually('broadcast demand at node 0', async () => (await listDemands(nodes[0]!)).includes(loud))
    assert.ok(!(await listDemands(nodes[0]!)).includes(quiet))
  })

  it('a scan filters by constraints and by issuer', async () => {
    const [a, b] = [nodes[0]!, nodes[1]!]
    const small = await publish(a, { 'golem.inf.mem.gib': 1 })
    const big = await publish(b, { 'golem.inf.mem.gib': 64 })
    const observer = nodes[4]!
    await eventually('both offers', async () => (await sees(observer, small)) && (await sees(observer, big)))
    const bigOnes = (await observer.client.known('offer', '(golem.inf.mem.gib>=32)')).map(o => o.offerId)
    assert.ok(bigOnes.includes(big))
    assert.ok(!bigOnes.includes(small))
    const bad = await observer.client.call('POST', '/market-api/v1/scan', { type: 'offer', constraints: '(golem.inf.mem.gib>=' })
    assert.equal(bad.status, 400)
    assert.match(bad.body.message, /position/)
  })
})
