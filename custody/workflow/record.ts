// What the requester's daemon keeps of a workflow: the document as checked,
// and each step's state as the runner reports it, with the reason of a
// failure or refusal and the owners' verdicts on the moves it asked for.
import type { WorkflowDocument } from './document.ts'
import type { MovementVerdict } from './movement.ts'

export const STEP_STATES = ['Pending', 'Running', 'Done', 'Failed', 'Refused'] as const
export type StepState = (typeof STEP_STATES)[number]

/** The states a step may go to from each state; Done, Failed and Refused are final. */
const NEXT: Readonly<Record<StepState, readonly StepState[]>> = {
  Pending: ['Running', 'Failed', 'Refused'],
  Running: ['Done', 'Failed', 'Refused'],
  Done: [],
  Failed: [],
  Refused: []
}

export function mayMove(from: StepState, to: StepState): boolean {
  return NEXT[from].includes(to)
}

/** A move asked for one input of a step: from which step's output, and what the owners decided. */
export interface MoveRecord {
  readonly input: string
  readonly from: string
  readonly output: string
  readonly verdict: MovementVerdict
  /** ISO time. */
  readonly at: string
}

export interface StepRecord {
  readonly state: StepState
  readonly reason?: string
  /** The provider that ran it (node id), once known. */
  readonly providerId?: string
  readonly moves: readonly MoveRecord[]
  /** ISO time of the last change. */
  readonly updatedAt: string
}

export interface WorkflowRecord {
  readonly workflowId: string
  readonly requesterId: string
  readonly document: WorkflowDocument
  /** ISO time. */
  readonly createdAt: string
  readonly steps: Readonly<Record<string, StepRecord>>
}

/** The slice of the custody sublevel the workflows are kept in (JSON values). */
export interface WorkflowRecordStore {
  put(key: string, value: WorkflowRecord): Promise<void>
  values(): AsyncIterable<unknown>
}
