// A secure-aggregation step: at the requester (its daemon is the session's
// aggregator), summing outputs of owners' steps, one per owner node (a
// session takes one contribution from each participant), with the threshold
// and vector length the aggregator accepts. Checked here so that a document
// the aggregator would refuse is refused before anything runs.
import { MAX_PARTICIPANTS, MAX_ROUND_TIMEOUT_MS, MAX_VECTOR_LENGTH, MIN_ROUND_TIMEOUT_MS } from '../secagg/index.ts'
import { SECURE_SUM_OUTPUT } from './document.ts'
import type { SecureAggregate, WorkflowStep } from './document.ts'
import type { StepInput } from './validate.ts'
import { WorkflowError } from './validate.ts'

export interface CheckedSecureAggregate extends SecureAggregate {
  readonly threshold: number
}

/** The smallest threshold the aggregator takes for n participants: a majority, and at least 2. */
export function minimumThreshold(participants: number): number {
  return Math.max(2, Math.floor(participants / 2) + 1)
}

export function checkSecureStep(step: WorkflowStep, inputs: readonly StepInput[], byId: ReadonlyMap<string, WorkflowStep>): CheckedSecureAggregate {
  const secure = step.aggregate!.secure
  const fail = (why: string): never => {
    throw new WorkflowError(`workflow: secure step "${step.id}" ${why}`)
  }
  if (step.site !== 'requester') fail('must be at the site "requester": the requester\'s daemon aggregates')
  const outputs = step.outputs ?? []
  if (outputs.length !== 1 || outputs[0] !== SECURE_SUM_OUTPUT) fail(`has one output, "${SECURE_SUM_OUTPUT}"`)
  if (inputs.length < 2 || inputs.length > MAX_PARTICIPANTS) fail(`sums 2 to ${MAX_PARTICIPANTS} inputs, not ${inputs.length}`)
  const owners = new Map<string, string>()
  for (const input of inputs) {
    const source = byId.get(input.step)!
    if (source.site === 'requester')
      return fail(`input "${input.name}" comes from step "${input.step}" at the requester: only an owner's step can contribute to a secure sum`)
    const node = source.site.node.toLowerCase()
    const other = owners.get(node)
    if (other !== undefined) fail(`inputs "${other}" and "${input.name}" come from the same owner ${node}: a session takes one contribution per owner`)
    owners.set(node, input.name)
  }
  const n = inputs.length
  const threshold = secure.threshold ?? n
  if (threshold < minimumThreshold(n) || threshold > n)
    fail(`threshold must be from ${minimumThreshold(n)} (a majority, at least 2) to ${n} (every input), not ${threshold}`)
  if (secure.length < 1 || secure.length > MAX_VECTOR_LENGTH) fail(`length must be from 1 to ${MAX_VECTOR_LENGTH}, not ${secure.length}`)
  if (secure.fractionalBits !== undefined && (secure.fractionalBits < 0 || secure.fractionalBits > 32))
    fail(`fractionalBits must be from 0 to 32, not ${secure.fractionalBits}`)
  if (secure.roundTimeoutMs !== undefined && (secure.roundTimeoutMs < MIN_ROUND_TIMEOUT_MS || secure.roundTimeoutMs > MAX_ROUND_TIMEOUT_MS))
    fail(`roundTimeoutMs must be from ${MIN_ROUND_TIMEOUT_MS} to ${MAX_ROUND_TIMEOUT_MS}, not ${secure.roundTimeoutMs}`)
  return { ...secure, threshold }
}
