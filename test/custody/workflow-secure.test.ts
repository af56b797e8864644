// A workflow whose owners' steps are summed by secure aggregation: the
// document's checks, then three owner daemons (the federated world: the
// example mean-variance algorithm at each owner, the dev chain) running the
// per-site steps, the secure sum at the requester and a step reading it
// there. The sum is checked exactly against the pooled data; an owner whose
// step fails is a dropout within the threshold and fails the step beyond it.
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { WorkflowError, parseWorkflow } from '../../custody/index.ts'
import { renderWorkflow } from '../../daemon/cli/workflow-commands.ts'
import { SdkError, runWorkflow, workflow, workflowExecutor } from '../../sdk/index.ts'
import type { SecureSumOutput, StepExecutor, WorkflowDocument } from '../../sdk/index.ts'
import { devChainFixture } from '../helpers/dev-chain.ts'
import { startFederatedWorld } from './federated-world.ts'
import type { FederatedWorld, Row } from './federated-world.ts'
import { tagModule } from './workflow-modules.ts'

const NODES = [`0x${'1'.repeat(40)}`, `0x${'2'.repeat(40)}`, `0x${'3'.repeat(40)}`] as const
const ALGORITHM = { runtime: 'wasmtime', image: `hash:sha3:${'a'.repeat(64)}:http://127.0.0.1:1/m`, command: 'main', args: ['age'] } as const

function ownerStep(id: string, node: string) {
  return { id, site: { node, dataset: 'clinic' }, algorithm: ALGORITHM, outputs: ['partial.json'] }
}

function secureDocument(sum: Record<string, unknown>, owners: readonly string[] = NODES): unknown {
  return {
    version: 1,
    name: 'secure',
    steps: [...owners.map((node, i) => ownerStep(`mean-${i}`, node)), { id: 'sum', site: 'requester', ...sum }]
  }
}

const inputsOf = (count: number) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`p${i}`, `mean-${i}.partial.json`]))

