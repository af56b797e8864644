import assert from 'node:assert/strict'
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Level } from 'level'
import { MarketModule } from '../../daemon/modules/market-module.ts'
import { NetHost, NodeKey, Outbox, signEnvelope } from '../../net/index.ts'
import type { OutboxDb, SignedEnvelope } from '../../net/index.ts'
import { Cluster } from '../helpers/cluster.ts'
import type { TestNode } from '../helpers/cluster.ts'
import { ManualClock } from '../helpers/manual-clock.ts'
import { approvedAgreement, confirmAgreement, negotiateAgreement } from '../helpers/negotiation.ts'
import { eventually } from '../helpers/wait.ts'

const marketOf = (node: TestNode): MarketModule => {
  const module = node.modules.find(m => m instanceof MarketModule)
  assert.ok(module instanceof MarketModule)
  return module
}

const agreementEvents = async (node: TestNode, agreementId: string): Promise<any[]> =>
  (await node.client.expect<any[]>(200, 'GET', '/market-api/v1/agreementEvents?timeout=0&maxEvents=100')).filter(e => e.agreementId === agreementId)

describe('market: approvals and closings reach the other party, whenever it is reachable', function () {
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

  it('terminate while the provider is stopped: Terminated at once here, and there once it is back — the requester restarting in between', async () => {
    const { agreementId } = await approvedAgreement(provider, requester)
    const providerDir = provider.dataDir
    const providerId = provider.nodeId
    await provider.stop()

    await requester.client.expect(204, 'POST', `/market-api/v1/agreements/${agreementId}/terminate`, { message: 'done early', 'golem.requestor.code': 'Done' })
    assert.equal((await requester.client.agreement(agreementId)).state, 'Terminated')
    const queued = marketOf(requester).outbox.pending(providerId)
    assert.deepEqual(
      queued.map(m => m.kind),
      ['agreement.close']
    )

    // The requester restarts: the closing is still queued, from disk.
    const requesterDir = requester.dataDir
    await requester.stop()
    requester = await cluster.start({ dataDir: requesterDir, bootstrap: [] })
    assert.equal((await requester.client.agreement(agreementId)).state, 'Terminated')
    assert.deepEqual(
      marketOf(requester)
        .outbox.pending(providerId)
        .map(m => m.id),
      queued.map(m => m.id)
    )

    // The provider comes back (joining through the requester); no REST call to anyone.
    const delivered = once(marketOf(requester).outbox, 'message:delivered')
    provider = await cluster.start({ dataDir: providerDir, bootstrap: [requester.addresses[0]!] })
    assert.equal(provider.nodeId, providerId)
    await delivered
    const atProvider = await provider.client.agreement(agreementId)
    assert.equal(atProvider.state, 'Terminated')
    const reason = await provider.client.expect(200, 'POST', `/market-api/v1/agreements/${agreementId}/terminate/reason`)
    assert.equal(reason.reason.message, 'done early')
    assert.equal(reason.reason['golem.requestor.code'], 'Done')
    assert.equal(reason.terminator, 'Requestor')
    assert.deepEqual(
      (await agreementEvents(provider, agreementId)).map(e => e.eventType),
      ['AgreementApprovedEvent', 'AgreementTerminatedEvent']
    )
    assert.deepEqual(marketOf(requester).outbox.pending(), [])
  })

  it('cancel while the provider is stopped: it reaches the provider once back, which can then no longer approve', async () => {
    const negotiated = await negotiateAgreement(provider, requester)
    await confirmAgreement(provider, requester, negotiated)
    const { agreementId } = negotiated
    const providerDir = provider.dataDir
    await provider.stop()
    await requester.client.expect(204, 'POST', `/market-api/v1/agreements/${agreementId}/cancel`, { message: 'changed my mind' })
    assert.equal((await requester.client.agreement(agreementId)).state, 'Cancelled')
    const delivered = once(marketOf(requester).outbox, 'message:delivered')
    provider = await cluster.start({ dataDir: providerDir, bootstrap: [requester.addresses[0]!] })
    await delivered
    assert.equal((await provider.client.agreement(agreementId)).state, 'Cancelled')
    assert.deepEqual(
      (await agreementEvents(provider, agreementId)).map(e => e.eventType),
      ['AgreementCancelledEvent']
    )
    assert.equal((await provider.client.call('POST', `/market-api/v1/agreements/${agreementId}/approve?timeout=1`)).status, 410)
  })

  it('a full outbox refuses a closing with 503 before anything is written', async () => {
    await requester.stop()
    requester = await cluster.start({
      dataDir: requester.dataDir,
      configure: config => {
        config.modules.market = { outboxMaxPendingPerPeer: 1 }
      }
    })
    const first = await approvedAgreement(provider, requester)
    const second = await approvedAgreement(provider, requester)
    const providerDir = provider.dataDir
    await provider.stop()
    await requester.client.expect(204, 'POST', `/market-api/v1/agreements/${first.agreementId}/terminate`, { message: 'one' })
    const full = await requester.client.call('POST', `/market-api/v1/agreements/${second.agreementId}/terminate`, { message: 'two' })
    assert.equal(full.status, 503, JSON.stringify(full.body))
    assert.match(full.body.message, /1 messages already wait/)
    assert.equal((await requester.client.agreement(second.agreementId)).state, 'Approved')
    assert.deepEqual(
      (await agreementEvents(requester, second.agreementId)).map(e => e.eventType),
      ['AgreementApprovedEvent']
    )
    // Once the first is delivered there is room again.
    const delivered = once(marketOf(requester).outbox, 'message:delivered')
    provider = await cluster.start({ dataDir: providerDir, bootstrap: [requester.addresses[0]!] })
    await delivered
    await requester.client.expect(204, 'POST', `/market-api/v1/agreements/${second.agreementId}/terminate`, { message: 'two' })
    await eventually(
      'both Terminated at the provider',
      async () =>
        (await provider.client.agreement(first.agreementId)).state === 'Terminated' &&
        (await provider.client.agreement(second.agreementId)).state === 'Terminated'
    )
  })

  it('both terminating at once: each acknowledges the other’s terminate, both end Terminated, nothing is dropped', async () => {
    const { agreementId } = await approvedAgreement(provider, requester)
    const dropped: unknown[] = []
    for (const node of [provider, requester]) marketOf(node).outbox.addEventListener('message:dropped', e => dropped.push(e.detail))
    const answers = await Promise.all(
      [provider, requester].map(
        async node => await node.client.call('POST', `/market-api/v1/agreements/${agreementId}/terminate`, { message: `by ${node.nodeId}` })
      )
    )
    assert.ok(answers.some(a => a.status === 204))
    for (const a of answers) assert.ok(a.status === 204 || a.status === 410, JSON.stringify(a.body))
    for (const node of [provider, requester]) {
      await eventually('delivered', async () => marketOf(node).outbox.pending().length === 0)
      assert.equal((await node.client.agreement(agreementId)).state, 'Terminated')
    }
    assert.deepEqual(dropped, [])
  })

  describe('what a third node sends', () => {
    let dir: string
    let stranger: NetHost
    let db: Level<string, unknown>

    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'agora-stranger-'))
      db = new Level(join(dir, 'db'), { valueEncoding: 'json' })
      await db.open()
      stranger = new NetHost({ key: NodeKey.random() })
      await stranger.start()
    })
    afterEach(async () => {
      await stranger.stop()
      await db.close()
      await rm(dir, { recursive: true, force: true })
    })

    it('a duplicate closing is acknowledged without a second event; forged ones are refused and dropped, not retried', async () => {
      const { agreementId } = await approvedAgreement(provider, requester)
      const delivered = once(marketOf(requester).outbox, 'message:delivered')
      await requester.client.expect(204, 'POST', `/market-api/v1/agreements/${agreementId}/terminate`, { message: 'finished' })
      await delivered
      assert.equal((await provider.client.agreement(agreementId)).state, 'Terminated')
      const closing = marketOf(requester).market.agreementRecord(agreementId)?.closing as SignedEnvelope | undefined
      assert.ok(closing !== undefined)

      await stranger.dial(provider.addresses[0]!)
      const protocol = marketOf(provider).outbox.protocol
      // The requester's own closing once more (a retry after a lost acknowledgement).
      assert.deepEqual(await stranger.request(protocol, provider.nodeId, { kind: 'agreement.close', envelope: closing }), { result: 'ack' })
      assert.deepEqual(
        (await agreementEvents(provider, agreementId)).map(e => e.eventType),
        ['AgreementApprovedEvent', 'AgreementTerminatedEvent']
      )
      // Tampered with: the signature no longer verifies.
      const tampered = { ...closing, payload: { ...(closing.payload as object), reason: { message: 'forged' } } }
      const refusedForgery = await stranger.request(protocol, provider.nodeId, { kind: 'agreement.close', envelope: tampered })
      assert.equal(refusedForgery.result, 'refused')
      // Signed by the stranger, for an agreement it is no party to.
      const own = signEnvelope(stranger.key, 'market.agreement-close', { agreementId, action: 'terminate', timestamp: new Date().toISOString() })
      const refusedStranger = await stranger.request(protocol, provider.nodeId, { kind: 'agreement.close', envelope: own })
      assert.deepEqual(refusedStranger.result === 'refused' && refusedStranger.code, 'NotFound')
      const reason = await provider.client.expect(200, 'POST', `/market-api/v1/agreements/${agreementId}/terminate/reason`)
      assert.equal(reason.reason.message, 'finished')

      // Through an outbox of its own: refused for good, so dropped with no retry scheduled.
      const clock = new ManualClock()
      const outbox = new Outbox({ owner: 'market', host: stranger, db: db as unknown as OutboxDb, clock })
      await outbox.start()
      try {
        const dropped = once(outbox, 'message:dropped')
        const unknownAgreement = signEnvelope(stranger.key, 'market.agreement-close', {
          agreementId: 'ab'.repeat(32),
          action: 'terminate',
          timestamp: new Date().toISOString()
        })
        await outbox.enqueue(provider.nodeId, 'agreement.close', unknownAgreement)
        const [event] = (await dropped) as [CustomEvent]
        assert.equal(event.detail.code, 'NotFound')
        assert.deepEqual(outbox.pending(), [])
        assert.deepEqual(clock.pending(), [])
        assert.deepEqual(await db.keys({ gte: 'outbox:m:', lt: 'outbox:m;' }).all(), [])
      } finally {
        await outbox.stop()
      }
    })
  })

  it('a reason within the wire’s bounds is accepted; one past them is refused with 400 and changes nothing', async () => {
    const { agreementId } = await approvedAgreement(provider, requester)
    const tooLong = await requester.client.call('POST', `/market-api/v1/agreements/${agreementId}/terminate`, { message: 'x'.repeat(5000) })
    assert.equal(tooLong.status, 400, JSON.stringify(tooLong.body))
    const nested = await requester.client.call('POST', `/market-api/v1/agreements/${agreementId}/terminate`, {
      message: 'ok',
      detail: { deep: 'x'.repeat(100_000) }
    })
    assert.equal(nested.status, 400, JSON.stringify(nested.body))
    assert.equal((await requester.client.agreement(agreementId)).state, 'Approved')
    assert.deepEqual(marketOf(requester).outbox.pending(), [])
    const delivered = once(marketOf(requester).outbox, 'message:delivered')
    await requester.client.expect(204, 'POST', `/market-api/v1/agreements/${agreementId}/terminate`, { message: 'x'.repeat(4096) })
    await delivered
    const reason = await provider.client.expect(200, 'POST', `/market-api/v1/agreements/${agreementId}/terminate/reason`)
    assert.equal(reason.reason.message.length, 4096)
  })
})
