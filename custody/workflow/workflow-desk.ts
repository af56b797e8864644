// The requester's daemon keeps its workflows: the checked document, each
// step's state as the runner reports it, and the moves of intermediate
// results, each decided by asking every owner in the result's provenance over
// /agora/custody/release/1 and checking their signed answers.
import { randomBytes } from 'node:crypto'
import type { Static } from 'typebox'
import { CodedError, backoffDelay, isErrorCode, silentLogger } from '../../net/index.ts'
import type { Clock, Logger, NetHost, SignedEnvelope } from '../../net/index.ts'
import type { StepSite } from './document.ts'
import { checkMovement, ownersToAsk } from './movement.ts'
import type { MovementRequest, MovementVerdict } from './movement.ts'
import { mayMove } from './record.ts'
import type { StepRecord, StepState, WorkflowRecord, WorkflowRecordStore } from './record.ts'
import { RELEASE_PROTOCOL } from './release-protocol.ts'
import { parseWorkflow } from './validate.ts'
import type { WorkflowPlan } from './validate.ts'

/** Workflows kept at once; beyond it a new one is refused. */
export const MAX_WORKFLOWS = 1_000
const REASON_MAX = 2_000
/** Tries of a release question before an owner counts as not reachable (about 3 s of backoff in all). */
const RELEASE_ATTEMPTS = 4
/** Failures of a try that say nothing of the owner's decision. */
const TRANSIENT_CODES: ReadonlySet<string> = new Set(['Unreachable', 'PeerTimeout', 'StreamClosed', 'RateLimited', 'Unavailable'])

export interface WorkflowDeskComponents {
  readonly nodeId: string
  readonly clock: Clock
  readonly store: WorkflowRecordStore
  /** How the owners are asked (the node's libp2p host). */
  readonly net: Pick<NetHost, 'request'>
  readonly logger?: Logger
}

export interface StepUpdate {
  readonly state: StepState
  readonly reason?: string
  readonly providerId?: string
}

interface Kept {
  record: WorkflowRecord
  plan: WorkflowPlan
  /** Changes to one workflow are made one after the other. */
  queue: Promise<unknown>
}

export class WorkflowDesk {
  readonly #components: WorkflowDeskComponents
  readonly #log: Logger
  readonly #kept = new Map<string, Kept>()

  constructor(components: WorkflowDeskComponents) {
    this.#components = components
    this.#log = (components.logger ?? silentLogger).child({ component: 'custody:workflows' })
  }

  async start(): Promise<void> {
    for await (const value of this.#components.store.values()) {
      const record = value as WorkflowRecord
      try {
        this.#kept.set(record.workflowId, { record, plan: parseWorkflow(record.document), queue: Promise.resolve() })
      } catch (err) {
        this.#log.warn({ err, workflowId: record?.workflowId }, 'a stored workflow does not check; left out')
      }
    }
  }

