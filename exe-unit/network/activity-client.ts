// The requester's side of `/agora/activity/1`: Activity API calls made on this
// daemon go to the provider of the activity's agreement. Which provider runs
// which activity is kept in this node's store, so a restart loses no activity.
import { CodedError, NetError, RemoteError, deadlineSignal, signEnvelope, validator } from '../../net/index.ts'
import type { ErrorCode, NetHost, NodeId, StoreOp } from '../../net/index.ts'
import type { ActivityState, ActivityUsage, ExeScriptCommandResult, ExeScriptCommandState } from '../activity/types.ts'
import { ACTIVITY_MESSAGES, DESTROY_ENVELOPE_TYPE } from './activity-messages.ts'
import type { ActivityOutbox, DestroyPayload } from './activity-messages.ts'
import { ACTIVITY_PROTOCOL } from './activity-protocol.ts'
import type { ActivityRequest } from './activity-protocol.ts'
import type { AgreementLookup } from './agreement-access.ts'
import type { BatchEvents } from './batch-events.ts'
import { ResultPage } from './result-pages.ts'

/** Whatever the provider may answer (RemoteError already reads a code no peer should send as Internal). */
export type ActivityCallErrorCode = ErrorCode

/** A failed Activity API call, with the code the REST layer turns into a status. */
export class ActivityCallError extends CodedError<ActivityCallErrorCode> {
  override name = 'ActivityCallError'
}

export interface RequesterActivity {
  activityId: string
  agreementId: string
  providerId: string
  /** Destroyed by us: the provider is told (or will be, once reachable); no more work is sent. */
  destroyed?: true
}

/** Where the requester keeps its activities: the activity module's sublevel. */
export interface ActivityRecords {
  get: (key: string) => Promise<unknown>
  put: (key: string, value: unknown, options?: { sync?: boolean }) => Promise<void>
}

/** Time for the provider's answer to travel back, on top of its own wait. */
const TRANSIT_MS = 15_000
/** Largest batch results assembled from pages (a JavaScript string holds at most about 512 MiB). */
const MAX_RESULTS_BYTES = 256 * 1024 * 1024
const resultPage = validator(ResultPage, 'results page')

export class ActivityClient {
  readonly #net: NetHost
  readonly #records: ActivityRecords
  readonly #agreements: AgreementLookup
  readonly #outbox: Pick<ActivityOutbox, 'enqueue' | 'settled'>

  /** `outbox` keeps its messages in `records` (the same sublevel), so a record and a message are one batch. */
  constructor(net: NetHost, records: ActivityRecords, agreements: AgreementLookup, outbox: Pick<ActivityOutbox, 'enqueue' | 'settled'>) {
    this.#net = net
    this.#records = records
    this.#agreements = agreements
    this.#outbox = outbox
  }

