// The Activity API's request and response schemas (ya-client activity-api.yaml),
// named and shaped as the spec names them, and the error statuses each route can answer.
import Type from 'typebox'
import { ActivityStateName } from '../../exe-unit/index.ts'
import { ErrorMessage, errorResponses } from './schemas.ts'

export const Id = Type.String({ pattern: '^[A-Za-z0-9_-]{1,128}$' })
export const ActivityParams = Type.Object({ activityId: Id })
export const BatchParams = Type.Object({ activityId: Id, batchId: Id })

const AgreementId = Type.String({ pattern: '^[0-9a-f]{64}$', description: 'agreement id' })
export const CreateActivityRequest = Type.Object(
  { agreementId: AgreementId, requestorPubKey: Type.Optional(Type.String({ maxLength: 256 })) },
  { additionalProperties: false }
)
export const CreateBody = Type.Union([AgreementId, CreateActivityRequest])

const SgxCredentials = Type.Object({
  enclavePubKey: Type.String(),
  requestorPubKey: Type.String(),
  payloadHash: Type.String(),
  iasReport: Type.String(),
  iasSig: Type.String()
})
/** Agora's exe-units run no SGX enclaves, so credentials are never sent; the field is the spec's. */
const CreateActivityResult = Type.Object({ activityId: Type.String(), credentials: Type.Optional(Type.Object({ sgx: SgxCredentials })) })
export const CreateResponse = Type.Union([Type.String({ description: 'activity id (when asked with the agreement id as a string)' }), CreateActivityResult])

/** The most a caller may ask an acknowledgement to take (the activity protocol's own bound is a little longer). */
export const MAX_ACK_SECONDS = 300
/** common.yaml ackTimeout: seconds to wait for the provider's acknowledgement; 0 waits as long as the daemon allows. */
export const AckQuery = Type.Object({
  timeout: Type.Optional(
    Type.Number({
      minimum: 0,
      maximum: MAX_ACK_SECONDS,
      description: `seconds to wait for the provider's acknowledgement; 0 waits up to ${MAX_ACK_SECONDS} s; absent, 15 s`
    })
  )
})

export const ResultsQuery = Type.Object({
  commandIndex: Type.Optional(Type.Integer({ minimum: 0 })),
  timeout: Type.Optional(Type.Number({ minimum: 0, description: 'seconds to wait (common.yaml pollTimeout)' })),
  pollTimeout: Type.Optional(Type.Number({ minimum: 0, description: 'seconds to wait (alias of timeout)' }))
})
/** Sent by an EventSource when it reconnects: the stream resumes after that event. */
export const StreamHeaders = Type.Object({ 'last-event-id': Type.Optional(Type.String({ pattern: '^[0-9]{1,9}$' })) })

export const ExeScriptRequest = Type.Object({ text: Type.String({ maxLength: 256 * 1024 }) }, { additionalProperties: false })
export const BatchId = Type.String({ description: 'batch id', example: 'batchId' })
/** An answer with no body (the spec's `content: {}`); `type: 'null'` keeps a media type out of the document. */
export const NoBody = { type: 'null', description: 'Success' }
export const AgreementIdAnswer = Type.String({ description: 'Agreement Id' })

export const ActivityState = Type.Object({
  state: Type.Array(Type.Union([ActivityStateName, Type.Null()]), { minItems: 2, maxItems: 2 }),
  reason: Type.Optional(Type.String()),
  errorMessage: Type.Optional(Type.String())
})
export const ActivityUsage = Type.Object({ currentUsage: Type.Array(Type.Number()), timestamp: Type.Integer() })
export const ExeScriptCommandResult = Type.Object({
  index: Type.Integer({ minimum: 0 }),
  eventDate: Type.String({ format: 'date-time' }),
  result: Type.Union([Type.Literal('Ok'), Type.Literal('Error')]),
  stdout: Type.Optional(Type.String()),
  stderr: Type.Optional(Type.String()),
  message: Type.Optional(Type.String()),
  isBatchFinished: Type.Boolean()
})
export const ExeScriptCommandState = Type.Object({
  batchId: Type.String(),
  command: Type.String(),
  progress: Type.Optional(Type.String()),
  params: Type.Optional(Type.Array(Type.String()))
})

export const ProviderEvent = Type.Object({
  eventType: Type.Union([Type.Literal('CreateActivity'), Type.Literal('DestroyActivity')]),
  eventDate: Type.String({ format: 'date-time' }),
  activityId: Type.String(),
  agreementId: Type.String()
})
export const EventsQuery = Type.Object({
  afterTimestamp: Type.Optional(Type.String({ format: 'date-time' })),
  timeout: Type.Optional(Type.Number({ minimum: 0, description: 'seconds to wait (common.yaml pollTimeout)' })),
  pollTimeout: Type.Optional(Type.Number({ minimum: 0, description: 'seconds to wait (alias of timeout)' })),
  maxEvents: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  appSessionId: Type.Optional(Type.String())
})

const described = (description: string): typeof ErrorMessage => Type.Object(ErrorMessage.properties, { description })
/** A call that travels to the provider may also fail on the way there or on its side. */
const providerFaults = {
  502: described('(502) The provider could not be reached, or failed on its side.'),
  503: described('(503) The provider cannot serve this now (busy, at capacity, a runtime gone).'),
  504: described('(504) The provider did not answer in time.')
}
/** The statuses a route answers beyond 400, 401 and 500 (documented on every route). */
export const activityErrors = {
  create: { ...errorResponses(403, 404, 408, 409), ...providerFaults },
  destroy: { ...errorResponses(403, 404, 408), ...providerFaults },
  exec: { ...errorResponses(403, 404, 409), ...providerFaults, 507: described('(507) The storage the agreement grants is full.') },
  results: { ...errorResponses(403, 404, 408), ...providerFaults, 413: described('(413) The results are larger than this daemon assembles.') },
  watch: { ...errorResponses(404), ...providerFaults }
}
