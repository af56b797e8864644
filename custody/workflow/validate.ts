// Checks a workflow document whole before anything runs: the schema, then the
// graph (unique step ids, every input naming an output some other step
// declares, no cycle), then each secure-aggregation step (secure-step.ts).
// The answer is the plan: the document with node ids
// normalised, the steps in an order where every step comes after its inputs,
// and each step's provenance.
import { CodedError, SchemaError, validator } from '../../net/index.ts'
import { SECURE_SUM_OUTPUT, WorkflowDocumentSchema, destinationOf } from './document.ts'
import type { DatasetRef, Destination, WorkflowDocument, WorkflowStep } from './document.ts'
import { checkSecureStep } from './secure-step.ts'
import type { CheckedSecureAggregate } from './secure-step.ts'

const documentValidator = validator(WorkflowDocumentSchema, 'workflow')

/** One input of a step: the local name it gets, and the step and output it comes from. */
export interface StepInput {
  readonly name: string
  readonly step: string
  readonly output: string
}

export interface PlannedStep {
  readonly step: WorkflowStep
  readonly inputs: readonly StepInput[]
  /** Where the step runs, in the words of release.to. */
  readonly destination: Destination
  /** The datasets its outputs derive from: its own, and its inputs' provenance (sorted, unique). */
  readonly provenance: readonly DatasetRef[]
  /** A secure-aggregation step's terms, its threshold resolved. */
  readonly secure?: CheckedSecureAggregate
}

export interface WorkflowPlan {
  readonly document: WorkflowDocument
  /** Every step after the steps it reads from. */
  readonly order: readonly string[]
  readonly steps: ReadonlyMap<string, PlannedStep>
}

export class WorkflowError extends CodedError<'BadRequest'> {
  override name = 'WorkflowError'

  constructor(message: string) {
    super('BadRequest', message)
  }
}

export function parseWorkflow(value: unknown): WorkflowPlan {
  let document: WorkflowDocument
  try {
    document = documentValidator.parse(value)
  } catch (error) {
    if (error instanceof SchemaError) throw new WorkflowError(error.message)
    throw error
  }
  const normalised: WorkflowDocument = {
    ...document,
    steps: document.steps.map(step => {
      const placed = step.site === 'requester' ? step : { ...step, site: { ...step.site, node: step.site.node.toLowerCase() } }
      // A secure step's one output is its sum, named or not.
      return step.aggregate !== undefined && step.outputs === undefined ? { ...placed, outputs: [SECURE_SUM_OUTPUT] } : placed
    })
  }
  const byId = new Map<string, WorkflowStep>()
  for (const step of normalised.steps) {
    if (byId.has(step.id)) throw new WorkflowError(`workflow: step id "${step.id}" is used twice`)
    byId.set(step.id, step)
  }
  const inputsOf = new Map<string, StepInput[]>()
  for (const step of normalised.steps) {
    if ((step.algorithm === undefined) === (step.aggregate === undefined))
      throw new WorkflowError(`workflow: step "${step.id}" needs either an algorithm or an aggregate, not ${step.algorithm === undefined ? 'neither' : 'both'}`)
    const outputs = new Set<string>()
    for (const output of step.outputs ?? []) {
      if (outputs.has(output)) throw new WorkflowError(`workflow: step "${step.id}" names output "${output}" twice`)
      outputs.add(output)
    }
    inputsOf.set(step.id, inputsOfStep(step, byId))
  }
  const order = topologicalOrder(normalised.steps, inputsOf)
  const steps = new Map<string, PlannedStep>()
  for (const id of order) {
    const step = byId.get(id)!
    const inputs = inputsOf.get(id)!
    const secure = step.aggregate === undefined ? undefined : checkSecureStep(step, inputs, byId)
    steps.set(id, {
      step,
      inputs,
      destination: destinationOf(step.site),
      provenance: provenanceOf(step, inputs, steps),
      ...(secure === undefined ? {} : { secure })
    })
  }
  return { document: normalised, order, steps }
}

function inputsOfStep(step: WorkflowStep, byId: ReadonlyMap<string, WorkflowStep>): StepInput[] {
  const inputs: StepInput[] = []
  for (const [name, reference] of Object.entries(step.inputs ?? {})) {
    const dot = reference.indexOf('.')
    const from = dot < 0 ? reference : reference.slice(0, dot)
    const output = dot < 0 ? '' : reference.slice(dot + 1)
    if (dot < 0 || from === '' || output === '') {
      throw new WorkflowError(`workflow: step "${step.id}" input "${name}" must read "<step id>.<output name>", not ${JSON.stringify(reference)}`)
    }
    if (from === step.id) throw new WorkflowError(`workflow: step "${step.id}" input "${name}" reads its own output`)
    const source = byId.get(from)
    if (source === undefined) throw new WorkflowError(`workflow: step "${step.id}" input "${name}" reads from an unknown step "${from}"`)
    if (!(source.outputs ?? []).includes(output)) {
      throw new WorkflowError(`workflow: step "${step.id}" input "${name}" reads "${output}", which step "${from}" does not name among its outputs`)
    }
    inputs.push({ name, step: from, output })
  }
  return inputs
}

/** Kahn's algorithm in document order; the steps left over lie on a cycle. */
function topologicalOrder(steps: readonly WorkflowStep[], inputsOf: ReadonlyMap<string, readonly StepInput[]>): string[] {
  const waiting = new Map(steps.map(step => [step.id, new Set(inputsOf.get(step.id)!.map(input => input.step))]))
  const order: string[] = []
  while (waiting.size > 0) {
    const ready = [...waiting].filter(([, needs]) => needs.size === 0).map(([id]) => id)
    if (ready.length === 0) {
      const cycle = [...waiting.keys()].sort().join(', ')
      throw new WorkflowError(`workflow: the steps ${cycle} depend on each other in a cycle (or on a step that does)`)
    }
    for (const id of ready) {
      waiting.delete(id)
      order.push(id)
      for (const needs of waiting.values()) needs.delete(id)
    }
  }
  return order
}

function provenanceOf(step: WorkflowStep, inputs: readonly StepInput[], planned: ReadonlyMap<string, PlannedStep>): DatasetRef[] {
  const refs = new Map<string, DatasetRef>()
  const add = (ref: DatasetRef): void => {
    refs.set(`${ref.owner}/${ref.dataset}`, ref)
  }
  if (step.site !== 'requester') add({ owner: step.site.node, dataset: step.site.dataset })
  for (const input of inputs) for (const ref of planned.get(input.step)!.provenance) add(ref)
  return [...refs.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, ref]) => ref)
}
