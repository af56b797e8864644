// The aggregator's REST face on the requester's daemon, under
// /agora-api/v1/custody: open a secure-aggregation session over some owners,
// and read it (a long poll until it is Done or Failed).
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import Type from 'typebox'
import { MAX_PARTICIPANTS, MAX_VECTOR_LENGTH } from '../../custody/index.ts'
import type { SecaggAggregator } from '../../custody/index.ts'
import { NodeIdText } from '../../net/index.ts'
import { clientGone } from '../api/client-gone.ts'
import { errorResponses } from '../api/schemas.ts'
import type { TypeBoxProvider } from '../api/type-provider.ts'

/** The longest a read waits for the session to end. */
const MAX_WAIT_S = 300

const SessionId = Type.String({ pattern: '^[0-9a-f]{32}$', description: 'the session id (32 hex digits)' })

export const SecaggSessionRequest = Type.Object(
  {
    participants: Type.Array(NodeIdText, { minItems: 2, maxItems: MAX_PARTICIPANTS, description: "the owners' node ids" }),
    threshold: Type.Integer({ minimum: 2, maximum: MAX_PARTICIPANTS, description: 'the fewest owners who must finish each round (a majority at least)' }),
    length: Type.Integer({ minimum: 1, maximum: MAX_VECTOR_LENGTH, description: 'values in each owner’s vector' }),
    fractionalBits: Type.Optional(Type.Integer({ minimum: 0, maximum: 32, description: 'fixed-point fractional bits (default 16)' })),
    roundTimeoutMs: Type.Optional(Type.Integer({ minimum: 1_000, maximum: 600_000, description: 'how long each round waits for the owners (default 60000)' }))
  },
  { additionalProperties: false, description: 'A secure aggregation session to open' }
)

const SessionCreated = Type.Object(
  {
    sessionId: SessionId,
    url: Type.String({ description: 'agora-secagg:<aggregator node id>/<session id>: the transfer target of the owners’ partials' })
  },
  { description: 'The session opened' }
)

export const SecaggSession = Type.Object(
  {
    sessionId: SessionId,
    state: Type.Union([Type.Literal('Open'), Type.Literal('Done'), Type.Literal('Failed')]),
    survivors: Type.Array(Type.String(), { description: 'the owners whose inputs are in the sum' }),
    dropped: Type.Array(Type.String(), { description: 'the participants whose inputs are not' }),
    sum: Type.Optional(Type.Array(Type.Number(), { description: 'the sum, decoded (Done only)' })),
    sumFixed: Type.Optional(Type.Array(Type.String(), { description: 'the exact sum in units of 2^-fractionalBits, decimal integers (Done only)' })),
    fractionalBits: Type.Integer(),
    error: Type.Optional(Type.String({ description: 'why the session failed (Failed only)' }))
  },
  { description: 'A secure aggregation session' }
)

export function secaggRoutes(aggregator: () => SecaggAggregator): FastifyPluginAsync {
  return async (instance: FastifyInstance) => {
    const app = instance.withTypeProvider<TypeBoxProvider>()
    app.post(
      '/secagg/sessions',
      {
        schema: {
          operationId: 'createSecaggSession',
          tags: ['requestor'],
          body: SecaggSessionRequest,
          response: { 201: SessionCreated, ...errorResponses(503) }
        }
      },
      async (request, reply) => {
        const created = aggregator().create(request.body)
        return await reply.code(201).send(created)
      }
    )
    app.get(
      '/secagg/sessions/:sessionId',
      {
        schema: {
          operationId: 'getSecaggSession',
          tags: ['requestor'],
          params: Type.Object({ sessionId: SessionId }),
          querystring: Type.Object({
            timeout: Type.Optional(Type.Number({ minimum: 0, description: `seconds to wait for the session to end (at most ${MAX_WAIT_S}; default 0)` }))
          }),
          response: { 200: SecaggSession, ...errorResponses(404) }
        }
      },
      async (request, reply) => {
        const waitMs = Math.round(Math.min(MAX_WAIT_S, request.query.timeout ?? 0) * 1000)
        return await aggregator().view(request.params.sessionId, waitMs, clientGone(reply))
      }
    )
  }
}
