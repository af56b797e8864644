// The activity state machine (Golem's): New → Initialized → Deployed → Ready,
// Terminated from anywhere, Unresponsive when the runtime is lost.
import type { ActivityState, ActivityStateName } from './types.ts'
import type { CommandKind } from '../exescript/types.ts'

/** States in which each command may start. */
const ALLOWED: Record<CommandKind, readonly ActivityStateName[]> = {
  deploy: ['Initialized'],
  start: ['Deployed'],
  run: ['Ready'],
  transfer: ['Deployed', 'Ready'],
  sign: ['Initialized', 'Deployed', 'Ready'],
  terminate: ['New', 'Initialized', 'Deployed', 'Ready', 'Unresponsive']
}

const HINT: Partial<Record<CommandKind, string>> = {
  deploy: 'deploy runs once, right after the activity is created',
  start: 'start follows deploy',
  run: 'deploy and start first',
  transfer: 'deploy first'
}

/** Null when `kind` may run in `current`, else why not. */
export function refusal(kind: CommandKind, current: ActivityStateName): string | null {
  if (ALLOWED[kind].includes(current)) return null
  const hint = HINT[kind]
  return `${kind} is not allowed in state ${current}${hint === undefined || current === 'Terminated' ? '' : ` (${hint})`}`
}

export class StateMachine {
  #current: ActivityStateName = 'New'
  #next: ActivityStateName | null = null
  #reason: string | undefined
  #errorMessage: string | undefined
  readonly #onChange: (state: ActivityState) => void

  constructor(onChange: (state: ActivityState) => void) {
    this.#onChange = onChange
  }

  get current(): ActivityStateName {
    return this.#current
  }
  get terminated(): boolean {
    return this.#current === 'Terminated'
  }

  snapshot(): ActivityState {
    const state: ActivityState = { state: [this.#current, this.#next] }
    if (this.#reason !== undefined) state.reason = this.#reason
    if (this.#errorMessage !== undefined) state.errorMessage = this.#errorMessage
    return state
  }

  /** Marks a transition under way (reported as [current, next]). */
  begin(next: ActivityStateName): void {
    // Terminated is final and reported once: listeners count on it.
    if (this.#current === 'Terminated') return
    this.#next = next
    this.#onChange(this.snapshot())
  }

  /** Ends a transition in `state`; an error message stays until the next success. */
  set(state: ActivityStateName, detail: { reason?: string; errorMessage?: string } = {}): void {
    if (this.#current === 'Terminated') return
    this.#current = state
    this.#next = null
    this.#reason = detail.reason
    this.#errorMessage = detail.errorMessage
    this.#onChange(this.snapshot())
  }

  /** Ends a failed transition: back to where it started, with the error. */
  fail(errorMessage: string): void {
    if (this.#current === 'Terminated') return
    this.#next = null
    this.#errorMessage = errorMessage
    this.#onChange(this.snapshot())
  }
}
