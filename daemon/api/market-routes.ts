// Market API v1 (ya-client market-api.yaml) over the Market facade. Paths,
// field names, states and status codes as the spec says; schemas validate the
// input and document the API at once.
import Type from 'typebox'
import type { FastifyInstance, FastifyPluginAsync, FastifyReply } from 'fastify'
import { Market, MarketError, MarketApi } from '../../market/index.ts'
import type { MarketErrorCode, Reason } from '../../market/index.ts'
import { ApiError } from './errors.ts'
import { clientGone } from './client-gone.ts'

const STATUS: Record<MarketErrorCode, number> = { BadRequest: 400, NotFound: 404, Gone: 410, Conflict: 409, Timeout: 408, Unavailable: 503 }

const SubscriptionParams = Type.Object({ subscriptionId: Type.String({ pattern: '^[0-9a-f]{64}$' }) })
const ProposalParams = Type.Object({ subscriptionId: Type.String({ pattern: '^[0-9a-f]{64}$' }), proposalId: Type.String({ pattern: '^[0-9a-f]{64}$' }) })
const AgreementParams = Type.Object({ agreementId: Type.String({ pattern: '^[0-9a-f]{64}$' }) })
const PollQuery = Type.Object({
  timeout: Type.Optional(Type.Number({ minimum: 0, default: 5, description: 'seconds to wait for the first event' })),
  maxEvents: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 10 }))
})
const AckQuery = Type.Object({
  timeout: Type.Optional(Type.Number({ minimum: 0, default: 5, description: 'seconds to wait; 0 waits as long as the server allows' })),
  appSessionId: Type.Optional(Type.String({ maxLength: 256 }))
})
const IdResponse = Type.String({ description: 'id' })
const ReasonBody = Type.Union([MarketApi.Reason, Type.Null()])

/** The server caps every wait, so a forgotten client cannot hold a request forever. */
const MAX_WAIT_MS = 5 * 60_000
/** Poll timeouts: 0 answers at once. */
function pollMs (seconds: number | undefined): number {
  return Math.min(MAX_WAIT_MS, Math.round((seconds ?? 5) * 1000))
}
/** Ack timeouts: 0 waits for the other party as long as the server allows. */
function ackMs (seconds: number | undefined): number {
  const s = seconds ?? 5
  return s === 0 ? MAX_WAIT_MS : Math.min(MAX_WAIT_MS, Math.round(s * 1000))
}

async function call<T> (fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    if (err instanceof MarketError) throw new ApiError(STATUS[err.code], err.message)
    throw err
  }
}

function sendId (reply: FastifyReply, id: string): FastifyReply {
  return reply.code(201).type('application/json').send(JSON.stringify(id))
}

function reasonOf (body: unknown): Reason | undefined {
  return body === null || body === undefined ? undefined : body as Reason
}

