// Runs a workflow: the document goes to the requester's daemon (which checks
// it and keeps every step's state), then each step runs once its inputs are
// Done, independent steps at once. Before an output leaves its step's site
// for a step elsewhere, the daemon asks every owner in its provenance; a
// refusal marks the reading step Refused with the owners' reasons, nothing is
// fetched, and no further step starts. A secure step's inputs never come to
// the requester: their steps' activities are held until it has run, and each
// sends its output to a secure-aggregation session (secure-sum.ts).
import type { ApiClient } from '../client/api-client.ts'
import { SdkError } from '../errors.ts'
import type {
  AnyStepDocument,
  MovementVerdict,
  SecureStepDocument,
  StepSite,
  StepState,
  WorkflowDocument,
  WorkflowStepDocument,
  WorkflowView
} from './document.ts'
import { WORKFLOWS_PATH, isSecureStep, splitReference } from './document.ts'
import { runSecureSum } from './secure-sum.ts'

/** A step that has run at its site: its outputs stay there until fetched. */
export interface StepSession {
  /** The provider that ran it, when a rental did. */
  readonly providerId?: string
  /** The bytes of /out/<output>, brought to the requester. */
  fetch(output: string, signal: AbortSignal): Promise<Uint8Array>
  /**
   * Has the step's activity send /out/<output> to a secure-aggregation
   * session (agora-secagg:… URL): the owner's daemon masks it there, applying
   * its output guards and privacy budget. Only an owner's step can.
   */
  contribute?(output: string, sessionUrl: string, signal: AbortSignal): Promise<void>
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
  readonly #steps: Map<string, AnyStepDocument>
  readonly #states = new Map<string, { state: StepState; reason?: string }>()
  /** Fetched outputs by "<step>.<output>". */
  readonly #fetched = new Map<string, Uint8Array>()
  /** Sessions of Done steps a secure step reads from, held (their activities alive) until it has run. */
  readonly #held = new Map<string, StepSession>()
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
    // Stopped before a secure step ran: its inputs' activities end now.
    for (const id of [...this.#held.keys()]) await this.#release(id)
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

  /** Pending steps whose inputs are all fetched (a secure step's: all their steps have ended). */
  #ready(): string[] {
    return this.#view.steps
      .filter(step => this.#states.get(step.id)?.state === 'Pending' && !this.#starting.has(step.id))
      .filter(step =>
        isSecureStep(this.#steps.get(step.id)!)
          ? Object.values(step.inputs).every(reference => this.#ended.has(stepOf(reference)))
          : Object.values(step.inputs).every(reference => this.#fetched.has(reference))
      )
      .map(step => step.id)
  }

  readonly #starting = new Set<string>()
  /** Steps whose run is over (a Done one's session held or closed). */
  readonly #ended = new Set<string>()

  async #runStep(id: string): Promise<void> {
    this.#starting.add(id)
    const step = this.#steps.get(id)!
    const signal = this.#abort.signal
    let session: StepSession | undefined
    const secureReaders = this.#readersOf(id).filter(reader => isSecureStep(this.#steps.get(reader)!))
    try {
      await this.#report(id, { state: 'Running' })
      session = isSecureStep(step) ? await this.#runSecure(step, signal) : await this.#start(step, signal)
      await this.#report(id, { state: 'Done', ...(session.providerId === undefined ? {} : { providerId: session.providerId }) })
      await this.#deliver(step, session, signal)
      if (secureReaders.length > 0) {
        this.#held.set(id, session)
        session = undefined
      }
    } catch (error) {
      // A step only secure steps read from is one of their possible dropouts: the run goes on to them.
      const dropout = secureReaders.length > 0 && secureReaders.length === this.#readersOf(id).length && this.#states.get(id)?.state === 'Running'
      if (!dropout) this.#stopped = true
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
      if (isSecureStep(step)) for (const reference of Object.values(step.inputs)) await this.#release(stepOf(reference))
      this.#ended.add(id)
    }
  }

  async #start(step: WorkflowStepDocument, signal: AbortSignal): Promise<StepSession> {
    const inputs = new Map(Object.entries(step.inputs ?? {}).map(([name, reference]) => [name, this.#fetched.get(reference)!]))
    return await this.#options.executor.start(step, inputs, signal)
  }

  /** The secure sum of the inputs' steps that are Done (the others are its dropouts). */
  async #runSecure(step: SecureStepDocument, signal: AbortSignal): Promise<StepSession> {
    const inputs = Object.entries(step.inputs).map(([name, reference]) => {
      const from = stepOf(reference)
      const source = this.#steps.get(from)!
      const state = this.#states.get(from)
      return {
        name,
        step: from,
        output: splitReference(reference).output,
        owner: source.site === 'requester' ? '' : source.site.node.toLowerCase(),
        ...(this.#held.has(from) ? { session: this.#held.get(from)! } : {}),
        ...(state?.state === 'Done'
          ? {}
          : { failure: `step "${from}" is ${state?.state ?? 'unknown'}${state?.reason === undefined ? '' : `: ${state.reason}`}` })
      }
    })
    const bytes = await runSecureSum(this.#api, step.aggregate.secure, inputs, signal)
    return {
      fetch: async output => {
        if (!(step.outputs ?? ['sum']).includes(output)) throw new SdkError('NotFound', `step "${step.id}" has no output "${output}"`)
        return bytes
      },
      close: async () => {}
    }
  }

  /** Ends a held step's activity once no secure step that reads it is still to run. */
  async #release(id: string): Promise<void> {
    const session = this.#held.get(id)
    if (session === undefined) return
    const waiting = this.#readersOf(id).some(reader => isSecureStep(this.#steps.get(reader)!) && !isFinal(this.#states.get(reader)?.state) && !this.#stopped)
    if (waiting) return
    this.#held.delete(id)
    await session.close().catch(() => {})
  }

  /**
   * Brings each output some later step reads to the requester, once every
   * reader's move is allowed by all owners of its provenance (and, for a reader
   * at another owner's site, the relay through the requester too).
   */
  async #deliver(step: AnyStepDocument, session: StepSession, signal: AbortSignal): Promise<void> {
    for (const output of step.outputs ?? []) {
      const reference = `${step.id}.${output}`
      // A secure step's input stays at its site: only masked shares leave it.
      const readers = this.#view.document.steps
        .filter(reader => !isSecureStep(reader))
        .flatMap(reader =>
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

function isFinal(state: StepState | undefined): boolean {
  return state === 'Done' || state === 'Failed' || state === 'Refused'
}

function stepOf(reference: string): string {
  return splitReference(reference).step
}

function reasonOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error)
  return (text === '' ? 'failed' : text).slice(0, 2000)
}
