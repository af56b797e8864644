// The SDK's workflow runner against real daemons (libp2p on loopback, LevelDB
// in temp dirs): steps run in dependency order, independent ones at once,
// each state kept on the requester's daemon; every output's move is decided
// by the owners of its provenance before it is fetched. Each step is a real
// WASI module under node:wasi (built here from WAT).
import assert from 'node:assert/strict'
import { connect, runLocalStep, runWorkflow, workflow } from '../../sdk/index.ts'
import type { AgoraClient, StepEvent, StepExecutor, StepSession, WorkflowStepDocument } from '../../sdk/index.ts'
import type { DatasetPolicy } from '../../custody/index.ts'
import { Cluster, TEST_APP_KEY } from '../helpers/cluster.ts'
import type { TestNode } from '../helpers/cluster.ts'
import { tagModule } from './workflow-modules.ts'
import { agora } from '../helpers/agora-process.ts'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** The owner's policy file, where its daemon reads it (<dataDir>/custody/policies/<dataset>.json) at start. */
async function writePolicy(dataDir: string, policy: DatasetPolicy): Promise<void> {
  const policies = join(dataDir, 'custody', 'policies')
  await mkdir(policies, { recursive: true })
  await writeFile(join(policies, `${policy.dataset}.json`), JSON.stringify(policy))
}

function policy(dataset: string, to: string[]): DatasetPolicy {
  return {
    dataset,
    algorithms: { hashes: [] },
    output: { maxBytes: 10_000, minRows: 1, kinds: ['text'], logs: 'none', exitCodes: 'status' },
    release: { to }
  }
}

/**
 * Every step's module run under node:wasi on this machine, counting what
 * starts and what is fetched: the owners' steps stand for their rentals here.
 */
function countingExecutor(): StepExecutor & { started: string[]; fetched: string[] } {
  const started: string[] = []
  const fetched: string[] = []
  return {
    started,
    fetched,
    async start(step: WorkflowStepDocument, inputs, signal): Promise<StepSession> {
      started.push(step.id)
      const session = await runLocalStep(step, inputs, signal)
      return {
        fetch: async (output, fetchSignal) => {
          fetched.push(`${step.id}.${output}`)
          return await session.fetch(output, fetchSignal)
        },
        close: async () => await session.close()
      }
    }
  }
}

