// A workflow whose owners' steps run where the data is: each owner's daemon
// keeps a dataset and a policy file, the requester's daemon makes an agreement
// naming the dataset and runs the step's WASI module in an activity there
// (the daemon's grant mounts /data read-only and releases /out through the
// output guard). The intermediate results move to the requester only when
// their owner allows it; the combination runs at the requester.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { DatasetPolicy, DatasetRegistry } from '../../custody/index.ts'
import type { CustodyModule } from '../../daemon/modules/custody-module.ts'
import { connect, runLocalStep, runWorkflow, workflow } from '../../sdk/index.ts'
import type { AgoraClient, StepExecutor, StepSession, WorkflowStepDocument } from '../../sdk/index.ts'
import { publishModule, startFileServer } from '../exe-unit/helpers.ts'
import { tagModule } from './workflow-modules.ts'
import type { FileServer } from '../exe-unit/helpers.ts'
import { Cluster, TEST_APP_KEY } from '../helpers/cluster.ts'
import type { TestNode } from '../helpers/cluster.ts'
import { approvedAgreement } from '../helpers/negotiation.ts'
import { PATIENTS_CSV } from './granted-unit.ts'
import { FD, OFLAGS, RIGHTS, WasiProgram } from './wasi-program.ts'

const API = '/activity-api/v1'

async function results(requester: TestNode, activityId: string, script: unknown[]): Promise<any[]> {
  const batchId = await requester.client.expect<string>(200, 'POST', `${API}/activity/${activityId}/exec`, { text: JSON.stringify(script) })
  for (;;) {
    const listed = await requester.client.expect<any[]>(200, 'GET', `${API}/activity/${activityId}/exec/${batchId}?timeout=30`)
    if (listed.at(-1)?.isBatchFinished === true) return listed
  }
}

/** An owner's step: an agreement naming its dataset, an activity there, outputs taken from /out through the owner's guard. */
function activityExecutor(requester: TestNode, owners: ReadonlyMap<string, TestNode>, started: string[], fetched: string[]): StepExecutor {
  return {
    async start(step: WorkflowStepDocument, inputs, signal): Promise<StepSession> {
      started.push(step.id)
      if (step.site === 'requester') return await runLocalStep(step, inputs, signal)
      const owner = owners.get(step.site.node)!
      const dataTerms = { 'agora.data.name': step.site.dataset }
      const { agreementId } = await approvedAgreement(owner, requester, {
        offerExtra: { 'golem.inf.mem.gib': 0.5, 'golem.inf.cpu.threads': 1, ...dataTerms },
        demandExtra: { 'golem.srv.comp.task_package': step.algorithm.image, ...dataTerms }
      })
      const { activityId } = await requester.client.expect<{ activityId: string }>(201, 'POST', `${API}/activity`, { agreementId })
      const ran = await results(requester, activityId, [{ deploy: {} }, { start: { args: [] } }, { run: { entry_point: step.algorithm.command, args: [] } }])
      assert.equal(ran[2].result, 'Ok', JSON.stringify(ran[2]))
      return {
        fetch: async output => {
          fetched.push(`${step.id}.${output}`)
          const name = `fetch-${randomUUID()}`
          const sent = await results(requester, activityId, [{ transfer: { from: `container:/out/${output}`, to: `agora-requester:${name}` } }])
          assert.equal(sent[0].result, 'Ok', JSON.stringify(sent[0]))
          const reply = await fetch(`${requester.service.status().apiUrl}/agora-api/v1/transfers/received/${name}`, {
            headers: { authorization: `Bearer ${TEST_APP_KEY}` }
          })
          assert.equal(reply.status, 200)
          return new Uint8Array(await reply.arrayBuffer())
        },
        close: async () => {
          await requester.client.call('DELETE', `${API}/activity/${activityId}`)
        }
      }
    }
  }
}

