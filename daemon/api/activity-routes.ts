// Activity API v1 (ya-client activity-api.yaml): requestor control and state.
// Batch results come as JSON or, when asked with `Accept: text/event-stream`,
// as Server-Sent Events (activity-stream.ts). Every answer is JSON, ids too
// (a JSON string), as the spec's content types say.
import Type from 'typebox'
import type { TypeBoxProvider } from './type-provider.ts'
import type { FastifyInstance, FastifyPluginAsync, FastifyReply } from 'fastify'
import type { ActivityDesk } from '../../exe-unit/index.ts'
import {
  AckQuery,
  ActivityParams,
  ActivityState,
  ActivityUsage,
  AgreementIdAnswer,
  BatchId,
  BatchParams,
  CreateBody,
  CreateResponse,
  EventsQuery,
  ExeScriptCommandResult,
  ExeScriptCommandState,
  ExeScriptRequest,
  MAX_ACK_SECONDS,
  NoBody,
  ProviderEvent,
  ResultsQuery,
  StreamHeaders,
  activityErrors
} from './activity-schemas.ts'
import { streamEvents } from './activity-stream.ts'
import { clientGone } from './client-gone.ts'

// The desk's errors carry codes (ExeUnitError, ActivityCallError): the API's
// error handler gives them their status.

const MAX_WAIT_MS = 5 * 60_000

function waitMs(query: { pollTimeout?: number; timeout?: number }): number {
  const seconds = query.timeout ?? query.pollTimeout ?? 0
  return Math.min(MAX_WAIT_MS, Math.round(seconds * 1000))
}

/** The acknowledgement budget a caller asked for; 0 is "as long as allowed", absent the daemon's default. */
function ackMs(timeout: number | undefined): number | undefined {
  if (timeout === undefined) return undefined
  return Math.round((timeout === 0 ? MAX_ACK_SECONDS : timeout) * 1000)
}

/** A JSON value sent as the spec's `application/json`, strings included. */
function json(reply: FastifyReply, status: number, value: unknown): FastifyReply {
  return reply.code(status).type('application/json').send(JSON.stringify(value))
}

const control = ['requestor_control']
const state = ['requestor_state']

export function activityRoutes(desk: ActivityDesk): FastifyPluginAsync {
  return async (instance: FastifyInstance) => {
    // Handlers see their request typed from the route's schemas.
    const app = instance.withTypeProvider<TypeBoxProvider>()
    app.get(
      '/events',
      { schema: { operationId: 'CollectActivityEvents', tags: ['provider'], querystring: EventsQuery, response: { 200: Type.Array(ProviderEvent) } } },
      async (request, reply) => {
        const query = request.query
        const afterMs = query.afterTimestamp === undefined ? 0 : Date.parse(query.afterTimestamp)
        return await desk.providerEvents(afterMs, query.maxEvents ?? 100, waitMs(query), clientGone(reply))
      }
    )
    app.post(
      '/activity',
      {
        schema: {
          operationId: 'createActivity',
          tags: control,
          querystring: AckQuery,
          body: CreateBody,
          response: { 201: CreateResponse, ...activityErrors.create }
        }
      },
      async (request, reply) => {
        const body = request.body
        const activityId = await desk.create(typeof body === 'string' ? body : body.agreementId, ackMs(request.query.timeout))
        // Answered in the shape it was asked in (the spec allows both).
        return json(reply, 201, typeof body === 'string' ? activityId : { activityId })
      }
    )
    app.delete(
      '/activity/:activityId',
      {
        schema: {
          operationId: 'DestroyActivity',
          tags: control,
          params: ActivityParams,
          querystring: AckQuery,
          response: { 200: NoBody, ...activityErrors.destroy }
        }
      },
      async (request, reply) => {
        await desk.destroy(request.params.activityId, ackMs(request.query.timeout))
        return reply.code(200).send()
      }
    )
    app.post(
      '/activity/:activityId/exec',
      {
        schema: {
          operationId: 'exec',
          tags: control,
          params: ActivityParams,
          body: ExeScriptRequest,
          response: { 200: BatchId, ...activityErrors.exec }
        }
      },
      async (request, reply) => json(reply, 200, await desk.exec(request.params.activityId, request.body.text))
    )
    app.get(
      '/activity/:activityId/exec/:batchId',
      {
        schema: {
          operationId: 'getExecBatchResults',
          tags: control,
          params: BatchParams,
          querystring: ResultsQuery,
          headers: StreamHeaders,
          response: { 200: Type.Array(ExeScriptCommandResult), ...activityErrors.results }
        }
      },
      async (request, reply) => {
        const { activityId, batchId } = request.params
        if ((request.headers.accept ?? '').includes('text/event-stream')) {
          const after = Number(request.headers['last-event-id'] ?? 0)
          return await streamEvents(desk, activityId, batchId, after, reply)
        }
        const query = request.query
        return await desk.results(activityId, batchId, waitMs(query), query.commandIndex, clientGone(reply))
      }
    )
    app.get(
      '/activity/:activityId/agreement',
      {
        schema: {
          operationId: 'getActivityAgreement',
          tags: ['provider', ...state],
          params: ActivityParams,
          response: { 200: AgreementIdAnswer, ...activityErrors.watch }
        }
      },
      async (request, reply) => json(reply, 200, await desk.agreementOf(request.params.activityId))
    )
    app.get(
      '/activity/:activityId/state',
      {
        schema: {
          operationId: 'GetActivityState',
          tags: ['provider', ...state],
          params: ActivityParams,
          response: { 200: ActivityState, ...activityErrors.watch }
        }
      },
      async request => await desk.state(request.params.activityId)
    )
    app.get(
      '/activity/:activityId/usage',
      {
        schema: {
          operationId: 'GetActivityUsage',
          tags: ['provider', ...state],
          params: ActivityParams,
          response: { 200: ActivityUsage, ...activityErrors.watch }
        }
      },
      async request => await desk.usage(request.params.activityId)
    )
    app.get(
      '/activity/:activityId/command',
      {
        schema: {
          operationId: 'GetRunningCommand',
          tags: state,
          params: ActivityParams,
          response: { 200: Type.Array(ExeScriptCommandState), ...activityErrors.watch }
        }
      },
      async request => await desk.running(request.params.activityId)
    )
  }
}
