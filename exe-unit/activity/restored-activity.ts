// An activity that was live when the provider stopped, or had ended before:
// after a restart it reads Terminated, with its last state and usage, so that
// the requester sees how it ended and payments can still price it.
import { ExeUnitError } from '../errors.ts'
import type { StoredActivity } from './activity-records.ts'
import type { Batch } from './batch.ts'
import type { ActivityState, ActivityUsage, ExeScriptCommandState } from './types.ts'

export const PROVIDER_RESTARTED = 'provider restarted'

export class RestoredActivity {
  readonly id: string
  readonly agreementId: string
  readonly requesterId: string
  readonly runtimeName: string
  readonly createdAt: Date
  readonly terminated = true
  /** It was live when the provider stopped (and ends now). */
  readonly wasLive: boolean
  readonly #record: StoredActivity

  /** A record of a live activity ends here: Terminated, "provider restarted". */
  constructor(record: StoredActivity) {
    const wasLive = record.state.state[0] !== 'Terminated'
    this.wasLive = wasLive
    this.#record = wasLive ? { ...record, state: { state: ['Terminated', null], reason: PROVIDER_RESTARTED } } : record
    this.id = record.activityId
    this.agreementId = record.agreementId
    this.requesterId = record.requesterId
    this.runtimeName = record.runtime
    this.createdAt = new Date(record.createdAt)
  }

  get record(): StoredActivity {
    return this.#record
  }

  state(): ActivityState {
    return structuredClone(this.#record.state)
  }

  async usageReport(): Promise<{ counters: Record<string, number>; usage: ActivityUsage }> {
    return { counters: { ...this.#record.counters }, usage: structuredClone(this.#record.usage) }
  }

  runningCommand(): ExeScriptCommandState[] {
    return []
  }

  batch(batchId: string): Batch {
    throw new ExeUnitError('NotFound', `activity ${this.id} has no batch ${batchId}: batch results do not outlive a provider restart`)
  }

  exec(): Batch {
    throw new ExeUnitError('Conflict', `activity ${this.id} is terminated`)
  }

  async destroy(): Promise<void> {}
}
