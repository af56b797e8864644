import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { QUARANTINE_PREFIX } from '../../net/index.ts'
import { MarketClient } from '../helpers/market-client.ts'
import type { Reply } from '../helpers/market-client.ts'
import { SeededDraws } from '../helpers/prng.ts'
import { startProbedNode } from '../helpers/probed-node.ts'
import type { ProbedNode } from '../helpers/probed-node.ts'

// Seeded random bodies that pass the REST schemas, sent to every POST route
// that stores something. Each must either answer 2xx and work — then and after
// a restart — or answer 4xx and leave the store exactly as it was. A 5xx, or a
// 4xx that changed the store, is the defect this hunts: a limit checked after
// something was written.
const SEED = Number(process.env.AGORA_FUZZ_SEED ?? 20261201)
const M = '/market-api/v1'
const DAY = 86_400_000

class Gen extends SeededDraws {
  chance(p: number): boolean {
    return this.random() < p
  }
  text(length: number, alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789'): string {
    let out = ''
    for (let i = 0; i < length; i++) out += alphabet[this.int(alphabet.length)]
    return out
  }

  key(): string {
    // Mostly keys the market takes, so that the bodies get past the first check.
    if (this.chance(0.75))
      return `${this.pick(['golem.inf', 'golem.com', 'agora.fuzz'])}.${this.text(1 + this.int(20))}${this.chance(0.2) ? `[${this.text(3)}]` : ''}`
    return this.pick<() => string>([() => this.text(1 + this.int(6), 'ab .[]é\t-_'), () => '', () => `k.${this.text(250 + this.int(10))}`])()
  }

  scalar(): unknown {
    return this.pick<() => unknown>([
      () => this.int(1_000_000) - 500_000,
      () => this.random() * 1e6,
      () => 1e308,
      () => this.chance(0.5),
      () => this.text(this.int(40)),
      () => this.text(this.pick([1000, 8000, 16_384, 16_385])),
      () => null
    ])()
  }

  value(): unknown {
    if (this.chance(0.8)) return this.scalar()
    return this.pick<() => unknown>([
      () => Array.from({ length: this.pick([0, 2, 5, 1025]) }, () => (this.chance(0.9) ? this.int(100) : { nested: 1 })),
      () => ({ [this.text(3)]: this.scalar(), '@tag': this.chance(0.5) ? 'tagged' : { bad: true } }),
      () => ({ deep: { er: { still: this.scalar() } } })
    ])()
  }

  properties(): Record<string, unknown> {
    const properties: Record<string, unknown> = {}
    const count = this.pick([0, 1, 2, 3, 5, 8, 1030])
    for (let i = 0; i < count; i++) properties[this.key()] = count > 100 ? 1 : this.value()
    if (this.chance(0.2)) for (let i = 0, n = this.pick([3, 4, 5]); i < n; i++) properties[`agora.fuzz.bulk${i}`] = this.text(15_000)
    if (this.chance(0.4)) {
      properties['agora.subscription.expiration'] = this.pick<() => unknown>([
        () => Date.now() - 1000,
        () => Date.now() + (1 + this.int(10)) * DAY,
        () => Date.now() + 600_000 + 0.5,
        () => String(Date.now() + DAY),
        () => Date.now() + 3_600_000
      ])()
    }
    if (this.chance(0.2)) properties['agora.demand.broadcast'] = this.pick([true, false, 'yes'])
    return properties
  }

  constraints(): string {
    return this.pick<() => string>([
      () => '',
      () => '(golem.inf.mem.gib>=1)',
      () => '(&(golem.inf.cpu.threads>=1)(golem.runtime.name=wasm*))',
      () => '((',
      () => `(agora.fuzz.x=${this.text(this.pick([10, 5000, 60_000]))})`,
      () => `${'('.repeat(70)}a=1${')'.repeat(70)}`,
      () => this.text(this.int(30), 'ab()=&|!<>* ')
    ])()
  }

