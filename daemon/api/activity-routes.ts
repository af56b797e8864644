// Activity API v1 (ya-client activity-api.yaml): requestor control and state.
// Batch results come as JSON or, when asked with `Accept: text/event-stream`,
// as Server-Sent Events (`event: runtime`).
import Type from 'typebox'
import type { TypeBoxProvider } from './type-provider.ts'
import type { FastifyInstance, FastifyPluginAsync, FastifyReply } from 'fastify'
import type { ActivityDesk } from '../../exe-unit/index.ts'
import { clientGone } from './client-gone.ts'
import { errorAnswer } from './errors.ts'
import { yagnaRuntimeEvent } from './runtime-event-wire.ts'

// The desk's errors carry codes (ExeUnitError, ActivityCallError): the API's
// error handler gives them their status.
const Id = Type.String({ pattern: '^[A-Za-z0-9_-]{1,128}$' })
const ActivityParams = Type.Object({ activityId: Id })
const BatchParams = Type.Object({ activityId: Id, batchId: Id })
const CreateBody = Type.Union([
  Type.String({ pattern: '^[0-9a-f]{64}$', description: 'agreement id' }),
  Type.Object(
    { agreementId: Type.String({ pattern: '^[0-9a-f]{64}$' }), requestorPubKey: Type.Optional(Type.String({ maxLength: 256 })) },
    { additionalProperties: false }
  )
])
const ResultsQuery = Type.Object({
  commandIndex: Type.Optional(Type.Integer({ minimum: 0 })),
  pollTimeout: Type.Optional(Type.Number({ minimum: 0, description: 'seconds to wait' })),
  timeout: Type.Optional(Type.Number({ minimum: 0, description: 'seconds to wait (alias of pollTimeout)' }))
})
const ExeScriptRequest = Type.Object({ text: Type.String({ maxLength: 256 * 1024 }) }, { additionalProperties: false })
const ActivityState = Type.Object({
  state: Type.Array(Type.Union([Type.String(), Type.Null()]), { minItems: 2, maxItems: 2 }),
  reason: Type.Optional(Type.String()),
  errorMessage: Type.Optional(Type.String())
})
const ActivityUsage = Type.Object({ currentUsage: Type.Array(Type.Number()), timestamp: Type.Integer() })
const CommandResult = Type.Object({
  index: Type.Integer(),
  eventDate: Type.String(),
  result: Type.Union([Type.Literal('Ok'), Type.Literal('Error')]),
  stdout: Type.Optional(Type.String()),
  stderr: Type.Optional(Type.String()),
  message: Type.Optional(Type.String()),
  isBatchFinished: Type.Boolean()
})
const CommandState = Type.Object({ batchId: Type.String(), command: Type.String(), params: Type.Optional(Type.Array(Type.String())) })

const MAX_WAIT_MS = 5 * 60_000
/** How long one poll of the provider waits while streaming events. */
const STREAM_POLL_MS = 15_000

function waitMs(query: { pollTimeout?: number; timeout?: number }): number {
  const seconds = query.pollTimeout ?? query.timeout ?? 0
  return Math.min(MAX_WAIT_MS, Math.round(seconds * 1000))
}

async function streamEvents(desk: ActivityDesk, activityId: string, batchId: string, reply: FastifyReply): Promise<void> {
  const gone = clientGone(reply)
  // The first poll runs before the stream opens, so an unknown batch is a plain 404.
  let page = await desk.events(activityId, batchId, 0, 0, gone)
  reply.hijack()
  reply.raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' })
  let after = 0
  try {
    for (;;) {
      for (const event of page.events) reply.raw.write(`event: runtime\ndata: ${JSON.stringify(yagnaRuntimeEvent(event))}\n\n`)
      after += page.events.length
      if (page.done || gone.aborted) break
      if (page.events.length === 0) reply.raw.write(': waiting\n\n')
      page = await desk.events(activityId, batchId, after, STREAM_POLL_MS, gone)
    }
  } catch (err) {
    if (!gone.aborted) reply.raw.write(`event: error\ndata: ${JSON.stringify(errorAnswer(err, reply.log).body)}\n\n`)
  } finally {
    reply.raw.end()
  }
}

