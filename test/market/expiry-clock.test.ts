// Every expiry of the market measured on an injected clock: two daemons share
// one manual clock, so each test moves time to the exact millisecond that
// matters instead of waiting for it. (gossip.test.ts keeps one real-time
// expiry, which proves the system clock is wired.)
import assert from 'node:assert/strict'
import { Cluster } from '../helpers/cluster.ts'
import type { TestNode } from '../helpers/cluster.ts'
import { ManualClock } from '../helpers/manual-clock.ts'
import { confirmAgreement, negotiateDraft } from '../helpers/negotiation.ts'
import { waitFor } from '../helpers/wait.ts'

const M = '/market-api/v1'
/** The market's default sweep interval. */
const SWEEP_MS = 1000
/** The market's default time a counter-proposal stays open. */
const PROPOSAL_TTL_MS = 10 * 60_000
/** The longest a REST long poll may wait (the server's cap). */
const MAX_WAIT_MS = 5 * 60_000

/** A promise with its outcome readable once it is in. */
function tracked<T>(promise: Promise<T>): { promise: Promise<T>; settled: () => boolean } {
  let settled = false
  void promise.then(
    () => (settled = true),
    () => (settled = true)
  )
  return { promise, settled: () => settled }
}

describe('market: expiries on an injected clock, to the millisecond', function () {
  this.timeout(120_000)
  // Starts at the real time: the broadcast layer still checks an offer's expiry against its own clock.
  const clock = new ManualClock(Date.now())
  const cluster = new Cluster()
  let provider: TestNode
  let requester: TestNode

  before(async () => {
    provider = await cluster.start({ clock })
    requester = await cluster.start({ clock })
  })
  after(async () => {
    await cluster.stop()
  })

  /** Waits (for real) until a timer due at `at` is set on the clock: the wait under test has begun. */
  const timerSetFor = async (at: number): Promise<void> => {
    await waitFor(`a timer due at ${at}`, () => clock.pending().includes(at))
  }

  /** Moves the clock on a sweep at a time until `done` holds (the sweeps that end things run on the clock's timers). */
  const sweepUntil = async (what: string, done: () => boolean): Promise<void> => {
    await waitFor(what, () => {
      if (!done()) clock.advance(SWEEP_MS)
      return done()
    })
  }

  it('a subscription ends at its agora.subscription.expiration: unlisted at that millisecond, and a waiting poll ends with 404', async () => {
    const expiresAt = clock.now() + 120_000
    const demandId = await requester.client.subscribe('demand', { 'agora.subscription.expiration': expiresAt }, '')
    const listed = async (): Promise<boolean> => (await requester.client.expect<any[]>(200, 'GET', `${M}/demands`)).some(d => d.demandId === demandId)
    const poll = tracked(requester.client.call('GET', `${M}/demands/${demandId}/events?timeout=300`))
    await timerSetFor(clock.now() + MAX_WAIT_MS)

    clock.advance(expiresAt - 1 - clock.now())
    assert.equal(await listed(), true)
    assert.equal(poll.settled(), false)
    clock.advance(1)
    assert.equal(await listed(), false)
    assert.equal((await requester.client.call('GET', `${M}/demands/${demandId}/events?timeout=0`)).status, 404)

    // The sweep ends the subscription for good, and with it the poll that waited on it.
    await sweepUntil('the waiting poll answered', poll.settled)
    assert.equal((await poll.promise).status, 404)
    assert.equal((await requester.client.call('DELETE', `${M}/demands/${demandId}`)).status, 410)
  })

  it('a poll with nothing to collect answers [] when its timeout passes on the clock', async () => {
    const demandId = await requester.client.subscribe('demand', {}, '')
    const startedAt = clock.now()
    const poll = tracked(requester.client.call('GET', `${M}/demands/${demandId}/events?timeout=30`))
    await timerSetFor(startedAt + 30_000)
    const agreementPoll = tracked(
      requester.client.call('GET', `${M}/agreementEvents?timeout=20&afterTimestamp=${encodeURIComponent(new Date(startedAt).toISOString())}`)
    )
    await timerSetFor(startedAt + 20_000)

    clock.advance(20_000)
    const agreementAnswer = await agreementPoll.promise
    assert.equal(agreementAnswer.status, 200)
    assert.deepEqual(agreementAnswer.body, [])
    assert.equal(poll.settled(), false)
    clock.advance(10_000)
    const answer = await poll.promise
    assert.equal(answer.status, 200)
    assert.deepEqual(answer.body, [])
  })

  it('a counter-proposal expires after the proposal TTL: Expired at that millisecond, and no agreement is made from it', async () => {
    const drafted = await negotiateDraft(provider, requester)
    const path = `${M}/demands/${drafted.demandId}/proposals/${drafted.offerDraftId}`
    const made = clock.now()
    clock.advance(PROPOSAL_TTL_MS - 1)
    assert.equal((await requester.client.expect(200, 'GET', path)).state, 'Draft')
    clock.advance(1)
    assert.equal(clock.now(), made + PROPOSAL_TTL_MS)
    assert.equal((await requester.client.expect(200, 'GET', path)).state, 'Expired')
    const create = await requester.client.call('POST', `${M}/agreements`, {
      proposalId: drafted.offerDraftId,
      validTo: new Date(clock.now() + 60_000).toISOString()
    })
    assert.equal(create.status, 410, JSON.stringify(create.body))
  })

  it('an agreement not approved by validTo expires on both sides at that millisecond; the waiting requester hears it', async () => {
    const drafted = await negotiateDraft(provider, requester)
    const validTo = clock.now() + 60_000
    const agreementId = await requester.client.expect<string>(201, 'POST', `${M}/agreements`, {
      proposalId: drafted.offerDraftId,
      validTo: new Date(validTo).toISOString()
    })
    await confirmAgreement(provider, requester, { ...drafted, agreementId })
    const waiting = tracked(requester.client.call('POST', `${M}/agreements/${agreementId}/wait?timeout=300`))
    // The wait ends a millisecond after validTo, when the agreement has expired.
    await timerSetFor(validTo + 1)

    clock.advance(validTo - 1 - clock.now())
    for (const node of [provider, requester]) assert.equal((await node.client.agreement(agreementId)).state, 'Pending')
    clock.advance(1)
    for (const node of [provider, requester]) assert.equal((await node.client.agreement(agreementId)).state, 'Expired')
    assert.equal(waiting.settled(), false)
    clock.advance(1)
    const answer = await waiting.promise
    assert.equal(answer.status, 410, JSON.stringify(answer.body))
    assert.match(answer.body.message, /Expired/)
    assert.equal((await provider.client.call('POST', `${M}/agreements/${agreementId}/approve?timeout=1`)).status, 410)
  })

  it('an unread scan lives exactly its timeout; a scan poll waits on the clock', async () => {
    const nothing = '(golem.node.id.name=no-such-node)'
    const scanId = await requester.client.expect<string>(201, 'POST', `${M}/scan`, { type: 'offer', constraints: nothing, timeout: 60 })
    const poll = tracked(requester.client.call('GET', `${M}/scan/${scanId}/events?timeout=5`))
    const polledAt = clock.now()
    await timerSetFor(polledAt + 5000)
    clock.advance(5000)
    assert.deepEqual((await poll.promise).body, [])
    // Last read at the end of that poll: it lives 60 s from then, and not a millisecond more.
    const newScan = async (): Promise<void> => {
      await requester.client.call('DELETE', `${M}/scan/${await requester.client.expect<string>(201, 'POST', `${M}/scan`, { type: 'offer' })}`)
    }
    clock.advance(60_000)
    await newScan()
    // Kept at exactly its timeout, and this read makes it fresh again.
    assert.equal((await requester.client.call('GET', `${M}/scan/${scanId}/events?timeout=0`)).status, 200)
    clock.advance(60_001)
    await newScan()
    assert.equal((await requester.client.call('GET', `${M}/scan/${scanId}/events?timeout=0`)).status, 404)
  })
})
