// The admin channel: a unix socket in the data dir (mode 0600, in a 0700 dir),
// through which the CLI manages a running daemon. Being able to open the
// socket is the authorisation, so it needs no app-key.
import { chmod, rm } from 'node:fs/promises'
import Fastify from 'fastify'
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import Type from 'typebox'
import type { AppKeys } from '../app-keys/app-keys.ts'
import { installErrorHandling } from '../api/errors.ts'
import type { NodeStatus } from './node-ops.ts'

export interface AdminServerOptions {
  socketPath: string
  appKeys: AppKeys
  status: () => NodeStatus
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
  app.delete('/app-keys/:ref', async request => {
    const { ref } = request.params as { ref: string }
    return await options.appKeys.drop(ref)
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
