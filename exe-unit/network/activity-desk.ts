// The Activity API as one node answers it. Activities this node rents (as the
// requestor) are controlled through their provider; activities this node runs
// (as the provider) can be watched locally: state, usage, running command.
import type { ActivityState, ActivityUsage, ExeScriptCommandResult, ExeScriptCommandState } from '../activity/types.ts'
import { ExeUnitError } from '../errors.ts'
import type { ExeUnit } from '../exe-unit.ts'
import { ActivityCallError } from './activity-client.ts'
import type { ActivityClient, RequesterActivity } from './activity-client.ts'
import type { BatchEvents } from './batch-events.ts'
import { BatchLog, commandNames } from './batch-log.ts'
import type { SentBatch } from './batch-log.ts'
import type { ProviderEvent, ProviderEventLog } from './provider-events.ts'

export class ActivityDesk {
  readonly #client: ActivityClient
  readonly #exeUnit: ExeUnit
  readonly #providerEvents: ProviderEventLog
  readonly #sent = new BatchLog()

  readonly #now: () => number

  /** `now`: the time a sent batch is stamped with (ms since the epoch). */
  constructor(client: ActivityClient, exeUnit: ExeUnit, providerEvents: ProviderEventLog, now: () => number = Date.now) {
    this.#now = now
    this.#client = client
    this.#exeUnit = exeUnit
    this.#providerEvents = providerEvents
  }

  /** As a provider: activities created and destroyed on this node's exe-unit. */
  async providerEvents(afterMs: number, maxEvents: number, timeoutMs: number, signal?: AbortSignal): Promise<ProviderEvent[]> {
    return await this.#providerEvents.collect(afterMs, maxEvents, timeoutMs, signal)
  }

  /** `ackMs`: how long the provider's acknowledgement may take (absent: the client's default). */
  async create(agreementId: string, ackMs?: number): Promise<string> {
    return await this.#client.create(agreementId, ackMs)
  }
  async destroy(activityId: string, ackMs?: number): Promise<void> {
    await this.#client.destroy(await this.#controlled(activityId), ackMs)
  }
  async exec(activityId: string, text: string): Promise<string> {
    const batchId = await this.#client.exec(await this.#controlled(activityId), text)
    this.#sent.add(activityId, { batchId, sentAt: this.#now(), commands: commandNames(text) })
    return batchId
  }

  /** The batches this node sent to an activity it rents (since the daemon started), oldest first. */
  async batches(activityId: string): Promise<SentBatch[]> {
    await this.#controlled(activityId)
    return this.#sent.of(activityId)
  }

  async results(activityId: string, batchId: string, waitMs: number, commandIndex?: number, signal?: AbortSignal): Promise<ExeScriptCommandResult[]> {
    return await this.#client.results(await this.#controlled(activityId), batchId, waitMs, commandIndex, signal)
  }

  async events(activityId: string, batchId: string, after: number, waitMs: number, signal?: AbortSignal): Promise<BatchEvents> {
    return await this.#client.events(await this.#controlled(activityId), batchId, after, waitMs, signal)
  }

  async state(activityId: string): Promise<ActivityState> {
    return await this.#either(
      activityId,
      record => this.#client.state(record),
      exeUnit => exeUnit.getState(activityId)
    )
  }

  async usage(activityId: string): Promise<ActivityUsage> {
    return await this.#either(
      activityId,
      record => this.#client.usage(record),
      async exeUnit => await exeUnit.getUsage(activityId)
    )
  }

  async running(activityId: string): Promise<ExeScriptCommandState[]> {
    return await this.#either(
      activityId,
      record => this.#client.running(record),
      exeUnit => exeUnit.runningCommand(activityId)
    )
  }

  async agreementOf(activityId: string): Promise<string> {
    return await this.#either(
      activityId,
      async record => record.agreementId,
      exeUnit => exeUnit.getActivity(activityId).agreementId
    )
  }

  /** An activity this node rents. One it only runs, for another requestor, is there but not its to control. */
  async #controlled(activityId: string): Promise<RequesterActivity> {
    try {
      return await this.#client.activity(activityId)
    } catch (err) {
      if (err instanceof ActivityCallError && err.code === 'NotFound' && this.#runsHere(activityId)) {
        throw new ActivityCallError('Forbidden', `activity ${activityId} runs on this node for another requestor: only its requestor controls it`)
      }
      throw err
    }
  }

  #runsHere(activityId: string): boolean {
    try {
      this.#exeUnit.getActivity(activityId)
      return true
    } catch (err) {
      if (err instanceof ExeUnitError && err.code === 'NotFound') return false
      throw err
    }
  }

  /** As the requestor when this node rents the activity, else as its provider. */
  async #either<T>(activityId: string, remote: (record: RequesterActivity) => Promise<T>, local: (exeUnit: ExeUnit) => T | Promise<T>): Promise<T> {
    let record: RequesterActivity
    try {
      record = await this.#client.activity(activityId)
    } catch (err) {
      if (!(err instanceof ActivityCallError) || err.code !== 'NotFound') throw err
      try {
        return await local(this.#exeUnit)
      } catch (localErr) {
        if (localErr instanceof ExeUnitError && localErr.code === 'NotFound') throw err
        throw localErr
      }
    }
    return await remote(record)
  }
}