  /** `ackMs`: how long the provider's acknowledgement may take, transit included (absent: its wait plus TRANSIT_MS). */
  async create(agreementId: string, ackMs?: number): Promise<string> {
    const agreement = this.#agreements(agreementId)
    if (agreement === undefined || agreement.role !== 'Requestor')
      throw new ActivityCallError('NotFound', `no agreement ${agreementId} where this node is the requestor`)
    if (agreement.state !== 'Approved') throw new ActivityCallError('Conflict', `agreement ${agreementId} is ${agreement.state}, not Approved`)
    const activityId = (await this.#send(agreement.providerId, { op: 'create', agreementId }, 0, undefined, ackMs)) as string
    const record: RequesterActivity = { activityId, agreementId, providerId: agreement.providerId }
    await this.#records.put(`activity:${activityId}`, record, { sync: true })
    await this.#records.put(`provider:${agreement.providerId.toLowerCase()}`, true)
    return activityId
  }

  /** Whether `nodeId` runs (or ran) an activity of ours: it may exchange files with us. */
  async isProviderOfOurs(nodeId: string): Promise<boolean> {
    return (await this.#records.get(`provider:${nodeId.toLowerCase()}`)) === true
  }

  async activity(activityId: string): Promise<RequesterActivity> {
    const record = (await this.#records.get(`activity:${activityId}`)) as RequesterActivity | undefined
    if (record === undefined) throw new ActivityCallError('NotFound', `no activity ${activityId}`)
    return record
  }

  // The calls below take the activity's record (from activity()), so a caller
  // that has read it already does not read it again.

  /**
   * Marks the activity destroyed and queues the signed destroy for its
   * provider, in one durable batch, then waits up to `ackMs` for the
   * provider's acknowledgement. Throws Timeout when it has not come by then:
   * the destroy stays queued, and reaches the provider once it is reachable.
   */
  async destroy(record: RequesterActivity, ackMs = TRANSIT_MS): Promise<void> {
    const { activityId, agreementId, providerId } = record
    const envelope = signEnvelope(this.#net.key, DESTROY_ENVELOPE_TYPE, { activityId, agreementId } satisfies DestroyPayload)
    const marked: StoreOp = { type: 'put', key: `activity:${activityId}`, value: { ...record, destroyed: true } satisfies RequesterActivity }
    let messageId: string
    try {
      messageId = await this.#outbox.enqueue(providerId as NodeId, ACTIVITY_MESSAGES.destroy, envelope, { alongside: [marked] })
    } catch (err) {
      // Nothing was written (the outbox checks its limits first): the caller may try again.
      if (err instanceof CodedError) throw new ActivityCallError(err.code === 'CapacityExceeded' ? 'Unavailable' : err.code, err.message)
      throw err
    }
    // Delivered, or refused for good (the provider holds no such activity any more): either way it runs no more there.
    if ((await this.#outbox.settled(messageId, ackMs)) !== 'pending') return
    throw new ActivityCallError(
      'Timeout',
      `provider ${providerId} did not answer destroy within ${ackMs} ms; the destroy stays queued and reaches it once it is reachable`
    )
  }

  async exec({ activityId, providerId, destroyed }: RequesterActivity, text: string): Promise<string> {
    if (destroyed === true) throw new ActivityCallError('Conflict', `activity ${activityId} was destroyed`)
    return (await this.#send(providerId, { op: 'exec', activityId, text })) as string
  }

  async results(
    { activityId, providerId }: RequesterActivity,
    batchId: string,
    waitMs: number,
    commandIndex?: number,
    signal?: AbortSignal
  ): Promise<ExeScriptCommandResult[]> {
    const request: ActivityRequest = { op: 'results', activityId, batchId, waitMs }
    if (commandIndex !== undefined) request.commandIndex = commandIndex
    const first = this.#page(await this.#send(providerId, request, waitMs, signal), providerId)
    const { count, totalBytes } = first
    if (totalBytes > MAX_RESULTS_BYTES) {
      throw new ActivityCallError(
        'PayloadTooLarge',
        `the results of batch ${batchId} take ${totalBytes} bytes, more than the ${MAX_RESULTS_BYTES} this node assembles; capture less output`
      )
    }
    const text = Buffer.alloc(totalBytes)
    let filled = 0
    for (
      let page = first;
      ;
      page = this.#page(await this.#send(providerId, { op: 'resultsPage', activityId, batchId, count, offset: filled }, 0, signal), providerId)
    ) {
      const data = Buffer.from(page.data, 'base64')
      if (
        page.count !== count ||
        page.totalBytes !== totalBytes ||
        page.offset !== filled ||
        filled + data.byteLength > totalBytes ||
        (data.byteLength === 0 && filled < totalBytes)
      ) {
        throw new ActivityCallError('Internal', `provider ${providerId} sent an inconsistent results page`)
      }
      data.copy(text, filled)
      filled += data.byteLength
      if (filled === totalBytes) break
    }
    try {
      return JSON.parse(text.toString('utf8')) as ExeScriptCommandResult[]
    } catch {
      throw new ActivityCallError('Internal', `provider ${providerId} sent results that are not JSON`)
    }
  }

  #page(value: unknown, providerId: string): ResultPage {
    if (!resultPage.check(value)) throw new ActivityCallError('Internal', `provider ${providerId} sent a malformed results page`)
    return value
  }

  async events({ activityId, providerId }: RequesterActivity, batchId: string, after: number, waitMs: number, signal?: AbortSignal): Promise<BatchEvents> {
    return (await this.#send(providerId, { op: 'events', activityId, batchId, after, waitMs }, waitMs, signal)) as BatchEvents
  }

  async state({ activityId, providerId }: RequesterActivity): Promise<ActivityState> {
    return (await this.#send(providerId, { op: 'state', activityId })) as ActivityState
  }

  async usage({ activityId, providerId }: RequesterActivity): Promise<ActivityUsage> {
    return (await this.#send(providerId, { op: 'usage', activityId })) as ActivityUsage
  }

  async running({ activityId, providerId }: RequesterActivity): Promise<ExeScriptCommandState[]> {
    return (await this.#send(providerId, { op: 'running', activityId })) as ExeScriptCommandState[]
  }

  async #send(providerId: string, request: ActivityRequest, waitMs = 0, signal?: AbortSignal, budgetMs = waitMs + TRANSIT_MS): Promise<unknown> {
    const budget = deadlineSignal(budgetMs)
    try {
      const answer = await this.#net.request(ACTIVITY_PROTOCOL, providerId as NodeId, request, {
        signal: signal === undefined ? budget.signal : AbortSignal.any([budget.signal, signal])
      })
      return answer.value
    } catch (err) {
      if (budget.signal.aborted && signal?.aborted !== true) {
        throw new ActivityCallError('Timeout', `provider ${providerId} did not answer ${request.op} within ${budgetMs} ms`)
      }
      throw callErrorOf(err, providerId)
    } finally {
      budget.clear()
    }
  }
}

function callErrorOf(err: unknown, providerId: string): ActivityCallError {
  if (err instanceof RemoteError) {
    // This node is the one slowed down, not its caller.
    if (err.code === 'RateLimited') return new ActivityCallError('Unavailable', `provider ${providerId}: ${err.message}`)
    // The provider's fault, not ours: its message carries the provider's reference.
    if (err.code === 'Internal') return new ActivityCallError('PeerInternal', `provider ${providerId}: ${err.message}`)
    return new ActivityCallError(err.code, err.message)
  }
  if (err instanceof NetError) {
    // The caller's own wait (its budget or its going away) ended first.
    if (err.code === 'Aborted') return new ActivityCallError('Timeout', `provider ${providerId}: ${err.message}`)
    return new ActivityCallError(err.code, `provider ${providerId}: ${err.message}`)
  }
  if (err instanceof CodedError) return new ActivityCallError(err.code, err.message)
  return new ActivityCallError('Unavailable', `provider ${providerId}: the request failed`, { cause: err })
}