describe('sdk: workflows across sites over real daemons', function () {
  this.timeout(180_000)
  const cluster = new Cluster()
  let ownerA: TestNode
  let ownerB: TestNode
  let requester: TestNode
  let client: AgoraClient
  let dir: string
  const modules = new Map<string, string>()

  const algorithmOf = (tag: string) => ({ runtime: 'wasmtime' as const, image: modules.get(tag)!, command: tag })

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agora-workflow-modules-'))
    await writePolicy(join(dir, 'owner-a'), policy('clinic-a', ['requester']))
    await writePolicy(join(dir, 'owner-b'), policy('clinic-b', ['requester']))
    ownerA = await cluster.start({ dataDir: join(dir, 'owner-a') })
    ownerB = await cluster.start({ dataDir: join(dir, 'owner-b') })
    requester = await cluster.start()
    client = await connect({ url: requester.service.status().apiUrl!, appKey: TEST_APP_KEY })
    const specs: [string, string, string[]][] = [
      ['prep-a', 'clean', []],
      ['train-a', 'model', ['data']],
      ['prep-b', 'clean', []],
      ['train-b', 'model', ['data']],
      ['combine', 'result', ['a', 'b']],
      ['merge', 'model', ['b']]
    ]
    for (const [tag, out, inputs] of specs) {
      const path = join(dir, `${tag}.wasm`)
      await writeFile(path, await tagModule(out, tag, inputs))
      modules.set(tag, path)
    }
  })

  after(async () => {
    await client?.close()
    await cluster.stop()
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  it('runs per-site preparation, local training and the combination at the requester, in dependency order', async () => {
    const a = { node: ownerA.nodeId, dataset: 'clinic-a' }
    const b = { node: ownerB.nodeId, dataset: 'clinic-b' }
    const document = workflow('train across two clinics')
      .step({ id: 'prep-a', site: a, algorithm: algorithmOf('prep-a'), outputs: ['clean'] })
      .step({ id: 'train-a', site: a, algorithm: algorithmOf('train-a'), inputs: { data: 'prep-a.clean' }, outputs: ['model'] })
      .step({ id: 'prep-b', site: b, algorithm: algorithmOf('prep-b'), outputs: ['clean'] })
      .step({ id: 'train-b', site: b, algorithm: algorithmOf('train-b'), inputs: { data: 'prep-b.clean' }, outputs: ['model'] })
      .step({ id: 'combine', site: 'requester', algorithm: algorithmOf('combine'), inputs: { a: 'train-a.model', b: 'train-b.model' }, outputs: ['result'] })
      .build()
    const executor = countingExecutor()
    const events: StepEvent[] = []
    const run = await runWorkflow(client.api, document, { executor, onStep: event => events.push(event) })
    assert.equal(run.ok, true, JSON.stringify(run.states))
    const result = new TextDecoder().decode(run.results.get('combine.result'))
    assert.equal(result, 'combine(train-a(prep-a())train-b(prep-b()))')
    const order = executor.started
    assert.ok(order.indexOf('prep-a') < order.indexOf('train-a') && order.indexOf('train-b') < order.indexOf('combine'), order.join(','))
    assert.deepEqual(
      events.filter(event => event.step === 'combine').map(event => event.state),
      ['Running', 'Done']
    )
    const shown = await requester.client.expect(200, 'GET', `/agora-api/v1/custody/workflows/${run.workflowId}`)
    assert.ok(shown.steps.every((step: { state: string }) => step.state === 'Done'))
    const combine = shown.steps.find((step: { id: string }) => step.id === 'combine')
    assert.equal(combine.provenance.length, 2)
    assert.ok(combine.moves.every((move: { verdict: { allow: boolean } }) => move.verdict.allow))
  })

  it("stops with the owner's reason when an intermediate result may not move, and fetches nothing", async () => {
    // B's model would go to A's site; clinic-b's release.to lists only the requester.
    const document = workflow('merge at A')
      .step({ id: 'train-b', site: { node: ownerB.nodeId, dataset: 'clinic-b' }, algorithm: algorithmOf('prep-b'), outputs: ['clean'] })
      .step({
        id: 'merge',
        site: { node: ownerA.nodeId, dataset: 'clinic-a' },
        algorithm: algorithmOf('merge'),
        inputs: { b: 'train-b.clean' },
        outputs: ['model']
      })
      .build()
    const executor = countingExecutor()
    const run = await runWorkflow(client.api, document, { executor })
    assert.equal(run.ok, false)
    assert.deepEqual(executor.started, ['train-b'])
    assert.deepEqual(executor.fetched, [], 'nothing moves')
    assert.equal(run.states.merge?.state, 'Refused')
    assert.ok(run.states.merge?.reason?.includes(ownerB.nodeId), run.states.merge?.reason)
    assert.ok(run.states.merge?.reason?.includes('release.to'), run.states.merge?.reason)
    const shown = await requester.client.expect(200, 'GET', `/agora-api/v1/custody/workflows/${run.workflowId}`)
    const merge = shown.steps.find((step: { id: string }) => step.id === 'merge')
    assert.equal(merge.state, 'Refused')
    assert.equal(merge.moves[0].verdict.owners[0].reasons[0].rule, 'release.to')
    // `agora workflow show` tells the same, step by step.
    const cli = await agora(['workflow', 'show', run.workflowId, '--api-url', requester.service.status().apiUrl!, '--app-key', TEST_APP_KEY])
    assert.equal(cli.code, 0, cli.stderr)
    assert.match(cli.stdout, /^merge: Refused$/m)
    assert.match(cli.stdout, new RegExp(`provenance  ${ownerB.nodeId}/clinic-b`))
    assert.match(cli.stdout, new RegExp(`move        b → ${ownerA.nodeId}: refused \\(${ownerB.nodeId}/clinic-b refuses\\)`))
    assert.match(cli.stdout, /reason {6}.*release\.to/)
  })

  it('`agora workflow run` runs a document, printing each state, and writes the results', async () => {
    const document = workflow('at the requester')
      .step({ id: 'prep-a', site: 'requester', algorithm: algorithmOf('prep-a'), outputs: ['clean'] })
      .step({ id: 'train-a', site: 'requester', algorithm: algorithmOf('train-a'), inputs: { data: 'prep-a.clean' }, outputs: ['model'] })
      .build()
    const file = join(dir, 'local.json')
    await writeFile(file, JSON.stringify(document))
    const out = join(dir, 'results')
    const api = ['--api-url', requester.service.status().apiUrl!, '--app-key', TEST_APP_KEY]
    const cli = await agora(['workflow', 'run', file, '--out', out, ...api])
    assert.equal(cli.code, 0, cli.stderr)
    assert.match(cli.stderr, /prep-a +Running/)
    assert.match(cli.stderr, /train-a +Done/)
    assert.equal(await readFile(join(out, 'train-a.model'), 'utf8'), 'train-a(prep-a())')
    const bad = await agora(['workflow', 'run', join(dir, 'none.json'), ...api])
    assert.equal(bad.code, 2)
    assert.match(bad.stderr, /no such file/)
  })

  it("fails the reading step, saying why, when a Done step's output cannot be fetched", async () => {
    const document = workflow('lost output')
      .step({ id: 'prep-a', site: 'requester', algorithm: algorithmOf('prep-a'), outputs: ['clean'] })
      .step({ id: 'train-a', site: 'requester', algorithm: algorithmOf('train-a'), inputs: { data: 'prep-a.clean' }, outputs: ['model'] })
      .build()
    const lossy: StepExecutor = {
      async start(step, inputs, signal) {
        const session = await runLocalStep(step, inputs, signal)
        return {
          fetch: async () => {
            throw new Error('the activity is gone')
          },
          close: async () => await session.close()
        }
      }
    }
    const run = await runWorkflow(client.api, document, { executor: lossy })
    assert.equal(run.ok, false)
    assert.equal(run.states['prep-a']?.state, 'Done')
    assert.equal(run.states['train-a']?.state, 'Failed')
    assert.match(run.states['train-a']?.reason ?? '', /input from step "prep-a" could not be fetched: the activity is gone/)
    const shown = await requester.client.expect(200, 'GET', `/agora-api/v1/custody/workflows/${run.workflowId}`)
    assert.equal(shown.steps[1].state, 'Failed')
  })

  it('refuses a bad document before anything runs', async () => {
    assert.throws(
      () => workflow('bad').step({ id: 'x', site: 'requester', algorithm: algorithmOf('combine'), inputs: { a: 'ghost.out' } }),
      /reads from "ghost"/
    )
    const executor = countingExecutor()
    await assert.rejects(
      runWorkflow(client.api, { version: 1, name: 'bad', steps: [{ id: 'X', site: 'requester', algorithm: algorithmOf('combine') }] }, { executor }),
      (error: unknown) => (error as { code?: string }).code === 'BadRequest'
    )
    assert.deepEqual(executor.started, [])
  })
})
