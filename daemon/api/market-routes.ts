// Market API v1 (ya-client market-api.yaml) over the Market facade. Paths,
// field names, states and status codes as the spec says; schemas validate the
// input and document the API at once.
import Type from 'typebox'
import type { TypeBoxProvider } from './type-provider.ts'
import type { FastifyInstance, FastifyPluginAsync, FastifyReply } from 'fastify'
// MarketErrors reach the client with their status through the API's error
// handler (errors.ts), so handlers just let them fly. Schema defaults (ajv
// useDefaults) are the one place optional query and body fields get theirs.
import { type Market, MarketApi, SCAN_LIMITS, TERMS_LIMITS } from '../../market/index.ts'
import type { Reason } from '../../market/index.ts'
import { ID_PATTERN } from '../../market/model/wire.ts'
import { clientGone } from './client-gone.ts'

const MarketId = Type.String({ pattern: ID_PATTERN })
const SubscriptionParams = Type.Object({ subscriptionId: MarketId })
const ProposalParams = Type.Object({ subscriptionId: MarketId, proposalId: MarketId })
const AgreementParams = Type.Object({ agreementId: MarketId })
// Defaults, named once: the schemas document them (and ajv fills them in),
// and the handlers' types, which cannot see a schema default, fall back to them.
const DEFAULT_WAIT_S = 5
const DEFAULT_MAX_EVENTS = 10
const DEFAULT_SCAN_TIMEOUT_S = 30
const PollFields = {
  timeout: Type.Optional(Type.Number({ minimum: 0, default: DEFAULT_WAIT_S, description: 'seconds to wait for the first event' })),
  maxEvents: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: DEFAULT_MAX_EVENTS }))
}
const PollQuery = Type.Object(PollFields)
const AckQuery = Type.Object({
  timeout: Type.Optional(Type.Number({ minimum: 0, default: DEFAULT_WAIT_S, description: 'seconds to wait; 0 waits as long as the server allows' })),
  appSessionId: Type.Optional(Type.String({ maxLength: 256 }))
})
const IdResponse = Type.String({ description: 'id' })
const ReasonBody = Type.Union([MarketApi.Reason, Type.Null()])

/** The server caps every wait, so a forgotten client cannot hold a request forever. */
const MAX_WAIT_MS = 5 * 60_000
/** Poll timeouts: 0 answers at once. */
function pollMs(seconds = DEFAULT_WAIT_S): number {
  return Math.min(MAX_WAIT_MS, Math.round(seconds * 1000))
}
/** Ack timeouts: 0 waits for the other party as long as the server allows. */
function ackMs(seconds = DEFAULT_WAIT_S): number {
  return seconds === 0 ? MAX_WAIT_MS : Math.min(MAX_WAIT_MS, Math.round(seconds * 1000))
}

function sendId(reply: FastifyReply, id: string): FastifyReply {
  return reply.code(201).type('application/json').send(JSON.stringify(id))
}

function reasonOf(body: unknown): Reason | undefined {
  return body === null || body === undefined ? undefined : (body as Reason)
}

