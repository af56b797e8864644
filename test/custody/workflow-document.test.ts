// The workflow document's checks (schema, unknown inputs, cycles, bounds),
// provenance through the DAG, the owner's release decision by release.to, and
// the requester's movement rule over signed decisions.
import assert from 'node:assert/strict'
import { NodeKey, signEnvelope } from '../../net/index.ts'
import { WORKFLOW_LIMITS, checkMovement, decideRelease, ownersToAsk, parseWorkflow, signReleaseDecision } from '../../custody/index.ts'
import type { DatasetPolicy, ReleaseQuestion, WorkflowDocument } from '../../custody/index.ts'

const ownerA = NodeKey.random()
const ownerB = NodeKey.random()
const requester = NodeKey.random()
const algorithm = { runtime: 'wasmtime' as const, image: 'hash:sha3:00:http://x/a.wasm', command: 'run' }

function pipeline(): WorkflowDocument {
  return {
    version: 1,
    name: 'train',
    steps: [
      { id: 'prep-a', site: { node: ownerA.nodeId, dataset: 'clinic-a' }, algorithm, outputs: ['clean'] },
      { id: 'train-a', site: { node: ownerA.nodeId, dataset: 'clinic-a' }, algorithm, inputs: { data: 'prep-a.clean' }, outputs: ['model'] },
      { id: 'prep-b', site: { node: ownerB.nodeId, dataset: 'clinic-b' }, algorithm, outputs: ['clean'] },
      { id: 'train-b', site: { node: ownerB.nodeId, dataset: 'clinic-b' }, algorithm, inputs: { data: 'prep-b.clean' }, outputs: ['model'] },
      { id: 'combine', site: 'requester', algorithm, inputs: { a: 'train-a.model', b: 'train-b.model' }, outputs: ['result'] }
    ]
  }
}

function badRequest(pattern: RegExp): (error: unknown) => boolean {
  return (error: unknown) => {
    assert.equal((error as { code?: string }).code, 'BadRequest', String(error))
    assert.match((error as Error).message, pattern)
    return true
  }
}

describe('custody: workflow documents', () => {
  it('orders the steps after their inputs and carries provenance from each step to the ones reading it', () => {
    const plan = parseWorkflow(pipeline())
    const position = (id: string): number => plan.order.indexOf(id)
    assert.equal(plan.order.length, 5)
    assert.ok(position('prep-a') < position('train-a') && position('prep-b') < position('train-b'))
    assert.ok(position('train-a') < position('combine') && position('train-b') < position('combine'))
    assert.deepEqual(plan.steps.get('train-a')!.provenance, [{ owner: ownerA.nodeId, dataset: 'clinic-a' }])
    const combined = plan.steps.get('combine')!.provenance.map(ref => `${ref.owner}/${ref.dataset}`)
    assert.deepEqual(combined, [`${ownerA.nodeId}/clinic-a`, `${ownerB.nodeId}/clinic-b`].sort())
    assert.equal(plan.steps.get('combine')!.destination, 'requester')
    assert.equal(plan.steps.get('train-b')!.destination, ownerB.nodeId)
  })

  it('normalises node ids to lowercase', () => {
    const document = pipeline()
    const checksum = `0x${ownerA.nodeId.slice(2).toUpperCase()}`
    const steps = document.steps.map(step =>
      step.site === 'requester' ? step : step.site.node === ownerA.nodeId ? { ...step, site: { ...step.site, node: checksum } } : step
    )
    const plan = parseWorkflow({ ...document, steps })
    assert.equal(plan.steps.get('prep-a')!.destination, ownerA.nodeId)
  })

  it('refuses a cycle, naming the steps on it', () => {
    const document = pipeline()
    const steps = document.steps.map(step => (step.id === 'prep-a' ? { ...step, inputs: { back: 'train-a.model' } } : step))
    assert.throws(() => parseWorkflow({ ...document, steps }), badRequest(/prep-a, train-a.*cycle/))
  })

  it('refuses an input from an unknown step, an undeclared output, its own output and a malformed reference', () => {
    const withInputs = (inputs: Record<string, string>): unknown => {
      const document = pipeline()
      return { ...document, steps: document.steps.map(step => (step.id === 'combine' ? { ...step, inputs } : step)) }
    }
    assert.throws(() => parseWorkflow(withInputs({ a: 'nowhere.model' })), badRequest(/unknown step "nowhere"/))
    assert.throws(() => parseWorkflow(withInputs({ a: 'train-a.weights' })), badRequest(/"weights", which step "train-a" does not name/))
    assert.throws(() => parseWorkflow(withInputs({ a: 'combine.result' })), badRequest(/reads its own output/))
    assert.throws(() => parseWorkflow(withInputs({ a: 'train-a' })), badRequest(/must read "<step id>.<output name>"/))
  })

  it('refuses duplicate ids and outputs, schema faults and documents over the bounds', () => {
    const document = pipeline()
    assert.throws(() => parseWorkflow({ ...document, steps: [...document.steps, document.steps[0]] }), badRequest(/"prep-a" is used twice/))
    const twice = document.steps.map(step => (step.id === 'prep-a' ? { ...step, outputs: ['clean', 'clean'] } : step))
    assert.throws(() => parseWorkflow({ ...document, steps: twice }), badRequest(/output "clean" twice/))
    assert.throws(() => parseWorkflow({ ...document, version: 2 }), badRequest(/at \/version/))
    assert.throws(() => parseWorkflow({ ...document, steps: [] }), badRequest(/at \/steps/))
    const badSite = document.steps.map(step => (step.id === 'prep-a' ? { ...step, site: { node: 'nobody', dataset: 'clinic-a' } } : step))
    assert.throws(() => parseWorkflow({ ...document, steps: badSite }), badRequest(/at \/steps\/0\/site/))
    const many = Array.from({ length: WORKFLOW_LIMITS.steps + 1 }, (_, i) => ({ id: `s${i}`, site: 'requester', algorithm }))
    assert.throws(() => parseWorkflow({ ...document, steps: many }), badRequest(/at \/steps/))
    assert.throws(() => parseWorkflow({ ...document, extra: true }), badRequest(/extra/))
  })
})

