// `/agora/activity/1`: the requester's daemon carries Activity API calls to the
// provider's daemon, whose exe-unit does the work. One request, one answer;
// long polls (results, events) wait on the provider within the caller's budget.
// A destroy is not one of them: the provider must receive it, so it travels
// through the activity outbox (activity-messages.ts).
import Type from 'typebox'
import type { Static } from 'typebox'
import { defineProtocol } from '../../net/index.ts'

export const ActivityId = Type.String({ pattern: '^[A-Za-z0-9_-]{1,128}$' })
const BatchId = Type.String({ pattern: '^[A-Za-z0-9_-]{1,128}$' })
export const AgreementId = Type.String({ pattern: '^[0-9a-f]{64}$' })
/** How long the provider may hold a long poll, in ms. */
const WaitMs = Type.Integer({ minimum: 0, maximum: 300_000 })

export const ActivityRequest = Type.Union([
  Type.Object({ op: Type.Literal('create'), agreementId: AgreementId }, { additionalProperties: false }),
  Type.Object({ op: Type.Literal('exec'), activityId: ActivityId, text: Type.String({ maxLength: 256 * 1024 }) }, { additionalProperties: false }),
  /** The first page of a batch's results, after the wait; its answer is a ResultPage. */
  Type.Object(
    {
      op: Type.Literal('results'),
      activityId: ActivityId,
      batchId: BatchId,
      commandIndex: Type.Optional(Type.Integer({ minimum: 0 })),
      waitMs: WaitMs
    },
    { additionalProperties: false }
  ),
  /** A later page of the snapshot a `results` answer fixed (its `count`), from byte `offset`. */
  Type.Object(
    {
      op: Type.Literal('resultsPage'),
      activityId: ActivityId,
      batchId: BatchId,
      count: Type.Integer({ minimum: 0 }),
      offset: Type.Integer({ minimum: 0 })
    },
    { additionalProperties: false }
  ),
  Type.Object(
    { op: Type.Literal('events'), activityId: ActivityId, batchId: BatchId, after: Type.Integer({ minimum: 0 }), waitMs: WaitMs },
    { additionalProperties: false }
  ),
  Type.Object({ op: Type.Literal('state'), activityId: ActivityId }, { additionalProperties: false }),
  Type.Object({ op: Type.Literal('usage'), activityId: ActivityId }, { additionalProperties: false }),
  Type.Object({ op: Type.Literal('running'), activityId: ActivityId }, { additionalProperties: false })
])
export type ActivityRequest = Static<typeof ActivityRequest>
export type ActivityOp = ActivityRequest['op']

// Answers are checked by shape here and field by field by the REST schemas
// that serve them; the provider is a party to the agreement, not a stranger.
export const ActivityResponse = Type.Object(
  {
    value: Type.Unknown()
  },
  { additionalProperties: false }
)

export const ACTIVITY_PROTOCOL = defineProtocol({
  name: '/agora/activity/1',
  request: ActivityRequest,
  response: ActivityResponse,
  maxRequestBytes: 300 * 1024,
  // Results travel in pages and events in collections of at most about 2 MiB: a yamux stream resets
  // when more than 4 MiB wait unread, so answers stay well below that whatever this frame bound says.
  maxResponseBytes: 8 * 1024 * 1024,
  timeoutMs: 310_000,
  // Batches, results and debit-note events are small next to a relay's budget
  // (DEFAULT_RELAY_LIMITS): a job runs between nodes that cannot punch through.
  overRelay: true
})