export function marketRoutes(market: Market): FastifyPluginAsync {
  return async (instance: FastifyInstance) => {
    // Handlers see their request typed from the route's schemas.
    const app = instance.withTypeProvider<TypeBoxProvider>()
    for (const kind of ['offer', 'demand'] as const) {
      const path = `/${kind}s`
      const tags = [kind === 'offer' ? 'provider' : 'requestor']
      const item = kind === 'offer' ? MarketApi.Offer : MarketApi.Demand

      app.post(path, { schema: { tags, body: MarketApi.DemandOfferBase, response: { 201: IdResponse } } }, async (request, reply) => {
        return sendId(reply, await market.subscribe(kind, request.body))
      })
      app.get(path, { schema: { tags, response: { 200: Type.Array(item) } } }, async () => {
        return kind === 'offer' ? market.subscriptions('offer') : market.subscriptions('demand')
      })
      app.delete(`${path}/:subscriptionId`, { schema: { tags, params: SubscriptionParams } }, async (request, reply) => {
        const { subscriptionId } = request.params
        await market.unsubscribe(kind, subscriptionId)
        return reply.code(204).send()
      })
      app.get(
        `${path}/:subscriptionId/events`,
        { schema: { tags, params: SubscriptionParams, querystring: PollQuery, response: { 200: Type.Array(MarketApi.MarketEvent) } } },
        async (request, reply) => {
          const { subscriptionId } = request.params
          const query = request.query
          return await market.collect(kind, subscriptionId, pollMs(query.timeout), query.maxEvents ?? DEFAULT_MAX_EVENTS, clientGone(reply))
        }
      )
      app.get(
        `${path}/:subscriptionId/proposals/:proposalId`,
        { schema: { tags, params: ProposalParams, response: { 200: MarketApi.Proposal } } },
        async request => {
          const { subscriptionId, proposalId } = request.params
          return market.getProposal(kind, subscriptionId, proposalId)
        }
      )
      app.post(
        `${path}/:subscriptionId/proposals/:proposalId`,
        { schema: { tags, params: ProposalParams, body: MarketApi.DemandOfferBase, response: { 201: IdResponse } } },
        async (request, reply) => {
          const { subscriptionId, proposalId } = request.params
          return sendId(reply, await market.counterProposal(kind, subscriptionId, proposalId, request.body))
        }
      )
      app.post(
        `${path}/:subscriptionId/proposals/:proposalId/reject`,
        { schema: { tags, params: ProposalParams, body: ReasonBody } },
        async (request, reply) => {
          const { subscriptionId, proposalId } = request.params
          await market.rejectProposal(kind, subscriptionId, proposalId, reasonOf(request.body))
          return reply.code(204).send()
        }
      )
    }

    app.post(
      '/agreements',
      {
        schema: {
          tags: ['requestor'],
          body: Type.Object({ proposalId: MarketId, validTo: Type.String({ format: 'date-time', maxLength: 40 }) }, { additionalProperties: false }),
          response: { 201: IdResponse }
        }
      },
      async (request, reply) => {
        const body = request.body
        return sendId(reply, await market.createAgreement(body.proposalId, body.validTo))
      }
    )
    app.get(
      '/agreements',
      {
        schema: {
          tags: ['requestor', 'provider'],
          querystring: Type.Object({
            state: Type.Optional(MarketApi.AgreementState),
            afterDate: Type.Optional(Type.String({ format: 'date-time' })),
            beforeDate: Type.Optional(Type.String({ format: 'date-time' })),
            appSessionId: Type.Optional(Type.String())
          }),
          response: { 200: Type.Array(MarketApi.AgreementListEntry) }
        }
      },
      async request => market.listAgreements(request.query)
    )
    app.get(
      '/agreements/:agreementId',
      { schema: { tags: ['requestor', 'provider'], params: AgreementParams, response: { 200: MarketApi.Agreement } } },
      async request => {
        return market.getAgreement(request.params.agreementId)
      }
    )
    app.post(
      '/agreements/:agreementId/confirm',
      { schema: { tags: ['requestor'], params: AgreementParams, querystring: AckQuery } },
      async (request, reply) => {
        const { agreementId } = request.params
        await market.confirmAgreement(agreementId, request.query.appSessionId)
        return reply.code(204).send()
      }
    )
    app.post('/agreements/:agreementId/wait', { schema: { tags: ['requestor'], params: AgreementParams, querystring: AckQuery } }, async (request, reply) => {
      const { agreementId } = request.params
      await market.waitForApproval(agreementId, ackMs(request.query.timeout), clientGone(reply))
      return reply.code(204).send()
    })
    app.post('/agreements/:agreementId/cancel', { schema: { tags: ['requestor'], params: AgreementParams, body: ReasonBody } }, async (request, reply) => {
      await market.cancelAgreement(request.params.agreementId, reasonOf(request.body))
      return reply.code(204).send()
    })
    app.post('/agreements/:agreementId/approve', { schema: { tags: ['provider'], params: AgreementParams, querystring: AckQuery } }, async (request, reply) => {
      const { agreementId } = request.params
      const query = request.query
      await market.approveAgreement(agreementId, query.appSessionId, ackMs(query.timeout))
      return reply.code(204).send()
    })
    app.post('/agreements/:agreementId/reject', { schema: { tags: ['provider'], params: AgreementParams, body: ReasonBody } }, async (request, reply) => {
      await market.rejectAgreement(request.params.agreementId, reasonOf(request.body))
      return reply.code(204).send()
    })
    app.post(
      '/agreements/:agreementId/terminate',
      { schema: { tags: ['provider', 'requestor'], params: AgreementParams, body: ReasonBody } },
      async (request, reply) => {
        await market.terminateAgreement(request.params.agreementId, reasonOf(request.body))
        return reply.code(204).send()
      }
    )
    app.post(
      '/agreements/:agreementId/terminate/reason',
      { schema: { tags: ['provider', 'requestor'], params: AgreementParams, response: { 200: MarketApi.AgreementOperationEvent } } },
      async request => {
        return market.terminationReason(request.params.agreementId)
      }
    )
    app.get(
      '/agreementEvents',
      {
        schema: {
          tags: ['requestor', 'provider'],
          querystring: Type.Object({
            ...PollFields,
            afterTimestamp: Type.Optional(Type.String({ format: 'date-time' })),
            appSessionId: Type.Optional(Type.String())
          }),
          response: { 200: Type.Array(MarketApi.AgreementOperationEvent) }
        }
      },
      async (request, reply) => {
        const query = request.query
        const options: Parameters<Market['collectAgreementEvents']>[0] = {
          maxEvents: query.maxEvents ?? DEFAULT_MAX_EVENTS,
          timeoutMs: pollMs(query.timeout),
          signal: clientGone(reply)
        }
        if (query.afterTimestamp !== undefined) options.afterTimestamp = query.afterTimestamp
        if (query.appSessionId !== undefined) options.appSessionId = query.appSessionId
        return await market.collectAgreementEvents(options)
      }
    )

    app.post(
      '/scan',
      {
        schema: {
          tags: ['requestor'],
          body: Type.Object(
            {
              type: Type.Union([Type.Literal('offer'), Type.Literal('demand')]),
              constraints: Type.Optional(Type.String({ maxLength: TERMS_LIMITS.maxConstraintLength })),
              // Not in the spec's NewScan: golem-js sends its scan as a demand body, with no properties.
              properties: Type.Optional(Type.Object({}, { additionalProperties: false, description: 'must be empty if present' })),
              timeout: Type.Optional(
                Type.Integer({
                  minimum: 1,
                  maximum: SCAN_LIMITS.maxTimeoutMs / 1000,
                  default: DEFAULT_SCAN_TIMEOUT_S,
                  description: 'seconds an unread iterator lives'
                })
              )
            },
            { additionalProperties: false }
          ),
          response: { 201: IdResponse }
        }
      },
      async (request, reply) => {
        const body = request.body
        return sendId(reply, market.beginScan(body.type, body.constraints, (body.timeout ?? DEFAULT_SCAN_TIMEOUT_S) * 1000, request.appKey?.id ?? ''))
      }
    )
    app.get(
      '/scan/:subscriptionId/events',
      {
        schema: { tags: ['requestor'], params: SubscriptionParams, querystring: Type.Object({ ...PollFields, peerId: Type.Optional(Type.String()) }) }
      },
      async (request, reply) => {
        const { subscriptionId } = request.params
        const query = request.query
        const options: Parameters<Market['collectScan']>[1] = {
          waitMs: pollMs(query.timeout),
          max: query.maxEvents ?? DEFAULT_MAX_EVENTS,
          signal: clientGone(reply)
        }
        if (query.peerId !== undefined) options.peerId = query.peerId
        return await market.collectScan(subscriptionId, options)
      }
    )
    app.delete('/scan/:subscriptionId', { schema: { tags: ['requestor'], params: SubscriptionParams } }, async (request, reply) => {
      market.endScan(request.params.subscriptionId)
      return reply.code(201).send()
    })
  }
}
