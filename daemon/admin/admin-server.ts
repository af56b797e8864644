// The admin channel: a unix socket in the data dir (mode 0600, in a 0700 dir),
// through which the CLI manages a running daemon. Being able to open the
// socket is the authorisation, so it needs no app-key. Under /api/ it passes
// calls on to the REST API inside the process (the payment commands use it),
// with a key that exists only in this process's memory.
import { chmod, rm } from 'node:fs/promises'
import Fastify from 'fastify'
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import Type from 'typebox'
import type { AppKeys } from '../app-keys/app-keys.ts'
import { ApiError, installErrorHandling } from '../api/errors.ts'
import { DEFAULT_BODY_LIMIT } from '../api/server.ts'
import { API_PASSTHROUGH_PREFIX } from './node-ops.ts'
import type { NodeStatus } from './node-ops.ts'

export interface AdminServerOptions {
  socketPath: string
  appKeys: AppKeys
  status: () => NodeStatus
  /** A dashboard login link whose session acts as the app-key named (or the daemon's own when none). */
  dashboardLogin?: (appKeyName?: string) => { url: string; expiresAt: string; appKey: string }
  /** The REST API and the key it takes from the admin socket; null until the API is up. */
  api?: () => { server: FastifyInstance; key: string } | null
  logger?: FastifyBaseLogger
}

export async function startAdminServer(options: AdminServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    // Only trouble is worth logging here, not each CLI call.
    ...(options.logger === undefined ? { logger: false } : { loggerInstance: troubleOnly(options.logger) }),
    bodyLimit: 16 * 1024
  }) as unknown as FastifyInstance
  // A refused app-key change is an AppKeyError: its code gives the status.
  installErrorHandling(app)

  app.get('/status', async () => options.status())
  app.get('/app-keys', async () => options.appKeys.list())
  app.post(
    '/app-keys',
    {
      schema: { body: Type.Object({ name: Type.String() }, { additionalProperties: false }) }
    },
    async (request, reply) => {
      const { name } = request.body as { name: string }
      return reply.code(201).send(await options.appKeys.create(name))
    }
  )
  app.post(
    '/dashboard-login',
    {
      schema: { body: Type.Object({ appKey: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })) }, { additionalProperties: false }) }
    },
    async (request, reply) => {
      if (options.dashboardLogin === undefined) throw new ApiError('Unavailable', 'this daemon serves no dashboard')
      const { appKey } = request.body as { appKey?: string }
      return reply.code(201).send(options.dashboardLogin(appKey))
    }
  )
  app.delete('/app-keys/:ref', async request => {
    const { ref } = request.params as { ref: string }
    return await options.appKeys.drop(ref)
  })

  app.route({
    method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    url: `${API_PASSTHROUGH_PREFIX}/*`,
    // What the API itself takes (a claim may name many deposits); the API checks it again.
    bodyLimit: DEFAULT_BODY_LIMIT,
    handler: async (request, reply) => {
      const api = options.api?.() ?? null
      if (api === null) throw new ApiError('Unavailable', 'the REST API is not up yet')
      const answer = await api.server.inject({
        method: request.method as 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
        url: request.url.slice(API_PASSTHROUGH_PREFIX.length),
        headers: { authorization: `Bearer ${api.key}`, ...(request.body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(request.body === undefined ? {} : { payload: JSON.stringify(request.body) })
      })
      const type = answer.headers['content-type']
      if (typeof type === 'string') void reply.type(type)
      return reply.code(answer.statusCode).send(answer.body)
    }
  })

  // A socket file left by a daemon that was killed would block listen. Only
  // the daemon holding the data dir's database lock gets here, so it is stale.
  await rm(options.socketPath, { force: true })
  await app.listen({ path: options.socketPath })
  await chmod(options.socketPath, 0o600)
  return app
}

/** At most warnings, and never louder than its parent: a silent logger stays silent. */
function troubleOnly(logger: FastifyBaseLogger): FastifyBaseLogger {
  const quieter = logger.level === 'silent' || logger.level === 'error' || logger.level === 'fatal'
  return logger.child({}, { level: quieter ? logger.level : 'warn' })
}