  async create(document: unknown): Promise<WorkflowRecord> {
    const plan = parseWorkflow(document)
    if (this.#kept.size >= MAX_WORKFLOWS) throw new CodedError('CapacityExceeded', `this daemon keeps at most ${MAX_WORKFLOWS} workflows`)
    const now = this.#now()
    const workflowId = `wf-${randomBytes(16).toString('hex')}`
    const steps: Record<string, StepRecord> = {}
    for (const id of plan.order) steps[id] = { state: 'Pending', moves: [], updatedAt: now }
    const record: WorkflowRecord = { workflowId, requesterId: this.#components.nodeId, document: plan.document, createdAt: now, steps }
    await this.#components.store.put(workflowId, record)
    this.#kept.set(workflowId, { record, plan, queue: Promise.resolve() })
    return record
  }

  get(workflowId: string): WorkflowRecord {
    return this.#keptOf(workflowId).record
  }

  plan(workflowId: string): WorkflowPlan {
    return this.#keptOf(workflowId).plan
  }

  list(): WorkflowRecord[] {
    return [...this.#kept.values()].map(kept => kept.record).sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0))
  }

  async updateStep(workflowId: string, stepId: string, update: StepUpdate): Promise<WorkflowRecord> {
    const kept = this.#keptOf(workflowId)
    return await this.#serially(kept, async () => {
      const step = kept.record.steps[stepId]
      if (step === undefined) throw new CodedError('NotFound', `workflow ${workflowId} has no step "${stepId}"`)
      if ((update.state === 'Failed' || update.state === 'Refused') && (update.reason ?? '') === '') {
        throw new CodedError('BadRequest', `a step that is ${update.state} needs a reason`)
      }
      if (update.reason !== undefined && update.reason.length > REASON_MAX)
        throw new CodedError('BadRequest', `reason must be at most ${REASON_MAX} characters`)
      if (step.state === update.state) return kept.record
      if (!mayMove(step.state, update.state)) {
        throw new CodedError('Conflict', `step "${stepId}" is ${step.state}: it cannot become ${update.state}`)
      }
      const next: StepRecord = {
        ...step,
        state: update.state,
        ...(update.reason === undefined ? {} : { reason: update.reason }),
        ...(update.providerId === undefined ? {} : { providerId: update.providerId.toLowerCase() }),
        updatedAt: this.#now()
      }
      return await this.#save(kept, { ...kept.record, steps: { ...kept.record.steps, [stepId]: next } })
    })
  }

  /**
   * May the output behind `input` of step `stepId` move to that step's site?
   * Asks every owner in its provenance (but the destination itself), checks
   * their signed decisions, and records the verdict on the step. `via`
   * "requester": the move to the requester instead, for a result relayed
   * through it on the way to the step's site.
   */
  async checkMove(workflowId: string, stepId: string, input: string, options: { via?: 'requester'; signal?: AbortSignal } = {}): Promise<MovementVerdict> {
    const signal = options.signal
    const kept = this.#keptOf(workflowId)
    const target = kept.plan.steps.get(stepId)
    if (target === undefined) throw new CodedError('NotFound', `workflow ${workflowId} has no step "${stepId}"`)
    const source = target.inputs.find(candidate => candidate.name === input)
    if (source === undefined) throw new CodedError('NotFound', `step "${stepId}" has no input "${input}"`)
    const from = kept.plan.steps.get(source.step)!
    if (kept.record.steps[source.step]?.state !== 'Done') {
      throw new CodedError(
        'Conflict',
        `step "${source.step}" is ${kept.record.steps[source.step]?.state ?? 'unknown'}: its output cannot move before it is Done`
      )
    }
    const request: MovementRequest = {
      workflowId,
      requesterId: this.#components.nodeId,
      step: source.step,
      output: source.output,
      provenance: from.provenance,
      destination: options.via ?? target.destination
    }
    const envelopes = await this.#askOwners(request, signal)
    const asked = checkMovement(request, envelopes.decisions)
    // An owner that could not be asked is named with why, rather than "gave no decision".
    const verdict: MovementVerdict = {
      ...asked,
      owners: asked.owners.map(owner => {
        const failure = envelopes.failures.get(owner.owner)
        return failure === undefined || owner.allow ? owner : { ...owner, reasons: [{ rule: 'release', message: failure }] }
      })
    }
    await this.#serially(kept, async () => {
      const step = kept.record.steps[stepId]!
      const moves = [...step.moves, { input, from: source.step, output: source.output, verdict, at: this.#now() }]
      await this.#save(kept, { ...kept.record, steps: { ...kept.record.steps, [stepId]: { ...step, moves } } })
    })
    return verdict
  }

  async #askOwners(request: MovementRequest, signal?: AbortSignal): Promise<{ decisions: SignedEnvelope[]; failures: Map<string, string> }> {
    const byOwner = new Map<string, string[]>()
    for (const ref of ownersToAsk(request)) byOwner.set(ref.owner, [...(byOwner.get(ref.owner) ?? []), ref.dataset])
    const decisions: SignedEnvelope[] = []
    const failures = new Map<string, string>()
    await Promise.all(
      [...byOwner].map(async ([owner, datasets]) => {
        try {
          const question = { workflowId: request.workflowId, step: request.step, output: request.output, destination: request.destination, datasets }
          const answer = await this.#askTrying(owner, question, signal)
          decisions.push(...(answer.decisions as SignedEnvelope[]))
        } catch (err) {
          const code = err instanceof CodedError && isErrorCode(err.code) ? err.code : 'Unreachable'
          this.#log.info({ err, owner }, 'an owner could not be asked about a release')
          failures.set(owner, `owner ${owner} could not be asked (${code}): the result does not move`)
        }
      })
    )
    return { decisions, failures }
  }

  /**
   * One owner's answer, asked again after a connection that could not be made or an answer that did not come
   * (a busy owner or a dial that failed is not a refusal); an owner's own error ends it at once.
   */
  async #askTrying(owner: string, question: Static<typeof RELEASE_PROTOCOL.request>, signal?: AbortSignal): Promise<Static<typeof RELEASE_PROTOCOL.response>> {
    for (let failures = 1; ; failures++) {
      try {
        return await this.#components.net.request(RELEASE_PROTOCOL, owner, question, signal === undefined ? {} : { signal })
      } catch (err) {
        const transient = err instanceof CodedError && TRANSIENT_CODES.has(err.code) && !(signal?.aborted ?? false)
        if (!transient || failures >= RELEASE_ATTEMPTS) throw err
        const delay = backoffDelay(failures, { minMs: 250, maxMs: 2_000, random: Math.random })
        await new Promise<void>(resolve => this.#components.clock.setTimeout(resolve, delay))
      }
    }
  }

  #keptOf(workflowId: string): Kept {
    const kept = this.#kept.get(workflowId)
    if (kept === undefined) throw new CodedError('NotFound', `no workflow ${workflowId}`)
    return kept
  }

  async #serially<T>(kept: Kept, change: () => Promise<T>): Promise<T> {
    const result = kept.queue.then(change)
    kept.queue = result.catch(() => {})
    return await result
  }

  async #save(kept: Kept, record: WorkflowRecord): Promise<WorkflowRecord> {
    await this.#components.store.put(record.workflowId, record)
    kept.record = record
    return record
  }

  #now(): string {
    return new Date(this.#components.clock.now()).toISOString()
  }
}

export function isOwnerSite(site: StepSite): site is Exclude<StepSite, 'requester'> {
  return site !== 'requester'
}
