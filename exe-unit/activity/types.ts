// The Activity API's wire shapes (activity-api.yaml) the exe-unit produces.
import type { CommandOutput } from './capture.ts'

export type ActivityStateName = 'New' | 'Initialized' | 'Deployed' | 'Ready' | 'Unresponsive' | 'Terminated'

/** `state` is the pair (current, next); next is null when no transition is under way. */
export interface ActivityState {
  state: [ActivityStateName, ActivityStateName | null]
  reason?: string
  errorMessage?: string
}

export interface ExeScriptCommandResult {
  index: number
  eventDate: string
  result: 'Ok' | 'Error'
  stdout?: string
  stderr?: string
  message?: string
  isBatchFinished: boolean
}

export type RuntimeEventKind =
  | { started: { command: Record<string, unknown> } }
  | { stdout: CommandOutput }
  | { stderr: CommandOutput }
  | { finished: { returnCode: number; message?: string } }

/** One event of a batch's stream (served as `event: runtime` over SSE). */
export interface RuntimeEvent {
  batchId: string
  index: number
  timestamp: string
  kind: RuntimeEventKind
}

/** What the `command` endpoint lists: the command running now. */
export interface ExeScriptCommandState {
  batchId: string
  command: string
  params?: string[]
}

export interface ActivityUsage {
  /** Ordered as the agreement's golem.com.usage.vector. */
  currentUsage: number[]
  /** Unix time in seconds. */
  timestamp: number
}
