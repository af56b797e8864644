// Workflows on the requester's daemon over real daemons (libp2p on loopback,
// LevelDB in temp dirs): a document is checked and kept, step states follow
// the runner's reports, and an intermediate result moves only when every
// owner in its provenance, asked over /agora/custody/release/1, allows the
// destination by its dataset's release.to.
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Cluster } from '../helpers/cluster.ts'
import type { TestNode } from '../helpers/cluster.ts'
import type { DatasetPolicy } from '../../custody/index.ts'

const PREFIX = '/agora-api/v1/custody/workflows'
const algorithm = { runtime: 'wasmtime', image: 'hash:sha3:00:http://127.0.0.1:1/a.wasm', command: 'run' }

/** The owner's policy file, where its daemon reads it (<dataDir>/custody/policies/<dataset>.json) at start. */
async function writePolicy(dataDir: string, policy: DatasetPolicy): Promise<void> {
  const dir = join(dataDir, 'custody', 'policies')
  await mkdir(dir, { recursive: true })
  await writeFile(join(dir, `${policy.dataset}.json`), JSON.stringify(policy))
}

/** The owner's audited release decisions about one workflow, read from its audit log. */
async function releaseDecisions(owner: TestNode, workflowId: string): Promise<{ allow?: boolean; requesterId?: string; detail?: Record<string, unknown> }[]> {
  const entries = await owner.client.expect(200, 'GET', '/agora-api/v1/custody/audit?kind=decision')
  return entries.filter((entry: { detail?: Record<string, unknown> }) => entry.detail?.workflowId === workflowId)
}

function policy(dataset: string, to: string[]): DatasetPolicy {
  return {
    dataset,
    algorithms: { hashes: [`sha3:${'0'.repeat(64)}`] },
    output: { maxBytes: 10_000, minRows: 1, kinds: ['model', 'vector'], logs: 'none', exitCodes: 'status' },
    release: { to }
  }
}

