import assert from 'node:assert/strict'
import { NetHost, NodeKey, signEnvelope } from '../../net/index.ts'
import type { NodeId } from '../../net/index.ts'
import { OwnerSession, SecaggClient } from '../../custody/index.ts'
import type { SessionTerms } from '../../custody/index.ts'
import { ManualClock } from '../helpers/manual-clock.ts'
import { waitFor } from '../helpers/wait.ts'
import { fixedSum, secaggWorld, vectors } from './secagg-helpers.ts'
import type { SecaggWorld } from './secagg-helpers.ts'

const ROUND_MS = 60_000
const LENGTH = 6

describe('secure aggregation over libp2p (5 owners, threshold 3)', function () {
  this.timeout(180_000)
  let clock: ManualClock
  let world: SecaggWorld

  beforeEach(async () => {
    clock = new ManualClock()
    world = await secaggWorld(5, clock)
  })

  afterEach(async () => {
    await world?.stop()
  })

  const ids = (): NodeId[] => world.owners.map(owner => owner.host.nodeId)

  function open(threshold = 3): { sessionId: string; url: string } {
    return world.aggregator.create({ participants: ids(), threshold, length: LENGTH, roundTimeoutMs: ROUND_MS })
  }

  async function contribute(url: string, index: number, values: readonly number[]): Promise<void> {
    await world.owners[index]!.contributor.contribute({
      url,
      requesterId: world.aggregatorHost.nodeId,
      dataset: 'patients',
      values,
      signal: AbortSignal.timeout(120_000)
    })
  }

  /** Waits until the open round has `count` answers, then passes its deadline. */
  async function closeAtDeadline(sessionId: string, round: string, count: number): Promise<void> {
    await waitFor(`${count} answers in ${round}`, () => {
      const current = world.aggregator.inspect(sessionId)?.round
      return current?.name === round && current.received.size === count
    })
    clock.advance(ROUND_MS)
  }

  /** No owner's self-mask share and mask-key share both reached the aggregator. */
  function assertNeverBoth(sessionId: string): void {
    const records = world.aggregator.inspect(sessionId)!.unmaskRecords
    assert.ok(records.length >= 3)
    const selfOf = new Set(records.flatMap(r => r.selfSharesOf))
    const keyOf = new Set(records.flatMap(r => r.keySharesOf))
    for (const owner of selfOf) assert.ok(!keyOf.has(owner), `both shares of ${owner} reached the aggregator`)
  }

  for (const dropouts of [0, 1, 2]) {
    it(`sums exactly with ${dropouts} owner(s) dropped before AdvertiseKeys`, async () => {
      const { sessionId, url } = open()
      const inputs = vectors(5, LENGTH, 7 + dropouts)
      const staying = [0, 1, 2, 3, 4].slice(0, 5 - dropouts)
      const sent = Promise.all(staying.map(async i => await contribute(url, i, inputs[i]!)))
      if (dropouts > 0) await closeAtDeadline(sessionId, 'advertise', staying.length)
      await sent
      const view = await world.aggregator.view(sessionId, 60_000)
      assert.equal(view.state, 'Done', view.error)
      assert.deepEqual(
        view.sumFixed,
        fixedSum(
          staying.map(i => inputs[i]!),
          16
        )
      )
      for (let i = 0; i < LENGTH; i++) assert.ok(Math.abs(view.sum![i]! - staying.reduce((s, k) => s + inputs[k]![i]!, 0)) < 1e-3)
      assert.deepEqual([...view.survivors].sort(), staying.map(i => ids()[i]!).sort())
      assert.equal(view.dropped.length, dropouts)
      assertNeverBoth(sessionId)
    })
  }

  it('fails cleanly with 3 dropouts under threshold 3: state Failed, an error naming the round, every waiting owner told', async () => {
    const { sessionId, url } = open()
    const inputs = vectors(2, LENGTH, 3)
    const sent = [0, 1].map(
      async i =>
        await contribute(url, i, inputs[i]!).then(
          () => assert.fail('a contribution went through a failed session'),
          (err: unknown) => err as { code?: string; message: string }
        )
    )
    await closeAtDeadline(sessionId, 'advertise', 2)
    const view = await world.aggregator.view(sessionId, 30_000)
    assert.equal(view.state, 'Failed')
    assert.match(view.error!, /only 2 of 5 owners answered the advertise round .*under the threshold 3/)
    assert.equal(view.sum, undefined)
    for (const err of await Promise.all(sent)) {
      assert.equal(err.code, 'Gone')
      assert.match(err.message, /failed: only 2 of 5/)
    }
  })

  it('a sharer that drops before its masked input: its pairwise masks are removed through its mask-key shares', async () => {
    const { sessionId, url } = open()
    const inputs = vectors(5, LENGTH, 11)
    const quitter = world.owners[4]!
    const client = new SecaggClient(quitter.host)
    const terms = await client.terms(world.aggregatorHost.nodeId, sessionId)
    const session = new OwnerSession(terms, quitter.host.key)
    const sent = Promise.all([0, 1, 2, 3].map(async i => await contribute(url, i, inputs[i]!)))
    await client.submit(terms.aggregator, 'advertise', session.advertise())
    session.acceptKeys((await client.outcome(terms, 'advertise')).keys!)
    await client.submit(terms.aggregator, 'shares', session.shareKeys())
    await closeAtDeadline(sessionId, 'masked', 4)
    await sent
    const view = await world.aggregator.view(sessionId, 60_000)
    assert.equal(view.state, 'Done', view.error)
    assert.deepEqual(view.sumFixed, fixedSum(inputs.slice(0, 4), 16))
    assert.deepEqual(view.dropped, [quitter.host.nodeId])
    const records = world.aggregator.inspect(sessionId)!.unmaskRecords
    for (const record of records) assert.deepEqual(record.keySharesOf, [quitter.host.nodeId])
    assertNeverBoth(sessionId)
  })

  it('an owner that drops after its masked input: its input stays in the sum, its self mask removed through its self-mask shares', async () => {
    const { sessionId, url } = open()
    const inputs = vectors(5, LENGTH, 13)
    const quitter = world.owners[4]!
    const client = new SecaggClient(quitter.host)
    const terms = await client.terms(world.aggregatorHost.nodeId, sessionId)
    const session = new OwnerSession(terms, quitter.host.key)
    const sent = Promise.all([0, 1, 2, 3].map(async i => await contribute(url, i, inputs[i]!)))
    await client.submit(terms.aggregator, 'advertise', session.advertise())
    session.acceptKeys((await client.outcome(terms, 'advertise')).keys!)
    await client.submit(terms.aggregator, 'shares', session.shareKeys())
    const shared = await client.outcome(terms, 'shares')
    session.acceptShares(shared.sharers!, shared.boxes!)
    const { encodeFixed } = await import('../../custody/index.ts')
    await client.submit(terms.aggregator, 'masked', session.maskedInput(encodeFixed(inputs[4]!, 16, 5)))
    await sent
    // It never confirms the survivors nor unmasks: the others carry on at the deadline.
    await closeAtDeadline(sessionId, 'consistency', 4)
    const view = await world.aggregator.view(sessionId, 60_000)
    assert.equal(view.state, 'Done', view.error)
    assert.deepEqual(view.sumFixed, fixedSum(inputs, 16))
    assert.equal(view.survivors.length, 5)
    const records = world.aggregator.inspect(sessionId)!.unmaskRecords
    assert.equal(records.length, 4)
    for (const record of records) {
      assert.ok(record.selfSharesOf.includes(quitter.host.nodeId))
      assert.deepEqual(record.keySharesOf, [])
    }
    assertNeverBoth(sessionId)
  })

  it('refuses a forged signature, a non-participant, a replayed or relayed message, and a message of another round', async () => {
    const { sessionId } = open()
    const [a, b] = world.owners
    const aggregator = world.aggregatorHost.nodeId
    const clientA = new SecaggClient(a!.host)
    const terms = await clientA.terms(aggregator, sessionId)
    const sessionA = new OwnerSession(terms, a!.host.key)
    const advert = sessionA.advertise()
    const forged = { ...advert, payload: { ...advert.payload, cPk: 'ab'.repeat(32) } }
    await assert.rejects(clientA.submit(aggregator, 'advertise', forged), { code: 'BadRequest', message: /signature/ })
    await clientA.submit(aggregator, 'advertise', advert)
    await assert.rejects(clientA.submit(aggregator, 'advertise', advert), { code: 'Conflict', message: /already answered/ })
    // B relays A's signed message as its own.
    await assert.rejects(new SecaggClient(b!.host).submit(aggregator, 'advertise', advert), { code: 'Forbidden', message: /signed by/ })
    // A's advertisement sent as another round's message.
    await assert.rejects(clientA.submit(aggregator, 'shares', advert), { code: 'BadRequest', message: /expected a agora-secagg-shares envelope/ })
    // A message for a session that A's signature never covered.
    const other = world.aggregator.create({ participants: ids(), threshold: 3, length: LENGTH, roundTimeoutMs: ROUND_MS })
    const replay = signEnvelope(a!.host.key, 'agora-secagg-advertise', { ...advert.payload })
    await assert.rejects(clientA.submit(aggregator, 'advertise', { ...replay, payload: { ...replay.payload, sessionId: other.sessionId } }), {
      code: 'BadRequest'
    })
    const stranger = { host: new NetHost({ key: NodeKey.random() }) }
    try {
      await stranger.host.start()
      await stranger.host.dial(world.aggregatorHost.addresses()[0]!)
      const strangerClient = new SecaggClient(stranger.host)
      await assert.rejects(strangerClient.terms(aggregator, sessionId), { code: 'Forbidden', message: /not a participant/ })
      const strangerSession = new OwnerSession({ ...terms, participants: [...terms.participants, stranger.host.nodeId] }, stranger.host.key)
      await assert.rejects(strangerClient.submit(aggregator, 'advertise', strangerSession.advertise()), { code: 'Forbidden', message: /not a participant/ })
    } finally {
      await stranger.host.stop()
    }
    assert.deepEqual([...world.aggregator.inspect(sessionId)!.round.received.keys()], [a!.host.nodeId])
  })

  it('an owner refuses an aggregator that is not the requester, and a bad vector, before sending anything', async () => {
    const { sessionId, url } = open()
    const owner = world.owners[0]!.contributor
    const base = { url, dataset: 'patients', signal: AbortSignal.timeout(30_000) }
    await assert.rejects(owner.contribute({ ...base, requesterId: world.owners[1]!.host.nodeId, values: [1, 2, 3, 4, 5, 6] }), {
      code: 'Forbidden',
      message: /not the agreement's requester/
    })
    const requesterId = world.aggregatorHost.nodeId
    await assert.rejects(owner.contribute({ ...base, requesterId, values: [1, 2, Number.NaN, 4, 5, 6] }), {
      code: 'BadRequest',
      message: /value 2 is not a finite number/
    })
    await assert.rejects(owner.contribute({ ...base, requesterId, values: [1, 2, 1e15, 4, 5, 6] }), { code: 'BadRequest', message: /value 2 is too large/ })
    await assert.rejects(owner.contribute({ ...base, requesterId, values: [1, 2] }), { code: 'BadRequest', message: /6 values, not 2/ })
    await assert.rejects(owner.contribute({ ...base, requesterId, url: 'agora-secagg:nobody/x', values: [1] }), { code: 'BadRequest' })
    assert.equal(world.aggregator.inspect(sessionId)!.round.received.size, 0)
  })

  it("an owner refuses an aggregator's answers that break the protocol: keys of a stranger, survivors it did not sign, survivors told otherwise to another owner, an unmasking before the survivors are confirmed, a second unmasking", async () => {
    const { sessionId } = open()
    const [a, b] = world.owners
    const aggregator = world.aggregatorHost.nodeId
    const terms: SessionTerms = await new SecaggClient(a!.host).terms(aggregator, sessionId)
    const sessionA = new OwnerSession(terms, a!.host.key)
    const strangerAdvert = signEnvelope(NodeKey.random(), 'agora-secagg-advertise', { ...sessionA.advertise().payload })
    assert.throws(() => sessionA.acceptKeys([sessionA.advertise(), strangerAdvert]), { code: 'Forbidden', message: /not a participant/ })
    const sessionB = new OwnerSession(terms, b!.host.key)
    const others = world.owners.slice(2).map(o => new OwnerSession(terms, o.host.key))
    const all = [sessionA, sessionB, ...others]
    const adverts = all.map(s => s.advertise())
    assert.throws(() => sessionA.acceptKeys(adverts.slice(1)), { code: 'Forbidden', message: /own keys/ })
    sessionA.acceptKeys(adverts)
    const boxes = all.map(s => {
      s.acceptKeys(adverts)
      return { from: s.self, shares: s.shareKeys() }
    })
    const toA = boxes.filter(x => x.from !== sessionA.self).map(x => ({ from: x.from, box: x.shares.payload.boxes.find(y => y.to === sessionA.self)!.box }))
    sessionA.acceptShares(
      all.map(s => s.self),
      toA
    )
    const badSurvivors = signEnvelope(b!.host.key, 'agora-secagg-survivors', { sessionId, survivors: all.map(s => s.self) })
    assert.throws(() => sessionA.acceptSurvivors(aggregator, badSurvivors), { code: 'Forbidden', message: /not the aggregator/ })
    const survivors = signEnvelope(world.aggregatorHost.key, 'agora-secagg-survivors', { sessionId, survivors: all.map(s => s.self) })
    const check = sessionA.acceptSurvivors(aggregator, survivors)
    // Nothing is revealed before at least t owners confirmed one list of survivors.
    assert.throws(() => sessionA.unmask(), { code: 'Forbidden', message: /not confirmed/ })
    // An aggregator telling B that A's neighbour dropped (to get its mask-key shares from B, its self-mask shares from A) is caught.
    const toldOtherwise = signEnvelope(b!.host.key, 'agora-secagg-consistency', {
      sessionId,
      survivors: all
        .map(s => s.self)
        .filter(id => id !== others[0]!.self)
        .sort()
    })
    assert.throws(() => sessionA.acceptChecks([check, toldOtherwise]), { code: 'Forbidden', message: /was told other survivors/ })
    assert.throws(() => sessionA.unmask(), { code: 'Forbidden', message: /not confirmed/ })
    assert.throws(() => sessionA.acceptChecks([check]), { code: 'Forbidden', message: /under the threshold/ })
    const checks = [check]
    for (const session of [sessionB, ...others]) {
      const toIt = boxes.filter(x => x.from !== session.self).map(x => ({ from: x.from, box: x.shares.payload.boxes.find(y => y.to === session.self)!.box }))
      session.acceptShares(
        all.map(s => s.self),
        toIt
      )
      checks.push(session.acceptSurvivors(aggregator, survivors))
    }
    sessionA.acceptChecks(checks)
    const unmasking = sessionA.unmask()
    assert.equal(unmasking.payload.selfShares.length, 5)
    assert.deepEqual(unmasking.payload.keyShares, [])
    assert.throws(() => sessionA.unmask(), { code: 'Forbidden', message: /once/ })
  })
})
