// A workflow document as the SDK writes it and the requester's daemon checks
// it (POST /agora-api/v1/custody/workflows): steps placed at an owner's
// dataset or at the requester, each reading other steps' named outputs.
export interface OwnerSite {
  /** The owner's node id. */
  readonly node: string
  readonly dataset: string
}

/** "requester": the step runs on the requester's machine (a WASI module run locally). */
export type StepSite = 'requester' | OwnerSite

export interface StepAlgorithm {
  readonly runtime: 'wasmtime' | 'vm'
  /** A task package (`hash:sha3:<hex>:<url>`) or, for the requester's own steps and rentals, a local .wasm path. */
  readonly image: string
  readonly command: string
  readonly args?: readonly string[]
}

/** A secure sum of the inputs (as the federated runs' aggregate.secure; the daemon checks the ranges). */
export interface SecureAggregateSpec {
  /** The length of the vector each input holds. */
  readonly length: number
  /** Inputs that must be summed for a result (default: all of them; at least a majority and 2). */
  readonly threshold?: number
  readonly fractionalBits?: number
  readonly roundTimeoutMs?: number
}

export interface WorkflowStepDocument {
  readonly id: string
  readonly site: StepSite
  readonly algorithm: StepAlgorithm
  /** Local name → "<step id>.<output>"; the file is at /in/<local name> when the command runs. */
  readonly inputs?: Readonly<Record<string, string>>
  /** Files the step writes as /out/<name>. */
  readonly outputs?: readonly string[]
}

/**
 * A step at the requester summing its inputs, each from a different owner's
 * step, by secure aggregation: no algorithm, and one output, "sum" (a
 * SecureSumOutput in JSON).
 */
export interface SecureStepDocument {
  readonly id: string
  readonly site: 'requester'
  readonly aggregate: { readonly secure: SecureAggregateSpec }
  readonly inputs: Readonly<Record<string, string>>
  readonly outputs?: readonly string[]
}

export type AnyStepDocument = WorkflowStepDocument | SecureStepDocument

/** "<step id>.<output>" in its parts (an output name may hold a dot, a step id never does). */
export function splitReference(reference: string): { readonly step: string; readonly output: string } {
  const dot = reference.indexOf('.')
  return dot < 0 ? { step: reference, output: '' } : { step: reference.slice(0, dot), output: reference.slice(dot + 1) }
}

export function isSecureStep(step: AnyStepDocument): step is SecureStepDocument {
  return 'aggregate' in step && step.aggregate !== undefined
}

export interface WorkflowDocument {
  readonly version: 1
  readonly name: string
  readonly steps: readonly AnyStepDocument[]
}

export type StepState = 'Pending' | 'Running' | 'Done' | 'Failed' | 'Refused'

export interface OwnerVerdict {
  readonly owner: string
  readonly dataset: string
  readonly allow: boolean
  readonly reasons: readonly { readonly rule: string; readonly message: string }[]
}

export interface MovementVerdict {
  readonly allow: boolean
  readonly destination: string
  readonly owners: readonly OwnerVerdict[]
}

/** A workflow as the daemon shows it (GET /agora-api/v1/custody/workflows/{id}). */
export interface WorkflowView {
  readonly workflowId: string
  readonly name: string
  readonly requesterId: string
  readonly createdAt: string
  readonly document: WorkflowDocument
  readonly steps: readonly {
    readonly id: string
    readonly site: string
    readonly state: StepState
    readonly reason?: string
    readonly providerId?: string
    readonly inputs: Readonly<Record<string, string>>
    readonly outputs: readonly string[]
    readonly provenance: readonly { readonly owner: string; readonly dataset: string }[]
    readonly moves: readonly {
      readonly input: string
      readonly from: string
      readonly output: string
      readonly verdict: MovementVerdict
      readonly at: string
    }[]
    readonly updatedAt: string
  }[]
}

export const WORKFLOWS_PATH = '/agora-api/v1/custody/workflows'
/** The output of a secure step. */
export const SECURE_SUM_OUTPUT = 'sum'

/** The bytes of a secure step's "sum" output, parsed. */
export interface SecureSumOutput {
  readonly sum: readonly number[]
  readonly sumFixed: readonly string[]
  readonly fractionalBits: number
  readonly sessionId: string
  /** The owners (node ids) whose contributions are in the sum. */
  readonly survivors: readonly string[]
  readonly dropped: readonly string[]
}