describe('custody: workflows and the moves of intermediate results over real daemons', function () {
  this.timeout(180_000)
  const cluster = new Cluster()
  let ownerA: TestNode
  let ownerB: TestNode
  let requester: TestNode
  let tmpRoot: string

  before(async () => {
    tmpRoot = await mkdtemp(join(tmpdir(), 'agora-workflow-owners-'))
    // A's clinic-a may go to the requester only; B's clinic-b to the requester and to A.
    await writePolicy(join(tmpRoot, 'owner-a'), policy('clinic-a', ['requester']))
    ownerA = await cluster.start({ dataDir: join(tmpRoot, 'owner-a') })
    await writePolicy(join(tmpRoot, 'owner-b'), policy('clinic-b', ['requester', ownerA.nodeId]))
    ownerB = await cluster.start({ dataDir: join(tmpRoot, 'owner-b') })
    requester = await cluster.start()
  })

  after(async () => {
    await cluster.stop()
    await rm(tmpRoot, { recursive: true, force: true })
  })

  const documentOf = (steps: unknown[]): unknown => ({ version: 1, name: 'federated training', steps })

  async function finish(workflowId: string, step: string): Promise<void> {
    await requester.client.expect(200, 'PUT', `${PREFIX}/${workflowId}/steps/${step}`, { state: 'Running' })
    await requester.client.expect(200, 'PUT', `${PREFIX}/${workflowId}/steps/${step}`, { state: 'Done' })
  }

  it('keeps a document with every step Pending, its provenance, and follows the step states', async () => {
    const site = { node: ownerA.nodeId, dataset: 'clinic-a' }
    const created = await requester.client.expect(
      201,
      'POST',
      PREFIX,
      documentOf([
        { id: 'prep', site, algorithm, outputs: ['clean'] },
        { id: 'combine', site: 'requester', algorithm, inputs: { a: 'prep.clean' }, outputs: ['result'] }
      ])
    )
    assert.match(created.workflowId, /^wf-[0-9a-f]{32}$/)
    assert.deepEqual(
      created.steps.map((step: { id: string; state: string }) => [step.id, step.state]),
      [
        ['prep', 'Pending'],
        ['combine', 'Pending']
      ]
    )
    assert.deepEqual(created.steps[1].provenance, [{ owner: ownerA.nodeId, dataset: 'clinic-a' }])
    // Not before its source is Done; an unknown input or step is NotFound; a final state stays final.
    const early = await requester.client.call('POST', `${PREFIX}/${created.workflowId}/steps/combine/moves`, { input: 'a' })
    assert.equal(early.status, 409)
    assert.equal((await requester.client.call('POST', `${PREFIX}/${created.workflowId}/steps/combine/moves`, { input: 'zz' })).status, 404)
    assert.equal((await requester.client.call('PUT', `${PREFIX}/${created.workflowId}/steps/nope`, { state: 'Running' })).status, 404)
    const noReason = await requester.client.call('PUT', `${PREFIX}/${created.workflowId}/steps/prep`, { state: 'Failed' })
    assert.equal(noReason.status, 400)
    await finish(created.workflowId, 'prep')
    const back = await requester.client.call('PUT', `${PREFIX}/${created.workflowId}/steps/prep`, { state: 'Running' })
    assert.equal(back.status, 409)
    assert.equal(back.body.code, 'Conflict')
    const shown = await requester.client.expect(200, 'GET', `${PREFIX}/${created.workflowId}`)
    assert.equal(shown.steps[0].state, 'Done')
    const listed = await requester.client.expect(200, 'GET', PREFIX)
    assert.ok(listed.some((workflow: { workflowId: string }) => workflow.workflowId === created.workflowId))
  })

  it('keeps its workflows across a restart of the daemon', async () => {
    const dataDir = join(tmpRoot, 'restarted')
    const first = await cluster.start({ dataDir })
    const created = await first.client.expect(201, 'POST', PREFIX, documentOf([{ id: 'only', site: 'requester', algorithm, outputs: ['out'] }]))
    await first.client.expect(200, 'PUT', `${PREFIX}/${created.workflowId}/steps/only`, { state: 'Running' })
    await first.client.expect(200, 'PUT', `${PREFIX}/${created.workflowId}/steps/only`, { state: 'Failed', reason: 'the module trapped' })
    await first.stop()
    const again = await cluster.start({ dataDir })
    const shown = await again.client.expect(200, 'GET', `${PREFIX}/${created.workflowId}`)
    assert.deepEqual([shown.steps[0].state, shown.steps[0].reason], ['Failed', 'the module trapped'])
    await again.stop()
  })

  it('moves a result to the requester when its owner allows it, asking that owner and auditing its decision there', async () => {
    const created = await requester.client.expect(
      201,
      'POST',
      PREFIX,
      documentOf([
        { id: 'train', site: { node: ownerA.nodeId, dataset: 'clinic-a' }, algorithm, outputs: ['model'] },
        { id: 'commit', site: 'requester', algorithm, inputs: { model: 'train.model' }, outputs: ['result'] }
      ])
    )
    await finish(created.workflowId, 'train')
    const verdict = await requester.client.expect(200, 'POST', `${PREFIX}/${created.workflowId}/steps/commit/moves`, { input: 'model' })
    assert.equal(verdict.allow, true, JSON.stringify(verdict))
    assert.deepEqual(
      verdict.owners.map((owner: { owner: string; allow: boolean }) => [owner.owner, owner.allow]),
      [[ownerA.nodeId, true]]
    )
    const [audited] = await releaseDecisions(ownerA, created.workflowId)
    assert.ok(audited !== undefined, 'the owner audits its decision')
    assert.deepEqual([audited.allow, audited.requesterId, audited.detail?.destination], [true, requester.nodeId, 'requester'])
    const shown = await requester.client.expect(200, 'GET', `${PREFIX}/${created.workflowId}`)
    assert.equal(shown.steps[1].moves[0].verdict.allow, true)
  })

  it("refuses a move when one owner's release.to does not list the destination, with that owner's reason", async () => {
    // B's model goes to A (B allows A); A's step combines both, and its result may not go to B: A lists only the requester.
    const created = await requester.client.expect(
      201,
      'POST',
      PREFIX,
      documentOf([
        { id: 'train-b', site: { node: ownerB.nodeId, dataset: 'clinic-b' }, algorithm, outputs: ['model'] },
        { id: 'merge-a', site: { node: ownerA.nodeId, dataset: 'clinic-a' }, algorithm, inputs: { b: 'train-b.model' }, outputs: ['model'] },
        { id: 'publish-b', site: { node: ownerB.nodeId, dataset: 'clinic-b' }, algorithm, inputs: { merged: 'merge-a.model' }, outputs: ['result'] }
      ])
    )
    await finish(created.workflowId, 'train-b')
    const toA = await requester.client.expect(200, 'POST', `${PREFIX}/${created.workflowId}/steps/merge-a/moves`, { input: 'b' })
    assert.equal(toA.allow, true, JSON.stringify(toA))
    await finish(created.workflowId, 'merge-a')
    const toB = await requester.client.expect(200, 'POST', `${PREFIX}/${created.workflowId}/steps/publish-b/moves`, { input: 'merged' })
    assert.equal(toB.allow, false)
    const byOwner = new Map(toB.owners.map((owner: { owner: string }) => [owner.owner, owner]))
    const refusal = byOwner.get(ownerA.nodeId) as { allow: boolean; reasons: { rule: string; message: string }[] }
    assert.equal(refusal.allow, false)
    assert.equal(refusal.reasons[0]!.rule, 'release.to')
    assert.ok(refusal.reasons[0]!.message.includes(ownerB.nodeId), refusal.reasons[0]!.message)
    // B's own dataset goes back to B: B is not asked about it.
    assert.equal((byOwner.get(ownerB.nodeId) as { allow: boolean }).allow, true)
    assert.ok(!(await releaseDecisions(ownerB, created.workflowId)).some(entry => entry.detail?.step === 'merge-a'))
    const refusedAudit = (await releaseDecisions(ownerA, created.workflowId)).find(entry => entry.detail?.step === 'merge-a')
    assert.equal(refusedAudit?.allow, false)
    // The owners' logs still verify after these entries.
    assert.equal((await ownerA.client.expect(200, 'GET', '/agora-api/v1/custody/audit/verify')).ok, true)
  })

  it('refuses a move when an owner has no policy for the dataset, and a bad document with a clear error', async () => {
    const created = await requester.client.expect(
      201,
      'POST',
      PREFIX,
      documentOf([
        { id: 'train', site: { node: ownerB.nodeId, dataset: 'unlisted' }, algorithm, outputs: ['model'] },
        { id: 'commit', site: 'requester', algorithm, inputs: { model: 'train.model' } }
      ])
    )
    await finish(created.workflowId, 'train')
    const verdict = await requester.client.expect(200, 'POST', `${PREFIX}/${created.workflowId}/steps/commit/moves`, { input: 'model' })
    assert.equal(verdict.allow, false)
    assert.equal(verdict.owners[0].reasons[0].rule, 'policy')
    const cyclic = await requester.client.call(
      'POST',
      PREFIX,
      documentOf([
        { id: 'one', site: 'requester', algorithm, inputs: { x: 'two.out' }, outputs: ['out'] },
        { id: 'two', site: 'requester', algorithm, inputs: { x: 'one.out' }, outputs: ['out'] }
      ])
    )
    assert.equal(cyclic.status, 400)
    assert.equal(cyclic.body.code, 'BadRequest')
    assert.match(cyclic.body.message, /one, two.*cycle/)
    const before = (await requester.client.expect(200, 'GET', PREFIX)).length
    const unknown = await requester.client.call('POST', PREFIX, documentOf([{ id: 'one', site: 'requester', algorithm, inputs: { x: 'ghost.out' } }]))
    assert.equal(unknown.status, 400)
    assert.equal((await requester.client.expect(200, 'GET', PREFIX)).length, before, 'nothing is kept of a refused document')
  })
})
