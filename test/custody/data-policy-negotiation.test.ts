// The owner's policy in negotiation, between a provider daemon (its custody
// module, policy files in its data dir, the agent's deal keeper on an offer
// for the dataset) and a requester daemon over loopback libp2p: an algorithm
// the policy does not allow is refused at the proposal, before any agreement
// exists, with the policy's reasons; an allowed one (by hash, or by a signed
// manifest) gets its agreement; every decision is in the owner's audit log.
import assert from 'node:assert/strict'
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DATA_PROPERTY, signManifest } from '../../custody/index.ts'
import type { DatasetPolicy, DatasetRegistry } from '../../custody/index.ts'
import type { CustodyModule } from '../../daemon/modules/custody-module.ts'
import { NodeKey } from '../../net/index.ts'
import { agreeOn, attachKeeper, proposeTo } from '../helpers/agent-deals.ts'
import type { AttachedKeeper } from '../helpers/agent-deals.ts'
import { Cluster } from '../helpers/cluster.ts'
import type { TestNode } from '../helpers/cluster.ts'
import { requesterDemand } from '../helpers/golem-terms.ts'
import { ManualClock } from '../helpers/manual-clock.ts'
import { eventually } from '../helpers/wait.ts'

const PLATFORM = 'erc20-holesky-tglm'
const DATASET = 'patients'
const ALLOWED = 'a1'.repeat(32)
const UNAPPROVED = 'b2'.repeat(32)
const packageOf = (hex: string): string => `hash:sha3:${hex}:http://127.0.0.1:9/algorithm.wasm`

