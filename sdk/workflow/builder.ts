// workflow(name).step(…).step(…).build(): the document, with the checks that
// need no daemon made at once (a step id used twice, an input naming a step
// not yet added or an output it does not declare); the daemon checks the rest.
import { SdkError } from '../errors.ts'
import { SECURE_SUM_OUTPUT, splitReference } from './document.ts'
import type { AnyStepDocument, SecureAggregateSpec, WorkflowDocument, WorkflowStepDocument } from './document.ts'

/** A step as the document holds it: its site is an owner's dataset ({ node, dataset }) or "requester". */
export type StepSpec = WorkflowStepDocument

export interface SecureSumSpec {
  readonly id: string
  /** Local name → "<owner's step id>.<output>", one input per owner. */
  readonly inputs: Readonly<Record<string, string>>
  readonly secure: SecureAggregateSpec
}

export interface WorkflowBuilder {
  /** Adds a step; its inputs may name only steps added before it. */
  step(spec: StepSpec): WorkflowBuilder
  /** Adds a step at the requester summing its inputs by secure aggregation; its output is "sum". */
  secureSum(spec: SecureSumSpec): WorkflowBuilder
  build(): WorkflowDocument
}

export function workflow(name: string): WorkflowBuilder {
  if (typeof name !== 'string' || name === '' || name.length > 128) throw new SdkError('BadRequest', 'a workflow needs a name of 1 to 128 characters')
  const steps: AnyStepDocument[] = []
  const checkNew = (id: string, inputs: Readonly<Record<string, string>>): AnyStepDocument[] => {
    if (steps.some(step => step.id === id)) throw new SdkError('BadRequest', `step id "${id}" is used twice`)
    return Object.entries(inputs).map(([name, reference]) => {
      const { step: from, output } = splitReference(reference)
      const source = steps.find(step => step.id === from)
      if (source === undefined) throw new SdkError('BadRequest', `step "${id}" input "${name}" reads from "${from}", which is not added before it`)
      if (!(source.outputs ?? []).includes(output)) {
        throw new SdkError('BadRequest', `step "${id}" input "${name}" reads "${output}", which step "${from}" does not name among its outputs`)
      }
      return source
    })
  }
  const builder: WorkflowBuilder = {
    step(spec) {
      checkNew(spec.id, spec.inputs ?? {})
      steps.push({
        id: spec.id,
        site: spec.site,
        algorithm: { ...spec.algorithm, ...(spec.algorithm.args === undefined ? {} : { args: [...spec.algorithm.args] }) },
        ...(spec.inputs === undefined ? {} : { inputs: { ...spec.inputs } }),
        ...(spec.outputs === undefined ? {} : { outputs: [...spec.outputs] })
      })
      return builder
    },
    secureSum(spec) {
      const sources = checkNew(spec.id, spec.inputs)
      if (sources.length < 2) throw new SdkError('BadRequest', `secure step "${spec.id}" sums at least 2 inputs`)
      const owners = sources.map(source => (source.site === 'requester' ? undefined : source.site.node.toLowerCase()))
      if (owners.includes(undefined)) throw new SdkError('BadRequest', `secure step "${spec.id}": only an owner's step can contribute to a secure sum`)
      if (new Set(owners).size !== owners.length) throw new SdkError('BadRequest', `secure step "${spec.id}": one input per owner`)
      steps.push({ id: spec.id, site: 'requester', aggregate: { secure: { ...spec.secure } }, inputs: { ...spec.inputs }, outputs: [SECURE_SUM_OUTPUT] })
      return builder
    },
    build() {
      if (steps.length === 0) throw new SdkError('BadRequest', `workflow "${name}" has no step`)
      return { version: 1, name, steps: steps.map(step => ({ ...step })) }
    }
  }
  return builder
}