describe('workflow: a secure-aggregation step', () => {
  it('is planned at the requester with its threshold resolved, its provenance every input owner, its one output "sum"', () => {
    const plan = parseWorkflow(secureDocument({ aggregate: { secure: { length: 3 } }, inputs: inputsOf(3) }))
    const sum = plan.steps.get('sum')!
    assert.equal(sum.secure?.threshold, 3)
    assert.deepEqual(sum.step.outputs, ['sum'])
    assert.deepEqual(
      sum.provenance.map(ref => ref.owner),
      [...NODES]
    )
    assert.deepEqual(plan.order.at(-1), 'sum')
  })

  const refusals: [string, unknown, RegExp][] = [
    [
      'an input from a step at the requester',
      (() => {
        const document = secureDocument({ aggregate: { secure: { length: 3 } }, inputs: { ...inputsOf(2), r: 'local.partial.json' } }) as any
        document.steps.unshift({ id: 'local', site: 'requester', algorithm: ALGORITHM, outputs: ['partial.json'] })
        return document
      })(),
      /secure step "sum" input "r" comes from step "local" at the requester/
    ],
    ['one input', secureDocument({ aggregate: { secure: { length: 3 } }, inputs: inputsOf(1) }), /secure step "sum" sums 2 to 50 inputs, not 1/],
    [
      'two inputs from one owner',
      secureDocument({ aggregate: { secure: { length: 3 } }, inputs: inputsOf(2) }, [NODES[0], NODES[0].toUpperCase().replace('0X', '0x')]),
      /secure step "sum" inputs "p0" and "p1" come from the same owner/
    ],
    [
      'a threshold below a majority',
      secureDocument({ aggregate: { secure: { length: 3, threshold: 1 } }, inputs: inputsOf(3) }),
      /secure step "sum" threshold must be from 2 .* to 3/
    ],
    [
      'a threshold above the inputs',
      secureDocument({ aggregate: { secure: { length: 3, threshold: 4 } }, inputs: inputsOf(3) }),
      /secure step "sum" threshold/
    ],
    [
      'a length beyond the limit',
      secureDocument({ aggregate: { secure: { length: 100_001 } }, inputs: inputsOf(3) }),
      /secure step "sum" length must be from 1 to 100000/
    ],
    [
      'a site at an owner',
      (() => {
        const document = secureDocument({ aggregate: { secure: { length: 3 } }, inputs: inputsOf(3) }) as any
        document.steps.at(-1).site = { node: NODES[0], dataset: 'clinic' }
        return document
      })(),
      /secure step "sum" must be at the site "requester"/
    ],
    [
      'an algorithm besides the aggregate',
      secureDocument({ aggregate: { secure: { length: 3 } }, algorithm: ALGORITHM, inputs: inputsOf(3) }),
      /step "sum" needs either an algorithm or an aggregate, not both/
    ],
    [
      'another output',
      secureDocument({ aggregate: { secure: { length: 3 } }, inputs: inputsOf(3), outputs: ['total'] }),
      /secure step "sum" has one output, "sum"/
    ]
  ]
  for (const [what, document, message] of refusals)
    it(`refuses ${what}, naming the step`, () => {
      assert.throws(
        () => parseWorkflow(document),
        (error: unknown) => error instanceof WorkflowError && error.code === 'BadRequest' && message.test(error.message)
      )
    })

  it("builds the step with secureSum, refusing an input from the requester's own step", () => {
    const built = workflow('w')
      .step(ownerStep('mean-0', NODES[0]))
      .step(ownerStep('mean-1', NODES[1]))
      .secureSum({ id: 'sum', inputs: inputsOf(2), secure: { length: 3 } })
      .build()
    assert.deepEqual(built.steps.at(-1), { id: 'sum', site: 'requester', aggregate: { secure: { length: 3 } }, inputs: inputsOf(2), outputs: ['sum'] })
    assert.equal(parseWorkflow(built).steps.get('sum')?.secure?.threshold, 2)
    assert.throws(
      () =>
        workflow('w')
          .step(ownerStep('mean-0', NODES[0]))
          .step({ id: 'local', site: 'requester', algorithm: ALGORITHM, outputs: ['partial.json'] })
          .secureSum({ id: 'sum', inputs: { a: 'mean-0.partial.json', b: 'local.partial.json' }, secure: { length: 3 } }),
      (error: unknown) => error instanceof SdkError && error.code === 'BadRequest' && /only an owner's step can contribute/.test(error.message)
    )
  })
})

