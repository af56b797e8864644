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
import { streamScan, wantsEventStream } from './scan-stream.ts'
import { errorResponses, noContent } from './schemas.ts'

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
// Each route takes the query parameters its operation lists in the spec.
const AckTimeoutFields = {
  timeout: Type.Optional(Type.Number({ minimum: 0, default: DEFAULT_WAIT_S, description: 'seconds to wait; 0 waits as long as the server allows' }))
}
const AppSessionFields = { appSessionId: Type.Optional(Type.String({ maxLength: 256 })) }
const AckTimeoutQuery = Type.Object(AckTimeoutFields)
const AppSessionQuery = Type.Object(AppSessionFields)
const IdResponse = Type.String({ description: 'id' })
// Statuses beyond the spec's, named once. A call that stores something may
// find the disk full; one that delivers to the other node at once (a
// counter-proposal, a confirmed agreement) may find it unreachable, busy or slow.
const STORES = [507] as const
const DELIVERS = [408, 502, 503] as const

// The JSON form (an array), or with `Accept: text/event-stream` one `event: offer` (or `demand`) per item.
const ScanEvents = Type.Array(Type.Union([MarketApi.Offer, MarketApi.Demand]), { description: 'Scan events' })
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

/** The spec's operation ids of the routes served for offers and for demands. */
const OPERATION_IDS = {
  offer: {
    subscribe: 'subscribeOffer',
    list: 'getOffers',
    unsubscribe: 'unsubscribeOffer',
    collect: 'collectDemands',
    getProposal: 'getProposalDemand',
    counter: 'counterProposalOffer',
    reject: 'rejectProposalDemand'
  },
  demand: {
    subscribe: 'subscribeDemand',
    list: 'getDemands',
    unsubscribe: 'unsubscribeDemand',
    collect: 'collectOffers',
    getProposal: 'getProposalOffer',
    counter: 'counterProposalDemand',
    reject: 'rejectProposalOffer'
  }
} as const

