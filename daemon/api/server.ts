// The REST API server: authentication, error shapes, validation and the
// OpenAPI document, around the route plugins the daemon's modules provide.
import Fastify from 'fastify'
import type { FastifyBaseLogger, FastifyInstance, FastifyPluginAsync, FastifyReply, RawServerDefault } from 'fastify'
import type { AppKeyVerifier } from '../app-keys/app-keys.ts'
import { maskedUrl, requireAppKey } from './auth.ts'
import type { CookieAuth } from './auth.ts'
import { installClosingSignal } from './closing.ts'
import { installErrorHandling } from './errors.ts'
import { identityRoutes } from './identity-routes.ts'
import type { NodeIdentity } from './identity-routes.ts'
import { registerOpenApi } from './openapi.ts'
import { documentCommonErrors } from './schemas.ts'
import { partAwareValidator } from './validation.ts'
import { DAEMON_VERSION, versionRoutes } from './version-routes.ts'

/** A module's routes, mounted under `prefix` (e.g. '/market-api/v1'). */
export interface ApiRoute {
  prefix: string
  // Plugins may be typed with any type provider (see TypeBoxPlugin).
  // biome-ignore lint/suspicious/noExplicitAny: each module's plugin has its own options and type provider
  plugin: FastifyPluginAsync<any, RawServerDefault, any>
}

export interface ApiServerOptions {
  appKeys: AppKeyVerifier
  identity: NodeIdentity
  routes?: ApiRoute[]
  /** A pino logger; none means silent. */
  logger?: FastifyBaseLogger
  /** Largest request body accepted, in bytes (default 1 MiB). */
  bodyLimit?: number
  /** The web dashboard: its routes (mounted at /dashboard, outside the app-key check) and its session cookie's check. */
  dashboard?: { prefix: string; routes: FastifyPluginAsync; cookies: CookieAuth }
}

export const DEFAULT_BODY_LIMIT = 1024 * 1024
/** Longest path parameter the router takes (ids are at most 128 characters). */
export const MAX_PARAM_LENGTH = 256

/** Builds the server; the caller calls `listen` and, at the end, `close`. */
export async function createApiServer(options: ApiServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    ...(options.logger === undefined ? { logger: false } : { loggerInstance: options.logger.child({}, { serializers: { req: requestForLog } }) }),
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    // The server keeps an idle connection longer than clients do (fetch/undici: 4 s, or the
    // server's hint less 2 s), so the client always closes first: at Node's 5 s a client under
    // load could send a request (golem-js's accept, a POST fetch does not retry) on a connection
    // the server was closing. Stop closes idle connections itself (closing.ts).
    keepAliveTimeout: 65_000,
    // Longer than any id a route takes, so that a schema, not the router, refuses a long one.
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // The router's own refusals, in the API's error shape, without echoing the url back.
    frameworkErrors: (error, _request, reply) => {
      const tooLong = error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      const message = tooLong ? `a path parameter is longer than ${MAX_PARAM_LENGTH} characters` : 'the url is not valid'
      void (reply as FastifyReply)
        .code(tooLong ? 414 : 400)
        .type('application/json')
        .send({ code: 'BadRequest', message })
    },
    return503OnClosing: true,
    schemaController: { compilersFactory: { buildValidator: partAwareValidator } }
  }) as unknown as FastifyInstance
  // Bodies are JSON, nothing else.
  app.removeContentTypeParser('text/plain')
  installErrorHandling(app)
  installClosingSignal(app)
  documentCommonErrors(app)
  await registerOpenApi(app, DAEMON_VERSION)
  await app.register(async api => {
    requireAppKey(api, options.appKeys, options.dashboard?.cookies)
    await api.register(versionRoutes)
    await api.register(identityRoutes(options.identity))
    for (const route of options.routes ?? []) {
      await api.register(route.plugin, { prefix: route.prefix })
    }
  })
  if (options.dashboard !== undefined) await app.register(options.dashboard.routes, { prefix: options.dashboard.prefix })
  return app
}

interface LoggedRequest {
  method: string
  url: string
  ip?: string
}

/** Longest request url a log line carries: ids past any real one's length are cut. */
export const MAX_LOGGED_URL_LENGTH = 300

function requestForLog(request: LoggedRequest): object {
  return { method: request.method, url: loggedUrl(request.url), remoteAddress: request.ip }
}

/** The url with any app-key masked, cut to MAX_LOGGED_URL_LENGTH with the count of what was left out. */
export function loggedUrl(url: string): string {
  const masked = maskedUrl(url)
  if (masked.length <= MAX_LOGGED_URL_LENGTH) return masked
  return `${masked.slice(0, MAX_LOGGED_URL_LENGTH)}…(${masked.length - MAX_LOGGED_URL_LENGTH} more characters)`
}
