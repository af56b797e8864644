// Runs a workflow: the document goes to the requester's daemon (which checks
// it and keeps every step's state), then each step runs once its inputs are
// Done, independent steps at once. Before an output leaves its step's site
// for a step elsewhere, the daemon asks every owner in its provenance; a
// refusal marks the reading step Refused with the owners' reasons, nothing is
// fetched, and no further step starts.
import type { ApiClient } from '../client/api-client.ts'
import { SdkError } from '../errors.ts'
import type { MovementVerdict, StepSite, StepState, WorkflowDocument, WorkflowStepDocument, WorkflowView } from './document.ts'
import { WORKFLOWS_PATH } from './document.ts'

/** A step that has run at its site: its outputs stay there until fetched. */
export interface StepSession {
  /** The provider that ran it, when a rental did. */
  readonly providerId?: string
  /** The bytes of /out/<output>, brought to the requester. */
  fetch(output: string, signal: AbortSignal): Promise<Uint8Array>
  /** Ends the step's activity (releases its rental). */
  close(): Promise<void>
}

/** Runs one step at its site with its inputs' bytes (put at /in/<name>). */
export interface StepExecutor {
  start(step: WorkflowStepDocument, inputs: ReadonlyMap<string, Uint8Array>, signal: AbortSignal): Promise<StepSession>
}

export interface StepEvent {
  readonly workflowId: string
  readonly step: string
  readonly site: StepSite
  readonly state: StepState
  readonly reason?: string
}

export interface WorkflowRunOptions {
  /** How steps run: the owners' steps through rentals of their datasets, the requester's locally (see workflowExecutor). */
  readonly executor: StepExecutor
  /** Each change of a step's state, once the daemon has it. */
  readonly onStep?: (event: StepEvent) => void
  /** Steps run at once (default 8). */
  readonly concurrency?: number
  readonly signal?: AbortSignal
}

export interface WorkflowRunResult {
  readonly workflowId: string
  /** Every step reached Done. */
  readonly ok: boolean
  readonly states: Readonly<Record<string, { readonly state: StepState; readonly reason?: string }>>
  /** The outputs of the steps at the requester, by "<step id>.<output>". */
  readonly results: ReadonlyMap<string, Uint8Array>
}

export async function runWorkflow(api: ApiClient, document: WorkflowDocument, options: WorkflowRunOptions): Promise<WorkflowRunResult> {
  const created = await api.call<WorkflowView>('POST', WORKFLOWS_PATH, { body: document })
  return await new WorkflowRun(api, created, options).run()
}

/** The reason a move was refused: every refusing owner with its rules. */
export function refusalText(verdict: MovementVerdict): string {
  return verdict.owners
    .filter(owner => !owner.allow)
    .map(owner => `${owner.owner} (dataset ${owner.dataset}): ${owner.reasons.map(reason => `${reason.rule}: ${reason.message}`).join('; ')}`)
    .join(' | ')
}

class WorkflowRun {
  readonly #api: ApiClient
  readonly #view: WorkflowView
  readonly #options: WorkflowRunOptions
  readonly #steps: Map<string, WorkflowStepDocument>
  readonly #states = new Map<string, { state: StepState; reason?: string }>()
  /** Fetched outputs by "<step>.<output>". */
  readonly #fetched = new Map<string, Uint8Array>()
  readonly #abort = new AbortController()
  #stopped = false

