// What a requester tells a provider that the provider must receive — today the
// destroy of an activity — goes through the activity module's durable outbox
// (net/outbox, `/agora/activity/outbox/1`): signed by the requester, written
// before the REST call is answered, delivered until the provider acknowledges
// it, whenever it is reachable again, and handled once however often it comes.
import Type from 'typebox'
import type { Static } from 'typebox'
import { Outbox, outboxProtocol } from '../../net/index.ts'
import type { Clock, Outbox as OutboxType, OutboxDb, OutboxHost, OutboxLogger } from '../../net/index.ts'
import { ActivityId, AgreementId } from './activity-protocol.ts'

export const ACTIVITY_MESSAGES = {
  destroy: 'activity.destroy'
} as const

/** The envelope type of a requester's signed destroy. */
export const DESTROY_ENVELOPE_TYPE = 'activity.destroy'

/** No timestamp: the same destroy is the same message, so asking twice queues it once. */
export const DestroyPayload = Type.Object({ activityId: ActivityId, agreementId: AgreementId }, { additionalProperties: false })
export type DestroyPayload = Static<typeof DestroyPayload>

/** The activity module's outbox (a net Outbox, whose events tests and logs follow). */
export type ActivityOutbox = OutboxType

export interface ActivityOutboxOptions {
  host: OutboxHost
  /** The activity module's sublevel: the outbox writes under `outbox:` there. */
  db: OutboxDb
  logger?: OutboxLogger
  clock?: Clock
}

export const ACTIVITY_OUTBOX_PROTOCOL = outboxProtocol('activity')

export function activityOutbox(options: ActivityOutboxOptions): Outbox {
  return new Outbox({ owner: 'activity', ...options })
}

/** Codes that no retry changes: the message is refused for good and dropped by its sender. */
export const ACTIVITY_FINAL_CODES: ReadonlySet<string> = new Set(['BadRequest', 'NotFound', 'Forbidden', 'Gone'])
