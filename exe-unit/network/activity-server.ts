// The provider's side of `/agora/activity/1`: each request is checked against
// the agreement (Approved, or approved by us and now shown held by the
// requester's create; and the caller is its requester) and the activity
// (created by that caller) before the exe-unit sees it.
import { randomBytes } from 'node:crypto'
import { HandlerError, refusingFinally, validator, verifyEnvelope } from '../../net/index.ts'
import type { NodeId, RequestContext, SignedEnvelope } from '../../net/index.ts'
import type { ActivityInfo, ExeUnit } from '../exe-unit.ts'
import { ExeUnitError } from '../errors.ts'
import type { ActivityRequest } from './activity-protocol.ts'
import type { AgreementAccess } from './agreement-access.ts'
import { collectBatchEvents } from './batch-events.ts'
import { ResultPager } from './result-pages.ts'
import { ACTIVITY_FINAL_CODES, DESTROY_ENVELOPE_TYPE, DestroyPayload } from './activity-messages.ts'

const destroyPayload = validator(DestroyPayload, 'activity destroy')

export class ActivityServer {
  readonly #exeUnit: ExeUnit
  readonly #agreements: AgreementAccess
  readonly #onCreated: (activity: ActivityInfo) => void
  readonly #pages = new ResultPager()

  constructor(exeUnit: ExeUnit, agreements: AgreementAccess, onCreated: (activity: ActivityInfo) => void) {
    this.#exeUnit = exeUnit
    this.#agreements = agreements
    this.#onCreated = onCreated
  }

  async handle(request: ActivityRequest, context: RequestContext): Promise<{ value: unknown }> {
    // JSON has no undefined: a call with nothing to say answers null.
    return { value: (await this.#dispatch(request, context.from, context.signal)) ?? null }
  }

  async #dispatch(request: ActivityRequest, from: NodeId, signal: AbortSignal): Promise<unknown> {
    if (request.op === 'create') return await this.#create(request.agreementId, from)
    this.#ownedBy(request.activityId, from)
    const { activityId } = request
    switch (request.op) {
      case 'exec':
        return this.#exeUnit.exec(activityId, request.text)
      case 'results': {
        const options: { commandIndex?: number; timeoutMs: number; signal: AbortSignal } = { timeoutMs: request.waitMs, signal }
        if (request.commandIndex !== undefined) options.commandIndex = request.commandIndex
        const results = await this.#exeUnit.getBatchResults(activityId, request.batchId, options)
        return this.#pages.page(`${activityId}/${request.batchId}`, results, 0)
      }
      case 'resultsPage': {
        const results = await this.#exeUnit.getBatchResults(activityId, request.batchId)
        return this.#pages.page(`${activityId}/${request.batchId}`, results, request.offset, request.count)
      }
      case 'events':
        return await collectBatchEvents(this.#exeUnit, activityId, request.batchId, request.after, request.waitMs, signal)
      case 'state':
        return this.#exeUnit.getState(activityId)
      case 'usage':
        return await this.#exeUnit.getUsage(activityId)
      case 'running':
        return this.#exeUnit.runningCommand(activityId)
    }
  }

  /**
   * The requester's signed destroy, from the activity outbox: it may come
   * again (and is then acknowledged as is), or long after it was asked for.
   */
  async receiveDestroy(envelope: SignedEnvelope, from: NodeId): Promise<void> {
    await refusingFinally(async () => {
      if (verifyEnvelope(envelope, DESTROY_ENVELOPE_TYPE) !== from) throw new HandlerError('BadRequest', 'a destroy must be signed by its requestor')
      const { activityId, agreementId } = destroyPayload.parse(envelope.payload)
      this.#ownedBy(activityId, from)
      if (this.#exeUnit.getActivity(activityId).agreementId !== agreementId)
        throw new HandlerError('BadRequest', `activity ${activityId} is not under agreement ${agreementId}`)
      await this.#exeUnit.destroy(activityId, 'destroyed by the requestor')
    }, ACTIVITY_FINAL_CODES)
  }

  async #create(agreementId: string, from: NodeId): Promise<string> {
    const agreement = this.#agreements.lookup(agreementId)
    if (agreement === undefined || agreement.role !== 'Provider') throw new HandlerError('NotFound', `no agreement ${agreementId} with this provider`)
    if (agreement.requestorId.toLowerCase() !== from.toLowerCase()) throw new HandlerError('Forbidden', `agreement ${agreementId} belongs to another requestor`)
    // The requester creates once it holds our approval, maybe before its acknowledgement is back here.
    const state = agreement.state === 'Pending' ? await this.#agreements.approvalShown(agreementId, from) : agreement.state
    if (state !== 'Approved') throw new HandlerError('Conflict', `agreement ${agreementId} is ${state}, not Approved`)
    const activityId = randomBytes(16).toString('hex')
    this.#onCreated(await this.#exeUnit.createActivity({ activityId, agreementId, requesterId: from, properties: agreement.properties }))
    return activityId
  }

  /** Someone else's activity looks like no activity at all. */
  #ownedBy(activityId: string, from: NodeId): void {
    let requesterId: string
    try {
      requesterId = this.#exeUnit.getActivity(activityId).requesterId
    } catch (err) {
      if (err instanceof ExeUnitError && err.code === 'NotFound') throw new HandlerError('NotFound', `no activity ${activityId}`)
      throw err
    }
    if (requesterId.toLowerCase() !== from.toLowerCase()) throw new HandlerError('Forbidden', `activity ${activityId} belongs to another requestor`)
  }
}