  constructor(api: ApiClient, view: WorkflowView, options: WorkflowRunOptions) {
    this.#api = api
    this.#view = view
    this.#options = options
    this.#steps = new Map(view.document.steps.map(step => [step.id, step]))
    for (const step of view.steps) this.#states.set(step.id, { state: step.state })
    options.signal?.addEventListener('abort', () => this.#abort.abort(options.signal?.reason), { once: true })
  }

  async run(): Promise<WorkflowRunResult> {
    const concurrency = Math.max(1, Math.floor(this.#options.concurrency ?? 8))
    const running = new Map<string, Promise<void>>()
    for (;;) {
      if (!this.#stopped) {
        for (const id of this.#ready()) {
          if (running.size >= concurrency) break
          running.set(
            id,
            this.#runStep(id).finally(() => running.delete(id))
          )
        }
      }
      if (running.size === 0) break
      await Promise.race(running.values())
    }
    const states = Object.fromEntries(this.#states)
    const results = new Map<string, Uint8Array>()
    for (const step of this.#view.document.steps) {
      if (step.site !== 'requester') continue
      for (const output of step.outputs ?? []) {
        const bytes = this.#fetched.get(`${step.id}.${output}`)
        if (bytes !== undefined) results.set(`${step.id}.${output}`, bytes)
      }
    }
    return { workflowId: this.#view.workflowId, ok: [...this.#states.values()].every(s => s.state === 'Done'), states, results }
  }

  /** Pending steps whose inputs are all fetched. */
  #ready(): string[] {
    return this.#view.steps
      .filter(step => this.#states.get(step.id)?.state === 'Pending' && !this.#starting.has(step.id))
      .filter(step => Object.values(step.inputs).every(reference => this.#fetched.has(reference)))
      .map(step => step.id)
  }

  readonly #starting = new Set<string>()

  async #runStep(id: string): Promise<void> {
    this.#starting.add(id)
    const step = this.#steps.get(id)!
    const signal = this.#abort.signal
    let session: StepSession | undefined
    try {
      await this.#report(id, { state: 'Running' })
      const inputs = new Map(Object.entries(step.inputs ?? {}).map(([name, reference]) => [name, this.#fetched.get(reference)!]))
      session = await this.#options.executor.start(step, inputs, signal)
      await this.#report(id, { state: 'Done', ...(session.providerId === undefined ? {} : { providerId: session.providerId }) })
      await this.#deliver(step, session, signal)
    } catch (error) {
      this.#stopped = true
      const refused = error instanceof SdkError && error.code === 'Forbidden'
      if (this.#states.get(id)?.state === 'Running') {
        await this.#report(id, { state: refused ? 'Refused' : 'Failed', reason: reasonOf(error) }).catch(() => {})
      } else {
        // The step is Done but an output could not be brought on: the steps reading it fail, saying why.
        for (const reader of this.#readersOf(id)) {
          if (this.#states.get(reader)?.state !== 'Pending') continue
          const reason = `an input from step "${id}" could not be fetched: ${reasonOf(error)}`
          await this.#report(reader, { state: refused ? 'Refused' : 'Failed', reason }).catch(() => {})
        }
      }
    } finally {
      await session?.close().catch(() => {})
    }
  }

  /**
   * Brings each output some later step reads to the requester, once every
   * reader's move is allowed by all owners of its provenance (and, for a reader
   * at another owner's site, the relay through the requester too).
   */
  async #deliver(step: WorkflowStepDocument, session: StepSession, signal: AbortSignal): Promise<void> {
    for (const output of step.outputs ?? []) {
      const reference = `${step.id}.${output}`
      const readers = this.#view.document.steps.flatMap(reader =>
        Object.entries(reader.inputs ?? {})
          .filter(([, from]) => from === reference)
          .map(([input]) => ({ reader, input }))
      )
      const local = step.site === 'requester'
      if (!local && readers.length === 0) continue
      let allowed = true
      for (const { reader, input } of readers) {
        if (local && reader.site === 'requester') continue
        const asks: ({ input: string } | { input: string; via: 'requester' })[] = [{ input }]
        if (reader.site !== 'requester' && !local) asks.push({ input, via: 'requester' })
        for (const ask of asks) {
          const verdict = await this.#api.call<MovementVerdict>('POST', `${WORKFLOWS_PATH}/${this.#view.workflowId}/steps/${reader.id}/moves`, {
            body: ask,
            signal
          })
          if (!verdict.allow) {
            allowed = false
            this.#stopped = true
            await this.#report(reader.id, { state: 'Refused', reason: `the input "${input}" may not move to ${verdict.destination}: ${refusalText(verdict)}` })
            break
          }
        }
        if (!allowed) break
      }
      if (!allowed) return
      this.#fetched.set(reference, await session.fetch(output, signal))
    }
  }

  #readersOf(id: string): string[] {
    return this.#view.document.steps.filter(step => Object.values(step.inputs ?? {}).some(from => from.startsWith(`${id}.`))).map(step => step.id)
  }

  async #report(id: string, update: { state: StepState; reason?: string; providerId?: string }): Promise<void> {
    await this.#api.call('PUT', `${WORKFLOWS_PATH}/${this.#view.workflowId}/steps/${id}`, { body: update })
    this.#states.set(id, { state: update.state, ...(update.reason === undefined ? {} : { reason: update.reason }) })
    const step = this.#steps.get(id)!
    this.#options.onStep?.({
      workflowId: this.#view.workflowId,
      step: id,
      site: step.site,
      state: update.state,
      ...(update.reason === undefined ? {} : { reason: update.reason })
    })
  }
}

function reasonOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error)
  return (text === '' ? 'failed' : text).slice(0, 2000)
}