describe('sdk: a workflow whose owners run their steps next to their data, over real daemons', function () {
  this.timeout(240_000)
  const cluster = new Cluster()
  const allowLoopback = {
    configure: (config: any) => {
      config.modules.activity = { allowPrivateNetworks: true }
    }
  }
  let ownerA: TestNode
  let ownerB: TestNode
  let requester: TestNode
  let client: AgoraClient
  let files: FileServer
  let dir: string

  /** Reads /data/data.csv (the mount must be there) and writes an aggregate to /out/partial. */
  async function ownerStep(name: string, mean: number): Promise<{ image: string; hash: string; text: string }> {
    const text = JSON.stringify({ kind: 'aggregate', rows: 12, values: { 'age.mean': mean } })
    const bytes = await new WasiProgram()
      .open(FD.data, 'data.csv', { slot: 0 })
      .read({ slot: 0 })
      .open(FD.out, 'partial', { slot: 1, oflags: OFLAGS.creat, rights: RIGHTS.all })
      .writeText({ slot: 1 }, text)
      .build(0)
    const image = await publishModule(files, name, bytes)
    return { image, hash: image.split(':').slice(1, 3).join(':'), text }
  }

  async function ownerWith(dataset: string, policy: Omit<DatasetPolicy, 'dataset'>): Promise<TestNode> {
    const dataDir = join(dir, dataset)
    await mkdir(join(dataDir, 'custody', 'policies'), { recursive: true })
    await writeFile(join(dataDir, 'custody', 'policies', `${dataset}.json`), JSON.stringify({ dataset, ...policy }))
    const node = await cluster.start({ ...allowLoopback, dataDir })
    const source = join(dir, `${dataset}.csv`)
    await writeFile(source, PATIENTS_CSV)
    const custody = node.modules.find(module => module.name === 'custody') as CustodyModule
    await (custody.datasets as DatasetRegistry).add({ name: dataset, source: { kind: 'csv', path: source } })
    return node
  }

  let stepA: { image: string; hash: string; text: string }
  let stepB: { image: string; hash: string; text: string }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agora-workflow-sites-'))
    files = await startFileServer()
    stepA = await ownerStep('mean-a', 35.5)
    stepB = await ownerStep('mean-b', 41.5)
    requester = await cluster.start(allowLoopback)
    const output = { maxBytes: 4096, minRows: 10, kinds: ['aggregate' as const], logs: 'none' as const, exitCodes: 'status' as const }
    ownerA = await ownerWith('clinic-a', { algorithms: { hashes: [stepA.hash] }, requesters: [requester.nodeId], output, release: { to: ['requester'] } })
    // B lets its results go only to A's site, not to the requester.
    ownerB = await ownerWith('clinic-b', { algorithms: { hashes: [stepB.hash] }, requesters: [requester.nodeId], output, release: { to: [ownerA.nodeId] } })
    client = await connect({ url: requester.service.status().apiUrl!, appKey: TEST_APP_KEY })
  })

  after(async () => {
    await client?.close()
    await cluster.stop()
    await files?.close()
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  it("runs each owner's step on its data and combines the released partial at the requester", async () => {
    const combine = join(dir, 'combine.wasm')
    await writeFile(combine, await tagModule('result', 'combine', ['a']))
    const document = workflow('mean at one clinic')
      .step({
        id: 'mean-a',
        site: { node: ownerA.nodeId, dataset: 'clinic-a' },
        algorithm: { runtime: 'wasmtime', image: stepA.image, command: 'mean' },
        outputs: ['partial']
      })
      .step({
        id: 'combine',
        site: 'requester',
        algorithm: { runtime: 'wasmtime', image: combine, command: 'combine' },
        inputs: { a: 'mean-a.partial' },
        outputs: ['result']
      })
      .build()
    const started: string[] = []
    const fetched: string[] = []
    const run = await runWorkflow(client.api, document, { executor: activityExecutor(requester, owners(), started, fetched) })
    assert.equal(run.ok, true, JSON.stringify(run.states))
    assert.equal(new TextDecoder().decode(run.results.get('combine.result')), `combine(${stepA.text})`)
    assert.deepEqual(fetched, ['mean-a.partial'])
  })

  it("stops when B's release.to does not list the requester the result would pass through, fetching nothing", async () => {
    const merge = join(dir, 'merge.wasm')
    await writeFile(merge, await tagModule('model', 'merge', ['b']))
    const document = workflow('merge at A')
      .step({
        id: 'mean-b',
        site: { node: ownerB.nodeId, dataset: 'clinic-b' },
        algorithm: { runtime: 'wasmtime', image: stepB.image, command: 'mean' },
        outputs: ['partial']
      })
      .step({
        id: 'merge',
        site: { node: ownerA.nodeId, dataset: 'clinic-a' },
        algorithm: { runtime: 'wasmtime', image: merge, command: 'merge' },
        inputs: { b: 'mean-b.partial' },
        outputs: ['model']
      })
      .build()
    const started: string[] = []
    const fetched: string[] = []
    const run = await runWorkflow(client.api, document, { executor: activityExecutor(requester, owners(), started, fetched) })
    assert.equal(run.ok, false)
    assert.deepEqual(started, ['mean-b'])
    assert.deepEqual(fetched, [], 'nothing moves')
    assert.equal(run.states.merge?.state, 'Refused')
    // To A itself B agrees; relayed through the requester it does not.
    assert.match(run.states.merge?.reason ?? '', /may not move to requester/)
    assert.ok(run.states.merge?.reason?.includes(ownerB.nodeId), run.states.merge?.reason)
    const audited = await ownerB.client.expect<any[]>(200, 'GET', '/agora-api/v1/custody/audit?kind=decision')
    const mine = audited.filter(entry => entry.detail?.workflowId === run.workflowId)
    assert.deepEqual(
      mine.map(entry => [entry.detail.destination, entry.allow]),
      [
        [ownerA.nodeId, true],
        ['requester', false]
      ]
    )
  })

  const owners = (): Map<string, TestNode> =>
    new Map([
      [ownerA.nodeId, ownerA],
      [ownerB.nodeId, ownerB]
    ])
})