describe('workflow: per-site steps summed securely at the requester, over three owner daemons', function () {
  this.timeout(1_200_000)
  const fixture = devChainFixture()
  const TERMS = { budget: '0.2', duration: 900, startupTimeoutMs: 60_000 } as const
  let fed: FederatedWorld
  let dir: string
  let report: string

  before(async function () {
    // Three owner daemons, a requester and the algorithms' build: minutes on a loaded machine.
    this.timeout(900_000)
    dir = await mkdtemp(join(tmpdir(), 'agora-workflow-secure-'))
    report = join(dir, 'report.wasm')
    await writeFile(report, await tagModule('result', 'report', ['s']))
    fed = await startFederatedWorld(fixture)
  })
  after(async function () {
    this.timeout(60_000)
    await fed?.world.stop()
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  const moments = (rows: readonly Row[]) => {
    const ages = rows.map(row => row[0])
    return [ages.length, ages.reduce((a, b) => a + b, 0), ages.reduce((a, b) => a + b * b, 0)]
  }

  /** mean-variance at each owner (the last one's column as given), their secure sum, and a step at the requester reading it. */
  function document(threshold: number | undefined, lastColumn = 'age'): WorkflowDocument {
    const image = fed.algorithms['mean-variance'].taskPackage
    let built = workflow('secure moments')
    fed.world.owners.forEach((owner, i) => {
      built = built.step({
        id: `mean-${i}`,
        site: { node: owner.nodeId, dataset: 'clinic' },
        algorithm: { runtime: 'wasmtime', image, command: 'main', args: [i === fed.world.owners.length - 1 ? lastColumn : 'age'] },
        outputs: ['partial.json']
      })
    })
    return built
      .secureSum({ id: 'sum', inputs: inputsOf(fed.world.owners.length), secure: { length: 3, ...(threshold === undefined ? {} : { threshold }) } })
      .step({
        id: 'report',
        site: 'requester',
        algorithm: { runtime: 'wasmtime', image: report, command: 'report' },
        inputs: { s: 'sum.sum' },
        outputs: ['result']
      })
      .build()
  }

  /** The default executor, noting every output brought to the requester from an owner's site. */
  function watched(fetched: string[]): StepExecutor {
    const executor = workflowExecutor(fed.world.client, TERMS)
    return {
      async start(step, inputs, signal) {
        const session = await executor.start(step, inputs, signal)
        return {
          ...session,
          fetch: async (output, fetchSignal) => {
            if (step.site !== 'requester') fetched.push(`${step.id}.${output}`)
            return await session.fetch(output, fetchSignal)
          }
        }
      }
    }
  }

  it('gives the pooled count, sum and sum of squares exactly, no partial reaching the requester', async () => {
    const fetched: string[] = []
    const run = await runWorkflow(fed.world.client.api, document(undefined), { executor: watched(fetched) })
    assert.equal(run.ok, true, JSON.stringify(run.states))
    const bytes = run.results.get('sum.sum')
    assert.ok(bytes !== undefined)
    const sum = JSON.parse(new TextDecoder().decode(bytes)) as SecureSumOutput
    const pooled = moments(fed.pooled)
    assert.deepEqual(sum.sum, pooled)
    assert.deepEqual(
      sum.sumFixed.map(BigInt),
      pooled.map(value => BigInt(value) << BigInt(sum.fractionalBits))
    )
    assert.deepEqual(new Set(sum.survivors.map(id => id.toLowerCase())), new Set(fed.world.owners.map(owner => owner.nodeId)))
    assert.deepEqual(sum.dropped, [])
    // The step at the requester read the sum; nothing came from an owner's site in the clear.
    assert.equal(new TextDecoder().decode(run.results.get('report.result')), `report(${new TextDecoder().decode(bytes)})`)
    assert.deepEqual(fetched, [])
    const shown = await fed.world.requester.client.expect<any>(200, 'GET', `/agora-api/v1/custody/workflows/${run.workflowId}`)
    const sumStep = shown.steps.find((step: any) => step.id === 'sum')
    assert.equal(sumStep.state, 'Done')
    assert.deepEqual(sumStep.moves, [])
    assert.deepEqual(new Set(sumStep.provenance.map((ref: any) => ref.owner)), new Set(fed.world.owners.map(owner => owner.nodeId)))
    assert.match(renderWorkflow(shown), /^sum: Done\n {2}site {8}requester\n {2}aggregate {3}secure sum of 3 values, threshold 3 of 3$/m)
  })

  it("sums the owners that finish when one owner's step fails within the threshold, and fails the step beyond it", async () => {
    // The last owner's step asks for a column its data does not have: it fails at its site.
    const within = await runWorkflow(fed.world.client.api, document(2, 'no-such-column'), { executor: watched([]) })
    assert.equal(within.states['mean-2']?.state, 'Failed')
    assert.equal(within.states.sum?.state, 'Done', JSON.stringify(within.states))
    const sum = JSON.parse(new TextDecoder().decode(within.results.get('sum.sum'))) as SecureSumOutput
    assert.deepEqual(sum.sum, moments([...fed.rows[0]!, ...fed.rows[1]!]))
    assert.equal(sum.survivors.length, 2)

    const beyond = await runWorkflow(fed.world.client.api, document(3, 'no-such-column'), { executor: watched([]) })
    assert.equal(beyond.ok, false)
    assert.equal(beyond.states['mean-2']?.state, 'Failed')
    assert.equal(beyond.states.sum?.state, 'Failed')
    assert.match(beyond.states.sum?.reason ?? '', /only 2 of 3 inputs are ready, fewer than the threshold 3: p2: step "mean-2" is Failed/)
    assert.equal(beyond.states.report?.state, 'Pending', 'no step after it starts')
    assert.equal(beyond.results.size, 0)
    // Every rental was released, the held ones too.
    assert.deepEqual(await fed.world.requester.client.expect(200, 'GET', '/market-api/v1/agreements?state=Approved'), [])
  })
})
