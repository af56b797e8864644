// The dashboard's routes under /dashboard: its static files, the login that
// trades a token for a session cookie, the session's own description (the
// CSRF value the page echoes), and logout. Every answer carries the strict
// security headers; the CookieAuth lets the REST API take the cookie.
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { AppKeyInfo } from '../app-keys/app-keys.ts'
import { ApiError } from '../api/errors.ts'
import type { CookieAuth } from '../api/auth.ts'
import type { DashboardAsset, DashboardAssets } from './assets.ts'
import { DashboardSessions } from './sessions.ts'
import type { DashboardSession } from './sessions.ts'

export const DASHBOARD_PATH = '/dashboard'
export const SESSION_COOKIE = 'agora_session'
export const CSRF_HEADER = 'x-agora-csrf'

export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

/** Methods that change nothing: they need no CSRF header. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

export interface DashboardRoutesOptions {
  sessions: DashboardSessions
  assets: DashboardAssets
  nodeId: string
}

/** The session cookie's value in a request, if any. */
export function sessionCookie(request: FastifyRequest): string | null {
  const header = request.headers.cookie
  if (header === undefined) return null
  for (const part of header.split(';')) {
    const at = part.indexOf('=')
    if (at < 0) continue
    if (part.slice(0, at).trim() === SESSION_COOKIE) {
      const value = part.slice(at + 1).trim()
      return value === '' ? null : value
    }
  }
  return null
}

/** The REST API's cookie check: a valid session stands for its app-key; a write also needs the CSRF header. */
export function dashboardCookieAuth(sessions: DashboardSessions): CookieAuth {
  return {
    authenticate: request => {
      const id = sessionCookie(request)
      if (id === null) return null
      const session = sessions.session(id)
      if (session === null) throw new ApiError('Unauthorized', 'the dashboard session has ended: log in again with `agora dashboard`')
      checkCsrf(request, session)
      return session.appKey
    }
  }
}

function checkCsrf(request: FastifyRequest, session: DashboardSession): void {
  if (SAFE_METHODS.has(request.method)) return
  const header = request.headers[CSRF_HEADER]
  const presented = typeof header === 'string' ? header : undefined
  if (!DashboardSessions.csrfMatches(session, presented)) {
    throw new ApiError('Forbidden', 'a write with the dashboard session needs its X-Agora-CSRF header (GET /dashboard/session)')
  }
}

function secured(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', CONTENT_SECURITY_POLICY)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('x-frame-options', 'DENY')
}

function plainPage(reply: FastifyReply, status: number, text: string): FastifyReply {
  return secured(reply).code(status).type('text/plain; charset=utf-8').send(`${text}\n`)
}

export function dashboardRoutes(options: DashboardRoutesOptions): FastifyPluginAsync {
  const { sessions, assets } = options
  return async (app: FastifyInstance) => {
    // The page's own routes are not part of the REST API: kept out of its OpenAPI document.
    app.addHook('onRoute', route => {
      route.schema = { ...route.schema, hide: true }
    })
    // Every answer under /dashboard, errors included, carries the headers.
    app.addHook('onSend', async (_request, reply, payload) => {
      secured(reply)
      // Only the hashed files may be kept; the page, the session and the login's answers are not.
      if (!reply.hasHeader('cache-control')) void reply.header('cache-control', 'no-store')
      return payload
    })

    const index = (request: FastifyRequest, reply: FastifyReply): FastifyReply => {
      const page = assets.get('index.html')
      if (page === undefined) return plainPage(reply, 503, 'The dashboard was not built: run `npm run build`.')
      return sendAsset(request, reply, page)
    }
    // Fastify serves '/' under a prefix at both /dashboard and /dashboard/; the page names its files by absolute path.
    app.get('/', async (request, reply) => index(request, reply))

    app.get('/assets/:name', async (request, reply) => {
      const { name } = request.params as { name: string }
      const asset = name === 'index.html' ? undefined : assets.get(name)
      if (asset === undefined) return plainPage(reply, 404, 'No such file.')
      // Built names carry their content's hash: they may be cached for good.
      return sendAsset(request, reply.header('cache-control', 'public, max-age=31536000, immutable'), asset)
    })

    app.get('/login', async (request, reply) => {
      const { token } = request.query as { token?: unknown }
      if (typeof token !== 'string' || token === '') return plainPage(reply, 401, 'No login token: run `agora dashboard` for a fresh link.')
      const outcome = sessions.redeem(token)
      if (!outcome.ok) {
        return plainPage(
          reply,
          401,
          'This login link is not valid: it was used already, has expired, or was never issued. Run `agora dashboard` for a fresh one.'
        )
      }
      const secure = request.protocol === 'https' ? '; Secure' : ''
      void reply.header('set-cookie', `${SESSION_COOKIE}=${outcome.sessionId}; HttpOnly; SameSite=Strict; Path=/${secure}`)
      // A 303 to the page itself takes the token out of the address bar and the history.
      return reply.redirect(`${DASHBOARD_PATH}/`, 303)
    })

    app.get('/session', async (request, reply) => {
      const session = current(sessions, request)
      return reply.send({ nodeId: options.nodeId, appKey: describe(session.appKey), csrf: session.csrf })
    })

    app.post('/logout', async (request, reply) => {
      const id = sessionCookie(request)
      const session = current(sessions, request)
      checkCsrf(request, session)
      if (id !== null) sessions.end(id)
      return reply.header('set-cookie', `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`).code(204).send()
    })
  }
}

function sendAsset(request: FastifyRequest, reply: FastifyReply, asset: DashboardAsset): FastifyReply {
  void reply.type(asset.type).header('vary', 'accept-encoding')
  const accepts = request.headers['accept-encoding']
  if (asset.gzipped !== undefined && typeof accepts === 'string' && /\bgzip\b/.test(accepts)) {
    return reply.header('content-encoding', 'gzip').send(asset.gzipped)
  }
  return reply.send(asset.body)
}

function current(sessions: DashboardSessions, request: FastifyRequest): DashboardSession {
  const id = sessionCookie(request)
  const session = id === null ? null : sessions.session(id)
  if (session === null) throw new ApiError('Unauthorized', 'not logged in: open the link `agora dashboard` prints')
  return session
}

function describe(appKey: AppKeyInfo): { name: string; id: string } {
  return { name: appKey.name, id: appKey.id }
}