const ProviderEvent = Type.Object({
  eventType: Type.Union([Type.Literal('CreateActivity'), Type.Literal('DestroyActivity')]),
  eventDate: Type.String({ format: 'date-time' }),
  activityId: Type.String(),
  agreementId: Type.String()
})
const EventsQuery = Type.Object({
  afterTimestamp: Type.Optional(Type.String({ format: 'date-time' })),
  pollTimeout: Type.Optional(Type.Number({ minimum: 0, description: 'seconds to wait' })),
  timeout: Type.Optional(Type.Number({ minimum: 0, description: 'seconds to wait (alias of pollTimeout)' })),
  maxEvents: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  appSessionId: Type.Optional(Type.String())
})

export function activityRoutes(desk: ActivityDesk): FastifyPluginAsync {
  return async (instance: FastifyInstance) => {
    // Handlers see their request typed from the route's schemas.
    const app = instance.withTypeProvider<TypeBoxProvider>()
    app.get('/events', { schema: { tags: ['provider'], querystring: EventsQuery, response: { 200: Type.Array(ProviderEvent) } } }, async (request, reply) => {
      const query = request.query
      const afterMs = query.afterTimestamp === undefined ? 0 : Date.parse(query.afterTimestamp)
      return await desk.providerEvents(afterMs, query.maxEvents ?? 100, waitMs(query), clientGone(reply))
    })
    app.post('/activity', { schema: { tags: ['requestor_control'], body: CreateBody } }, async (request, reply) => {
      const body = request.body as string | { agreementId: string }
      const activityId = await desk.create(typeof body === 'string' ? body : body.agreementId)
      // Answered in the shape it was asked in (the spec allows both).
      return reply
        .code(201)
        .type('application/json')
        .send(JSON.stringify(typeof body === 'string' ? activityId : { activityId }))
    })
    app.delete('/activity/:activityId', { schema: { tags: ['requestor_control'], params: ActivityParams } }, async (request, reply) => {
      await desk.destroy(request.params.activityId)
      return reply.code(200).send()
    })
    app.post('/activity/:activityId/exec', { schema: { tags: ['requestor_control'], params: ActivityParams, body: ExeScriptRequest } }, async request => {
      const { activityId } = request.params
      return JSON.stringify(await desk.exec(activityId, request.body.text))
    })
    app.get(
      '/activity/:activityId/exec/:batchId',
      {
        schema: { tags: ['requestor_control'], params: BatchParams, querystring: ResultsQuery, response: { 200: Type.Array(CommandResult) } }
      },
      async (request, reply) => {
        const { activityId, batchId } = request.params
        if ((request.headers.accept ?? '').includes('text/event-stream')) return await streamEvents(desk, activityId, batchId, reply)
        const query = request.query
        return await desk.results(activityId, batchId, waitMs(query), query.commandIndex, clientGone(reply))
      }
    )
    app.get('/activity/:activityId/agreement', { schema: { tags: ['requestor_control'], params: ActivityParams } }, async (request, reply) => {
      const agreementId = await desk.agreementOf(request.params.activityId)
      return reply.type('application/json').send(JSON.stringify(agreementId))
    })
    app.get(
      '/activity/:activityId/state',
      { schema: { tags: ['requestor_state'], params: ActivityParams, response: { 200: ActivityState } } },
      async request => {
        return await desk.state(request.params.activityId)
      }
    )
    app.get(
      '/activity/:activityId/usage',
      { schema: { tags: ['requestor_state'], params: ActivityParams, response: { 200: ActivityUsage } } },
      async request => {
        return await desk.usage(request.params.activityId)
      }
    )
    app.get(
      '/activity/:activityId/command',
      { schema: { tags: ['requestor_state'], params: ActivityParams, response: { 200: Type.Array(CommandState) } } },
      async request => {
        return await desk.running(request.params.activityId)
      }
    )
  }
}