export function marketRoutes(market: Market): FastifyPluginAsync {
  return async (instance: FastifyInstance) => {
    // Handlers see their request typed from the route's schemas.
    const app = instance.withTypeProvider<TypeBoxProvider>()
    for (const kind of ['offer', 'demand'] as const) {
      const path = `/${kind}s`
      const tags = [kind === 'offer' ? 'provider' : 'requestor']
      const item = kind === 'offer' ? MarketApi.Offer : MarketApi.Demand
      const ids = OPERATION_IDS[kind]

      app.post(
        path,
        // 409: the node's subscription limit is reached.
        {
          schema: { operationId: ids.subscribe, tags, body: MarketApi.DemandOfferBase, response: { 201: IdResponse, ...errorResponses(409, 413, ...STORES) } }
        },
        async (request, reply) => {
          return sendId(reply, await market.subscribe(kind, request.body))
        }
      )
      app.get(path, { schema: { operationId: ids.list, tags, response: { 200: Type.Array(item) } } }, async () => {
        return kind === 'offer' ? market.subscriptions('offer') : market.subscriptions('demand')
      })
      app.delete(
        `${path}/:subscriptionId`,
        {
          schema: {
            operationId: ids.unsubscribe,
            tags,
            params: SubscriptionParams,
            response: { 204: noContent(`${kind} revoked`), ...errorResponses(404, 410, ...STORES) }
          }
        },
        async (request, reply) => {
          const { subscriptionId } = request.params
          await market.unsubscribe(kind, subscriptionId)
          return reply.code(204).send()
        }
      )
      app.get(
        `${path}/:subscriptionId/events`,
        {
          schema: {
            operationId: ids.collect,
            tags,
            params: SubscriptionParams,
            querystring: PollQuery,
            response: { 200: Type.Array(MarketApi.MarketEvent), ...errorResponses(404) }
          }
        },
        async (request, reply) => {
          const { subscriptionId } = request.params
          const query = request.query
          return await market.collect(kind, subscriptionId, pollMs(query.timeout), query.maxEvents ?? DEFAULT_MAX_EVENTS, clientGone(reply))
        }
      )
      app.get(
        `${path}/:subscriptionId/proposals/:proposalId`,
        { schema: { operationId: ids.getProposal, tags, params: ProposalParams, response: { 200: MarketApi.Proposal, ...errorResponses(404, 410) } } },
        async request => {
          const { subscriptionId, proposalId } = request.params
          return market.getProposal(kind, subscriptionId, proposalId)
        }
      )
      app.post(
        `${path}/:subscriptionId/proposals/:proposalId`,
        {
          schema: {
            operationId: ids.counter,
            tags,
            params: ProposalParams,
            body: MarketApi.DemandOfferBase,
            response: { 201: IdResponse, ...errorResponses(404, 410, 413, ...DELIVERS, ...STORES) }
          }
        },
        async (request, reply) => {
          const { subscriptionId, proposalId } = request.params
          return sendId(reply, await market.counterProposal(kind, subscriptionId, proposalId, request.body))
        }
      )
      app.post(
        `${path}/:subscriptionId/proposals/:proposalId/reject`,
        {
          schema: {
            operationId: ids.reject,
            tags,
            params: ProposalParams,
            body: ReasonBody,
            response: { 204: noContent('proposal rejected'), ...errorResponses(404, 410, ...STORES) }
          }
        },
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
          operationId: 'createAgreement',
          tags: ['requestor'],
          body: Type.Object({ proposalId: MarketId, validTo: Type.String({ format: 'date-time', maxLength: 40 }) }, { additionalProperties: false }),
          response: { 201: IdResponse, ...errorResponses(404, 409, 410, ...STORES) }
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
          operationId: 'listAgreements',
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
      {
        schema: {
          operationId: 'getAgreement',
          tags: ['requestor', 'provider'],
          params: AgreementParams,
          response: { 200: MarketApi.Agreement, ...errorResponses(404) }
        }
      },
      async request => {
        return market.getAgreement(request.params.agreementId)
      }
    )
    app.post(
      '/agreements/:agreementId/confirm',
      {
        schema: {
          operationId: 'confirmAgreement',
          tags: ['requestor'],
          params: AgreementParams,
          querystring: AppSessionQuery,
          response: { 204: noContent('agreement confirmed'), ...errorResponses(404, 410, ...DELIVERS, ...STORES) }
        }
      },
      async (request, reply) => {
        const { agreementId } = request.params
        await market.confirmAgreement(agreementId, request.query.appSessionId)
        return reply.code(204).send()
      }
    )
    app.post(
      '/agreements/:agreementId/wait',
      {
        schema: {
          operationId: 'waitForApproval',
          tags: ['requestor'],
          params: AgreementParams,
          querystring: AckTimeoutQuery,
          response: { 204: noContent('agreement approved by the provider'), ...errorResponses(404, 408, 409, 410) }
        }
      },
      async (request, reply) => {
        const { agreementId } = request.params
        await market.waitForApproval(agreementId, ackMs(request.query.timeout), clientGone(reply))
        return reply.code(204).send()
      }
    )
    app.post(
      '/agreements/:agreementId/cancel',
      {
        schema: {
          operationId: 'cancelAgreement',
          tags: ['requestor'],
          params: AgreementParams,
          body: ReasonBody,
          response: { 204: noContent('agreement cancelled'), ...errorResponses(404, 410, ...STORES) }
        }
      },
      async (request, reply) => {
        await market.cancelAgreement(request.params.agreementId, reasonOf(request.body))
        return reply.code(204).send()
      }
    )
    app.post(
      '/agreements/:agreementId/approve',
      {
        schema: {
          operationId: 'approveAgreement',
          tags: ['provider'],
          params: AgreementParams,
          querystring: Type.Object({ ...AppSessionFields, ...AckTimeoutFields }),
          response: { 204: noContent('agreement approved'), ...errorResponses(404, 408, 410, ...STORES) }
        }
      },
      async (request, reply) => {
        const { agreementId } = request.params
        const query = request.query
        await market.approveAgreement(agreementId, query.appSessionId, ackMs(query.timeout))
        return reply.code(204).send()
      }
    )
    app.post(
      '/agreements/:agreementId/reject',
      {
        schema: {
          operationId: 'rejectAgreement',
          tags: ['provider'],
          params: AgreementParams,
          body: ReasonBody,
          response: { 204: noContent('agreement rejected'), ...errorResponses(404, 410, ...STORES) }
        }
      },
      async (request, reply) => {
        await market.rejectAgreement(request.params.agreementId, reasonOf(request.body))
        return reply.code(204).send()
      }
    )
    app.post(
      '/agreements/:agreementId/terminate',
      {
        schema: {
          operationId: 'terminateAgreement',
          tags: ['provider', 'requestor'],
          params: AgreementParams,
          body: ReasonBody,
          response: { 204: noContent('agreement terminated'), ...errorResponses(404, 409, 410, ...STORES) }
        }
      },
      async (request, reply) => {
        await market.terminateAgreement(request.params.agreementId, reasonOf(request.body))
        return reply.code(204).send()
      }
    )
    app.post(
      '/agreements/:agreementId/terminate/reason',
      {
        schema: {
          operationId: 'getTerminateAgreementReason',
          tags: ['provider', 'requestor'],
          params: AgreementParams,
          response: { 200: MarketApi.AgreementOperationEvent, ...errorResponses(404) }
        }
      },
      async request => {
        return market.terminationReason(request.params.agreementId)
      }
    )
    app.get(
      '/agreementEvents',
      {
        schema: {
          operationId: 'collectAgreementEvents',
          tags: ['requestor', 'provider'],
          querystring: Type.Object({
            ...PollFields,
            afterTimestamp: Type.Optional(Type.String({ format: 'date-time' })),
            appSessionId: Type.Optional(Type.String())
          }),
          response: { 200: Type.Array(MarketApi.AgreementOperationEvent), ...errorResponses(404) }
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
          operationId: 'beginScan',
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
          // 409: the node's or this app-key's share of scans is taken.
          response: { 201: IdResponse, ...errorResponses(409) }
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
        schema: {
          operationId: 'collectScanResults',
          tags: ['requestor'],
          params: SubscriptionParams,
          querystring: Type.Object({ ...PollFields, peerId: Type.Optional(Type.String()) }),
          response: { 200: ScanEvents, ...errorResponses(404) }
        }
      },
      async (request, reply) => {
        const { subscriptionId } = request.params
        const query = request.query
        if (wantsEventStream(request.headers.accept)) return await streamScan(market, subscriptionId, query.peerId, reply)
        const options: Parameters<Market['collectScan']>[1] = {
          waitMs: pollMs(query.timeout),
          max: query.maxEvents ?? DEFAULT_MAX_EVENTS,
          signal: clientGone(reply)
        }
        if (query.peerId !== undefined) options.peerId = query.peerId
        return await market.collectScan(subscriptionId, options)
      }
    )
    // endScan where the spec has it, and at the path earlier Agora clients call.
    for (const [path, operationId] of [
      ['/scan/:subscriptionId/events', 'endScan'],
      ['/scan/:subscriptionId', 'endScanAtScanPath']
    ] as const) {
      app.delete(
        path,
        { schema: { operationId, tags: ['requestor'], params: SubscriptionParams, response: { 201: noContent('scan deleted'), ...errorResponses(404) } } },
        async (request, reply) => {
          market.endScan(request.params.subscriptionId)
          return reply.code(201).send()
        }
      )
    }
  }
}
