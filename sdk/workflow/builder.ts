// workflow(name).step(…).step(…).build(): the document, with the checks that
// need no daemon made at once (a step id used twice, an input naming a step
// not yet added or an output it does not declare); the daemon checks the rest.
import { SdkError } from '../errors.ts'
import type { StepAlgorithm, StepSite, WorkflowDocument, WorkflowStepDocument } from './document.ts'

export interface StepSpec {
  readonly id: string
  /** An owner's dataset ({ node, dataset }) or "requester". */
  readonly site: StepSite
  readonly algorithm: StepAlgorithm
  readonly inputs?: Readonly<Record<string, string>>
  readonly outputs?: readonly string[]
}

export interface WorkflowBuilder {
  /** Adds a step; its inputs may name only steps added before it. */
  step(spec: StepSpec): WorkflowBuilder
  build(): WorkflowDocument
}

export function workflow(name: string): WorkflowBuilder {
  if (typeof name !== 'string' || name === '' || name.length > 128) throw new SdkError('BadRequest', 'a workflow needs a name of 1 to 128 characters')
  const steps: WorkflowStepDocument[] = []
  const builder: WorkflowBuilder = {
    step(spec) {
      if (steps.some(step => step.id === spec.id)) throw new SdkError('BadRequest', `step id "${spec.id}" is used twice`)
      for (const [name, reference] of Object.entries(spec.inputs ?? {})) {
        const [from, output] = reference.split('.', 2)
        const source = steps.find(step => step.id === from)
        if (source === undefined) throw new SdkError('BadRequest', `step "${spec.id}" input "${name}" reads from "${from}", which is not added before it`)
        if (!(source.outputs ?? []).includes(output ?? '')) {
          throw new SdkError('BadRequest', `step "${spec.id}" input "${name}" reads "${output}", which step "${from}" does not name among its outputs`)
        }
      }
      steps.push({
        id: spec.id,
        site: spec.site,
        algorithm: { ...spec.algorithm, ...(spec.algorithm.args === undefined ? {} : { args: [...spec.algorithm.args] }) },
        ...(spec.inputs === undefined ? {} : { inputs: { ...spec.inputs } }),
        ...(spec.outputs === undefined ? {} : { outputs: [...spec.outputs] })
      })
      return builder
    },
    build() {
      if (steps.length === 0) throw new SdkError('BadRequest', `workflow "${name}" has no step`)
      return { version: 1, name, steps: steps.map(step => ({ ...step })) }
    }
  }
  return builder
}
