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

export interface WorkflowStepDocument {
  readonly id: string
  readonly site: StepSite
  readonly algorithm: StepAlgorithm
  /** Local name → "<step id>.<output>"; the file is at /in/<local name> when the command runs. */
  readonly inputs?: Readonly<Record<string, string>>
  /** Files the step writes as /out/<name>. */
  readonly outputs?: readonly string[]
}

export interface WorkflowDocument {
  readonly version: 1
  readonly name: string
  readonly steps: readonly WorkflowStepDocument[]
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