export function marketRoutes (market: Market): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    for (const kind of ['offer', 'demand'] as const) {
      const path = `/${kind}s`
      const tags = [kind === 'offer' ? 'provider' : 'requestor']
      const item = kind === 'offer' ? MarketApi.Offer : MarketApi.Demand

      app.post(path, { schema: { tags, body: MarketApi.DemandOfferBase, response: { 201: IdResponse } } }, async (request, reply) => {
        return sendId(reply, await call(() => market.subscribe(kind, request.body)))
      })
      app.get(path, { schema: { tags, response: { 200: Type.Array(item) } } }, async () => {
        return kind === 'offer' ? market.subscriptions('offer') : market.subscriptions('demand')
      })
      app.delete(`${path}/:subscriptionId`, { schema: { tags, params: SubscriptionParams } }, async (request, reply) => {
        const { subscriptionId } = request.params as { subscriptionId: string }
        await call(() => market.unsubscribe(kind, subscriptionId))
        return reply.code(204).send()
      })
      app.get(`${path}/:subscriptionId/events`, { schema: { tags, params: SubscriptionParams, querystring: PollQuery, response: { 200: Type.Array(MarketApi.MarketEvent) } } }, async (request, reply) => {
        const { subscriptionId } = request.params as { subscriptionId: string }
        const query = request.query as { timeout?: number, maxEvents?: number }
        return await call(() => market.collect(kind, subscriptionId, pollMs(query.timeout), query.maxEvents ?? 10, clientGone(reply)))
      })
      app.get(`${path}/:subscriptionId/proposals/:proposalId`, { schema: { tags, params: ProposalParams, response: { 200: MarketApi.Proposal } } }, async (request) => {
        const { subscriptionId, proposalId } = request.params as { subscriptionId: string, proposalId: string }
        return await call(() => market.getProposal(kind, subscriptionId, proposalId))
      })
      app.post(`${path}/:subscriptionId/proposals/:proposalId`, { schema: { tags, params: ProposalParams, body: MarketApi.DemandOfferBase, response: { 201: IdResponse } } }, async (request, reply) => {
        const { subscriptionId, proposalId } = request.params as { subscriptionId: string, proposalId: string }
        return sendId(reply, await call(() => market.counterProposal(kind, subscriptionId, proposalId, request.body)))
      })
      app.post(`${path}/:subscriptionId/proposals/:proposalId/reject`, { schema: { tags, params: ProposalParams, body: ReasonBody } }, async (request, reply) => {
        const { subscriptionId, proposalId } = request.params as { subscriptionId: string, proposalId: string }
        await call(() => market.rejectProposal(kind, subscriptionId, proposalId, reasonOf(request.body)))
        return reply.code(204).send()
      })
    }

    app.post('/agreements', {
      schema: { tags: ['requestor'], body: Type.Object({ proposalId: Type.String({ pattern: '^[0-9a-f]{64}$' }), validTo: Type.String({ format: 'date-time' }) }), response: { 201: IdResponse } }
    }, async (request, reply) => {
      const body = request.body as { proposalId: string, validTo: string }
      return sendId(reply, await call(() => market.createAgreement(body.proposalId, body.validTo)))
    })
    app.get('/agreements', {
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
    }, async (request) => market.listAgreements(request.query as Parameters<Market['listAgreements']>[0]))
    app.get('/agreements/:agreementId', { schema: { tags: ['requestor', 'provider'], params: AgreementParams, response: { 200: MarketApi.Agreement } } }, async (request) => {
      return await call(() => market.getAgreement((request.params as { agreementId: string }).agreementId))
    })
    app.post('/agreements/:agreementId/confirm', { schema: { tags: ['requestor'], params: AgreementParams, querystring: AckQuery } }, async (request, reply) => {
      const { agreementId } = request.params as { agreementId: string }
      await call(() => market.confirmAgreement(agreementId, (request.query as { appSessionId?: string }).appSessionId))
      return reply.code(204).send()
    })
    app.post('/agreements/:agreementId/wait', { schema: { tags: ['requestor'], params: AgreementParams, querystring: AckQuery } }, async (request, reply) => {
      const { agreementId } = request.params as { agreementId: string }
      await call(() => market.waitForApproval(agreementId, ackMs((request.query as { timeout?: number }).timeout), clientGone(reply)))
      return reply.code(204).send()
    })
    app.post('/agreements/:agreementId/cancel', { schema: { tags: ['requestor'], params: AgreementParams, body: ReasonBody } }, async (request, reply) => {
      await call(() => market.cancelAgreement((request.params as { agreementId: string }).agreementId, reasonOf(request.body)))
      return reply.code(204).send()
    })
    app.post('/agreements/:agreementId/approve', { schema: { tags: ['provider'], params: AgreementParams, querystring: AckQuery } }, async (request, reply) => {
      const { agreementId } = request.params as { agreementId: string }
      const query = request.query as { timeout?: number, appSessionId?: string }
      await call(() => market.approveAgreement(agreementId, query.appSessionId, ackMs(query.timeout)))
      return reply.code(204).send()
    })
    app.post('/agreements/:agreementId/reject', { schema: { tags: ['provider'], params: AgreementParams, body: ReasonBody } }, async (request, reply) => {
      await call(() => market.rejectAgreement((request.params as { agreementId: string }).agreementId, reasonOf(request.body)))
      return reply.code(204).send()
    })
    app.post('/agreements/:agreementId/terminate', { schema: { tags: ['provider', 'requestor'], params: AgreementParams, body: ReasonBody } }, async (request, reply) => {
      await call(() => market.terminateAgreement((request.params as { agreementId: string }).agreementId, reasonOf(request.body)))
      return reply.code(204).send()
    })
    app.post('/agreements/:agreementId/terminate/reason', { schema: { tags: ['provider', 'requestor'], params: AgreementParams, response: { 200: MarketApi.AgreementOperationEvent } } }, async (request) => {
      return await call(() => market.terminationReason((request.params as { agreementId: string }).agreementId))
    })
    app.get('/agreementEvents', {
      schema: {
        tags: ['requestor', 'provider'],
        querystring: Type.Object({
          timeout: Type.Optional(Type.Number({ minimum: 0, default: 5 })),
          afterTimestamp: Type.Optional(Type.String({ format: 'date-time' })),
          maxEvents: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 10 })),
          appSessionId: Type.Optional(Type.String())
        }),
        response: { 200: Type.Array(MarketApi.AgreementOperationEvent) }
      }
    }, async (request, reply) => {
      const query = request.query as { timeout?: number, afterTimestamp?: string, maxEvents?: number, appSessionId?: string }
      const options: Parameters<Market['collectAgreementEvents']>[0] = { maxEvents: query.maxEvents ?? 10, timeoutMs: pollMs(query.timeout), signal: clientGone(reply) }
      if (query.afterTimestamp !== undefined) options.afterTimestamp = query.afterTimestamp
      if (query.appSessionId !== undefined) options.appSessionId = query.appSessionId
      return await call(() => market.collectAgreementEvents(options))
    })

    app.post('/scan', {
      schema: {
        tags: ['requestor'],
        body: Type.Object({
          type: Type.Union([Type.Literal('offer'), Type.Literal('demand')]),
          constraints: Type.Optional(Type.String()),
          timeout: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600, description: 'seconds an unread iterator lives; default 30' }))
        }),
        response: { 201: IdResponse }
      }
    }, async (request, reply) => {
      const body = request.body as { type: 'offer' | 'demand', constraints?: string, timeout?: number }
      return sendId(reply, await call(() => market.beginScan(body.type, body.constraints, (body.timeout ?? 30) * 1000)))
    })
    app.get('/scan/:subscriptionId/events', {
      schema: { tags: ['requestor'], params: SubscriptionParams, querystring: Type.Intersect([PollQuery, Type.Object({ peerId: Type.Optional(Type.String()) })]) }
    }, async (request, reply) => {
      const { subscriptionId } = request.params as { subscriptionId: string }
      const query = request.query as { timeout?: number, maxEvents?: number, peerId?: string }
      const options: Parameters<Market['collectScan']>[1] = { waitMs: pollMs(query.timeout), max: query.maxEvents ?? 10, signal: clientGone(reply) }
      if (query.peerId !== undefined) options.peerId = query.peerId
      return await call(() => market.collectScan(subscriptionId, options))
    })
    app.delete('/scan/:subscriptionId', { schema: { tags: ['requestor'], params: SubscriptionParams } }, async (request, reply) => {
      await call(() => market.endScan((request.params as { subscriptionId: string }).subscriptionId))
      return reply.code(201).send()
    })
  }
}
