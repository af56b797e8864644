// What the exe-unit keeps of each activity across restarts: who it is for, its
// last state and its last usage (payments price debit notes and invoices by
// it). Kept in the exe-unit's slice of the daemon's LevelDB; usage is written
// periodically and at every state change, and synced to disk at the end.
import Type from 'typebox'
import type { Static } from 'typebox'
import { loadEach, validator } from '../../net/index.ts'
import type { BadRecord, RawRecordStore } from '../../net/index.ts'

/** The exe-unit's slice of the daemon's store (string keys, JSON values; raw text for loading). */
export type RecordStore = RawRecordStore & {
  put: (key: string, value: unknown, options?: { sync?: boolean }) => Promise<void>
}

/** The states an activity can be in, as activity-api.yaml names them. */
export const ActivityStateName = Type.Union([
  Type.Literal('New'),
  Type.Literal('Initialized'),
  Type.Literal('Deployed'),
  Type.Literal('Ready'),
  Type.Literal('Unresponsive'),
  Type.Literal('Terminated')
])

export const StoredActivity = Type.Object({
  activityId: Type.String({ minLength: 1, maxLength: 128 }),
  agreementId: Type.String({ minLength: 1 }),
  requesterId: Type.String({ minLength: 1 }),
  runtime: Type.String(),
  createdAt: Type.String(),
  state: Type.Object({
    state: Type.Tuple([ActivityStateName, Type.Union([ActivityStateName, Type.Null()])]),
    reason: Type.Optional(Type.String()),
    errorMessage: Type.Optional(Type.String())
  }),
  counters: Type.Record(Type.String(), Type.Number()),
  usage: Type.Object({ currentUsage: Type.Array(Type.Number()), timestamp: Type.Number() })
})
export type StoredActivity = Static<typeof StoredActivity>

export const storedActivity = validator(StoredActivity, 'stored activity')

export const ACTIVITY_PREFIX = 'activity:'

export function activityKey(activityId: string): string {
  return `${ACTIVITY_PREFIX}${activityId}`
}

/** Every readable stored record; a bad one is set aside (quarantined) and reported. */
export async function loadActivities(store: RecordStore, onBad: (bad: BadRecord) => void): Promise<StoredActivity[]> {
  const loaded = await loadEach({ store, range: { gte: ACTIVITY_PREFIX, lt: 'activity;' }, parse: value => storedActivity.parse(value), onBad })
  // Node ids are lowercase inside; records of earlier versions hold the checksum form.
  return loaded.map(({ record }) => ({ ...record, requesterId: record.requesterId.toLowerCase() }))
}