describe('custody policy in negotiation: the data-policy check between two daemons', function () {
  this.timeout(180_000)
  const cluster = new Cluster()
  const publisher = NodeKey.random()
  let provider: TestNode
  let requester: TestNode
  let custody: CustodyModule
  let agent: AttachedKeeper
  const made: string[] = []
  /** The keeper's time: what the policy's window is judged on. */
  const clock = new ManualClock(Date.now())

  const demand = (extra: Record<string, unknown>) =>
    requesterDemand({
      'golem.com.payment.chosen-platform': PLATFORM,
      [`golem.com.payment.platform.${PLATFORM}.address`]: requester.nodeId.toLowerCase(),
      [DATA_PROPERTY.name]: DATASET,
      ...extra
    })
  const rejection = (answer: any): Record<string, unknown> => {
    assert.equal(answer.eventType, 'ProposalRejectedEvent', `expected a rejection, got ${JSON.stringify(answer)}`)
    return answer.reason
  }
  /** Saved as an editor saves it; resolves once the judge has it in force (waiting on its change, not on time). */
  const savePolicy = async (policy: DatasetPolicy): Promise<void> => {
    const text = JSON.stringify(policy)
    const judge = custody.policies
    // The same text again changes nothing (and the judge reports nothing).
    if (JSON.stringify(judge.policy(DATASET)) === text) return
    const inForce = new Promise<void>(resolve => {
      const unsubscribe = judge.onChange(dataset => {
        if (dataset === DATASET && JSON.stringify(judge.policy(DATASET)) === text) {
          unsubscribe()
          resolve()
        }
      })
    })
    const aside = join(judge.dir, `.${DATASET}.json.tmp`)
    await writeFile(aside, text)
    await rename(aside, judge.fileOf(DATASET))
    await inForce
  }
  const policy = (algorithms: DatasetPolicy['algorithms']): DatasetPolicy => ({
    dataset: DATASET,
    algorithms,
    requesters: [requester.nodeId],
    output: { maxBytes: 4096, minRows: 10, kinds: ['aggregate'], logs: 'none', exitCodes: 'status' }
  })
  const decisions = async () => await custody.audit.list({ dataset: DATASET, kind: 'decision' })
  const agreementsAtProvider = (): number => agent.market.listAgreements().filter(entry => entry.role === 'Provider').length

  let sourceDir: string | undefined
  before(async () => {
    provider = await cluster.start()
    requester = await cluster.start()
    custody = provider.modules.find(module => module.name === 'custody') as CustodyModule
    // The owner's file lives outside the daemon's data dir, which no dataset may read.
    sourceDir = await mkdtemp(join(tmpdir(), 'agora-policy-negotiation-'))
    const csv = join(sourceDir, 'patients.csv')
    await writeFile(csv, 'age,weight\n40,70.5\n51,80.25\n')
    await (custody.datasets as DatasetRegistry).add({ name: DATASET, source: { kind: 'csv', path: csv } })
    agent = await attachKeeper(provider, { custody: custody.dealCustody!, offerExtra: { [DATA_PROPERTY.name]: DATASET }, clock })
  })
  afterEach(async () => {
    for (const agreementId of made.splice(0)) {
      await requester.client.call('POST', `/market-api/v1/agreements/${agreementId}/terminate`, { message: 'done' })
      await eventually('Terminated at the provider', async () => agent.market.getAgreement(agreementId).state === 'Terminated')
    }
  })
  after(async () => {
    await agent?.stop()
    await cluster.stop()
    if (sourceDir !== undefined) await rm(sourceDir, { recursive: true, force: true })
  })

  it('with no policy for the dataset, every demand naming it is refused by the rule "policy"', async () => {
    const reason = rejection((await proposeTo(requester, provider, agent.offerName, demand({ 'golem.srv.comp.task_package': packageOf(ALLOWED) }))).answer)
    assert.equal(reason['golem.provider.code'], 'DataPolicy')
    assert.equal(reason['agora.provider.check'], 'data-policy')
    assert.match(String(reason.message), /policy: dataset patients has no policy in force/)
  })

  it('an unapproved algorithm is refused before any agreement exists, with the reason; the decision is audited', async () => {
    await savePolicy(policy({ hashes: [`sha3:${ALLOWED}`] }))
    const before = agreementsAtProvider()
    const audited = (await decisions()).length
    const reason = rejection((await proposeTo(requester, provider, agent.offerName, demand({ 'golem.srv.comp.task_package': packageOf(UNAPPROVED) }))).answer)
    assert.equal(reason['golem.provider.code'], 'DataPolicy')
    assert.match(String(reason.message), new RegExp(`algorithms.hashes: algorithm sha3:${UNAPPROVED} is not among the allowed hashes`))
    assert.equal(agreementsAtProvider(), before, 'no agreement was made')
    const entries = (await decisions()).slice(audited)
    assert.equal(entries.length, 1)
    assert.equal(entries[0]!.allow, false)
    assert.equal(entries[0]!.requesterId, requester.nodeId.toLowerCase())
    assert.deepEqual(
      entries[0]!.reasons?.map(r => r.rule),
      ['algorithms.hashes']
    )
    assert.equal(entries[0]!.detail?.stage, 'proposal')
  })

  it('an approved algorithm proceeds: countered, and its agreement approved; allowed at the proposal and at the agreement', async () => {
    await savePolicy(policy({ hashes: [`sha3:${ALLOWED}`] }))
    const audited = (await decisions()).length
    const { answer } = await proposeTo(requester, provider, agent.offerName, demand({ 'golem.srv.comp.task_package': packageOf(ALLOWED) }))
    assert.equal(answer.eventType, 'ProposalEvent', JSON.stringify(answer))
    const { agreementId, status } = await agreeOn(requester, answer.proposal.proposalId)
    made.push(agreementId)
    assert.equal(status, 204)
    await eventually('Approved at the provider', async () => agent.market.getAgreement(agreementId).state === 'Approved')
    const entries = (await decisions()).slice(audited)
    assert.deepEqual(
      entries.map(e => [e.detail?.stage, e.allow]),
      [
        ['proposal', true],
        ['agreement', true]
      ]
    )
    assert.deepEqual(await custody.audit.verify(), { ok: true, entries: (await custody.audit.list()).length })
  })

  it('a policy changed while the daemon runs decides the next demand: a signed manifest of a trusted publisher allows the other algorithm', async () => {
    await savePolicy(policy({ publishers: [publisher.nodeId] }))
    const manifest = signManifest(publisher, { name: 'mean', version: '1.0.0', hash: `sha3:${UNAPPROVED}` })
    const bare = demand({ 'golem.srv.comp.task_package': packageOf(UNAPPROVED) })
    const refused = rejection((await proposeTo(requester, provider, agent.offerName, bare)).answer)
    assert.match(String(refused.message), /algorithms.publishers: no signed manifest names the algorithm/)
    const signed = demand({ 'golem.srv.comp.task_package': packageOf(UNAPPROVED), [DATA_PROPERTY.manifest]: JSON.stringify(manifest) })
    const { answer } = await proposeTo(requester, provider, agent.offerName, signed)
    assert.equal(answer.eventType, 'ProposalEvent', JSON.stringify(answer))
  })

  it('several refusals at once are all named; a demand for a dataset the offer does not carry, or this node does not keep, is refused by the rule "dataset"', async () => {
    await savePolicy({ ...policy({ hashes: [`sha3:${ALLOWED}`] }), requesters: [NodeKey.random().nodeId] })
    const reason = rejection((await proposeTo(requester, provider, agent.offerName, demand({ 'golem.srv.comp.task_package': 'docker:alpine:3' }))).answer)
    assert.match(
      String(reason.message),
      /algorithms.hashes: the algorithm names no content hash.*; requesters: requester 0x[0-9a-f]{40} is not among the allowed requesters/
    )
    const other = rejection(
      (await proposeTo(requester, provider, agent.offerName, demand({ [DATA_PROPERTY.name]: 'elsewhere', 'golem.srv.comp.task_package': packageOf(ALLOWED) })))
        .answer
    )
    assert.equal(other['golem.provider.code'], 'DataPolicy')
    assert.match(String(other.message), /dataset: this offer is for dataset patients; dataset: this node keeps no dataset elsewhere/)
  })

  it("the time window is judged on the keeper's clock: refused before the hour opens, allowed once the clock is in it", async () => {
    const nextHour = (new Date(clock.now()).getUTCHours() + 1) % 24
    await savePolicy({ ...policy({ hashes: [`sha3:${ALLOWED}`] }), window: { hoursUtc: [nextHour, (nextHour + 1) % 24 || 24] } })
    // Far enough that the expiration check passes after the clock moves on.
    const asked = () => demand({ 'golem.srv.comp.task_package': packageOf(ALLOWED), 'golem.srv.comp.expiration': Date.now() + 4 * 3_600_000 })
    const refused = rejection((await proposeTo(requester, provider, agent.offerName, asked())).answer)
    assert.match(String(refused.message), /^dataset patients refused by its owner's policy: window.hoursUtc: open only/)
    clock.advance(3_600_000 - (clock.now() % 3_600_000) + 60_000)
    const { answer } = await proposeTo(requester, provider, agent.offerName, asked())
    assert.equal(answer.eventType, 'ProposalEvent', JSON.stringify(answer))
  })
})