describe('custody: releasing intermediate results', () => {
  const policy = (to?: string[], requesters?: string[]): DatasetPolicy => ({
    dataset: 'clinic-a',
    algorithms: { hashes: ['sha3:00'] },
    output: { maxBytes: 1000, minRows: 1, kinds: ['model'], logs: 'none', exitCodes: 'status' },
    ...(to === undefined ? {} : { release: { to } }),
    ...(requesters === undefined ? {} : { requesters })
  })
  const question = (destination: string): ReleaseQuestion => ({
    workflowId: 'wf-00000000000000000000000000000000',
    requesterId: requester.nodeId,
    step: 'train-a',
    output: 'model',
    dataset: 'clinic-a',
    destination
  })

  it('allows a destination release.to lists, and refuses one it does not, naming the rule', () => {
    const allowed = decideRelease(policy(['requester', ownerB.nodeId]), question(ownerB.nodeId), ownerA.nodeId)
    assert.equal(allowed.allow, true)
    const refused = decideRelease(policy(['requester']), question(ownerB.nodeId), ownerA.nodeId)
    assert.equal(refused.allow, false)
    assert.equal(refused.reasons[0]!.rule, 'release.to')
    assert.ok(refused.reasons[0]!.message.includes(ownerB.nodeId), refused.reasons[0]!.message)
  })

  it('releases to the requester alone when the policy says nothing, refuses without a policy or to another requester', () => {
    assert.equal(decideRelease(policy(), question('requester'), ownerA.nodeId).allow, true)
    assert.equal(decideRelease(policy(), question(ownerB.nodeId), ownerA.nodeId).allow, false)
    assert.equal(decideRelease(null, question('requester'), ownerA.nodeId).reasons[0]!.rule, 'policy')
    const other = decideRelease(policy(['requester'], [ownerB.nodeId]), question('requester'), ownerA.nodeId)
    assert.deepEqual([other.allow, other.reasons[0]!.rule], [false, 'requesters'])
  })

  it('moves a result only when every owner of its provenance signed an allowing decision for exactly this move', () => {
    const provenance = [
      { owner: ownerA.nodeId, dataset: 'clinic-a' },
      { owner: ownerB.nodeId, dataset: 'clinic-b' }
    ]
    const request = {
      workflowId: 'wf-00000000000000000000000000000000',
      requesterId: requester.nodeId,
      step: 'train-a',
      output: 'model',
      provenance,
      destination: 'requester'
    }
    const allowA = signReleaseDecision(ownerA, { ...question('requester') }, { allow: true, dataset: 'clinic-a', reasons: [] }, '2026-01-01T00:00:00.000Z')
    const allowB = signReleaseDecision(
      ownerB,
      { ...question('requester'), dataset: 'clinic-b' },
      { allow: true, dataset: 'clinic-b', reasons: [] },
      '2026-01-01T00:00:00.000Z'
    )
    const refuseB = signReleaseDecision(
      ownerB,
      { ...question('requester'), dataset: 'clinic-b' },
      { allow: false, dataset: 'clinic-b', reasons: [{ rule: 'release.to', message: 'not listed' }] },
      '2026-01-01T00:00:00.000Z'
    )
    assert.equal(checkMovement(request, [allowA, allowB]).allow, true)
    const refused = checkMovement(request, [allowA, refuseB])
    assert.equal(refused.allow, false)
    assert.deepEqual(refused.owners.find(owner => owner.owner === ownerB.nodeId)!.reasons, [{ rule: 'release.to', message: 'not listed' }])
    // A decision signed by someone else, for another workflow, or missing, does not count.
    const forged = signEnvelope(requester, 'agora.custody.release-decision', { ...allowB.payload })
    assert.equal(checkMovement(request, [allowA, forged]).allow, false)
    const otherWorkflow = signReleaseDecision(
      ownerB,
      { ...question('requester'), dataset: 'clinic-b', workflowId: 'wf-11111111111111111111111111111111' },
      { allow: true, dataset: 'clinic-b', reasons: [] },
      'x'
    )
    assert.equal(checkMovement(request, [allowA, otherWorkflow]).allow, false)
    const missing = checkMovement(request, [allowA])
    assert.equal(missing.owners.find(owner => owner.owner === ownerB.nodeId)!.reasons[0]!.rule, 'release')
  })

  it('asks no owner about a result going back to that owner', () => {
    const provenance = [
      { owner: ownerA.nodeId, dataset: 'clinic-a' },
      { owner: ownerB.nodeId, dataset: 'clinic-b' }
    ]
    assert.deepEqual(ownersToAsk({ provenance, destination: ownerA.nodeId, requesterId: requester.nodeId }), [provenance[1]])
    assert.deepEqual(ownersToAsk({ provenance, destination: 'requester', requesterId: ownerB.nodeId }), [provenance[0]])
  })
})