  timestamp(): string {
    return this.pick<() => string>([
      () => new Date(Date.now() + (1 + this.int(120)) * 60_000).toISOString(),
      () => new Date(Date.now() - 60_000).toISOString(),
      () => '9999-12-31T23:59:59Z',
      () => new Date(Date.now() + DAY).toISOString().replace('Z', '+02:00'),
      () => new Date(Date.now() + DAY).toISOString().toLowerCase(),
      () => new Date(Date.now() + DAY).toISOString().replace(/\.\d+Z$/, '.123456789Z')
    ])()
  }
}

describe('REST fuzz: a body the API accepts works after a restart; one it refuses changes nothing', function () {
  this.timeout(180_000)
  const gen = new Gen(SEED)
  let dir: string
  let provider: ProbedNode
  let requester: ProbedNode
  const failures: string[] = []

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agora-fuzz-'))
    provider = await startProbedNode(join(dir, 'provider'))
  })
  beforeEach(() => {
    failures.length = 0
  })
  after(async () => {
    await requester?.stop()
    await provider?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  /** One case: the call, and the store of `node` compared before and after. */
  async function attempt(node: ProbedNode, what: string, call: () => Promise<Reply>): Promise<Reply> {
    const before = await node.dump()
    const reply = await call()
    if (process.env.FUZZ_LOG) console.log(what, reply.status, JSON.stringify(reply.body)?.slice(0, 120))
    if (reply.status >= 500) failures.push(`${what}: ${reply.status} ${JSON.stringify(reply.body)}`)
    else if (reply.status >= 400) {
      const after = await node.dump()
      const changed = [...new Set([...before.keys(), ...after.keys()])].filter(k => before.get(k) !== after.get(k))
      if (changed.length > 0) failures.push(`${what}: ${reply.status} ${JSON.stringify(reply.body)} yet changed ${changed.slice(0, 3).join(', ')}`)
    }
    return reply
  }

  const assertNoFailures = (): void => {
    assert.deepEqual(failures, [], `seed ${SEED}`)
  }

  const offers: string[] = []
  const demands: string[] = []
  const keys: Array<{ name: string; key: string }> = []

  it('offers and demands', async () => {
    for (let i = 0; i < 60; i++) {
      const kind = i % 2 === 0 ? 'offer' : 'demand'
      const reply = await attempt(
        provider,
        `POST /${kind}s #${i}`,
        async () => await provider.client.call('POST', `${M}/${kind}s`, { properties: gen.properties(), constraints: gen.constraints() })
      )
      if (reply.status === 201) (kind === 'offer' ? offers : demands).push(reply.body)
    }
    assertNoFailures()
    // Both outcomes were reached, or the bodies were too tame to mean anything.
    assert.ok(offers.length + demands.length >= 5, `only ${offers.length + demands.length} accepted`)
  })

  it('app-keys', async () => {
    for (let i = 0; i < 25; i++) {
      const name = gen.pick<() => string>([
        () => `key-${gen.text(1 + gen.int(10))}`,
        () => gen.text(1 + gen.int(70), 'aZ09._-'),
        () => gen.text(1 + gen.int(5), 'a b/é'),
        () => '',
        () => 'autoconf'
      ])()
      const reply = await attempt(provider, `POST /app-keys ${JSON.stringify(name)}`, async () => await provider.admin('POST', '/app-keys', { name }))
      if (reply.status === 201) keys.push({ name, key: reply.body.key })
    }
    assertNoFailures()
    assert.ok(keys.length >= 3, `only ${keys.length} accepted`)
  })

  let demandId = ''
  let initialId = ''
  const drafts: string[] = []
  const agreements: string[] = []

  it('counter-proposals', async () => {
    const offerId = await provider.client.subscribe('offer', { 'agora.fuzz.fixed': 'yes', 'golem.inf.mem.gib': 4 }, '')
    offers.push(offerId)
    requester = await startProbedNode(join(dir, 'requester'), [provider.addresses[0]!])
    demandId = await requester.client.subscribe('demand', { 'golem.inf.mem.gib': 1 }, '(agora.fuzz.fixed=yes)')
    const initial = await requester.client.nextEvent(
      'demand',
      demandId,
      e => e.eventType === 'ProposalEvent' && e.proposal.issuerId === provider.nodeId,
      30_000
    )
    initialId = initial.proposal.proposalId
    for (let i = 0; i < 30; i++) {
      const constraints = gen.chance(0.5) ? '' : gen.constraints()
      const reply = await attempt(
        requester,
        `counter #${i}`,
        async () => await requester.client.call('POST', `${M}/demands/${demandId}/proposals/${initialId}`, { properties: gen.properties(), constraints })
      )
      if (reply.status === 201) drafts.push(reply.body)
    }
    assertNoFailures()
    assert.ok(drafts.length >= 3, `only ${drafts.length} accepted`)
  })

  it('agreements, each then confirmed', async () => {
    const offerId = offers.at(-1)!
    // The provider answers some of the requester's drafts: each answer may become one agreement.
    const offerDrafts: string[] = []
    const wanted = drafts.slice(0, 6)
    const seen = new Map<string, any>()
    while (wanted.some(id => !seen.has(id))) {
      for (const event of await provider.client.events('offer', offerId, 5, 100)) {
        if (event.eventType === 'ProposalEvent') seen.set(event.proposal.proposalId, event.proposal)
      }
    }
    for (const draft of wanted) {
      const properties = seen.get(draft).constraints === '' ? { 'agora.fuzz.fixed': 'yes', 'golem.inf.mem.gib': 4 } : undefined
      if (properties === undefined) continue
      const answer = await provider.client.call('POST', `${M}/offers/${offerId}/proposals/${draft}`, { properties, constraints: '' })
      if (answer.status !== 201) continue
      await requester.client.nextEvent('demand', demandId, e => e.eventType === 'ProposalEvent' && e.proposal.proposalId === answer.body, 30_000)
      offerDrafts.push(answer.body)
    }
    assert.ok(offerDrafts.length >= 2, `only ${offerDrafts.length} provider drafts`)
    for (let i = 0; i < 15; i++) {
      const proposalId = gen.pick([...offerDrafts, ...offerDrafts, initialId, drafts[0]!, gen.text(64, '0123456789abcdef')])
      const reply = await attempt(
        requester,
        `POST /agreements #${i}`,
        async () => await requester.client.call('POST', `${M}/agreements`, { proposalId, validTo: gen.timestamp() })
      )
      if (reply.status !== 201) continue
      agreements.push(reply.body)
      // Fully usable: the provider takes it.
      const confirmed = await requester.client.call('POST', `${M}/agreements/${reply.body}/confirm`)
      if (confirmed.status !== 204) failures.push(`confirm of agreement #${i}: ${confirmed.status} ${JSON.stringify(confirmed.body)}`)
    }
    assertNoFailures()
    assert.ok(agreements.length >= 2, `only ${agreements.length} agreements accepted`)
  })

  it('everything accepted is there after a restart, and nothing was set aside', async () => {
    for (const node of [provider, requester]) await node.stop()
    provider = await startProbedNode(provider.dataDir)
    requester = await startProbedNode(requester.dataDir, [provider.addresses[0]!])
    const liveOffers = (await provider.client.expect<any[]>(200, 'GET', `${M}/offers`)).map(o => o.offerId)
    const liveDemands = (await provider.client.expect<any[]>(200, 'GET', `${M}/demands`)).map(d => d.demandId)
    assert.deepEqual(liveOffers.sort(), [...offers].sort())
    assert.deepEqual(liveDemands.sort(), [...demands].sort())
    for (const { name, key } of keys) {
      const me = await new MarketClient(provider.client.url, key).expect<{ name: string }>(200, 'GET', '/me')
      assert.equal(me.name, name)
    }
    for (const draft of drafts) await requester.client.expect(200, 'GET', `${M}/demands/${demandId}/proposals/${draft}`)
    for (const agreement of agreements) assert.equal((await requester.client.agreement(agreement)).state, 'Pending')
    for (const node of [provider, requester]) {
      const quarantined = [...(await node.dump()).keys()].filter(key => key.includes(QUARANTINE_PREFIX))
      assert.deepEqual(quarantined, [])
    }
  })
})
