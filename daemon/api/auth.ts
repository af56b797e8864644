// Every API call carries an app-key: `Authorization: Bearer <key>`, or the
// `authToken` query parameter (ya-client's app_key_param) for clients that
// cannot set headers. A route whose spec declares no security (version-api.yaml)
// says so in its config, `{ public: true }`, and is served without one.
// The dashboard's pages send neither: their session cookie stands for the
// app-key it was minted for (docs/dashboard.md), checked by a CookieAuth.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { AppKeyInfo, AppKeyVerifier } from '../app-keys/app-keys.ts'
import { ApiError } from './errors.ts'

declare module 'fastify' {
  interface FastifyRequest {
    /** The app-key the caller presented (set on every authenticated route). */
    appKey: AppKeyInfo | null
  }
  interface FastifyContextConfig {
    /** Served without an app-key (its spec declares no security). */
    public?: boolean
  }
}

export const AUTH_TOKEN_PARAM = 'authToken'

/** Authenticates a request by a session cookie instead of an app-key. */
export interface CookieAuth {
  /**
   * The app-key the request's session stands for; null when it carries no
   * session. Throws an ApiError (Unauthorized, Forbidden) for a session that is
   * not valid, or a write without the session's CSRF header.
   */
  authenticate: (request: FastifyRequest) => AppKeyInfo | null
}

/** Adds the app-key check to every route of `scope` (an encapsulated plugin context). */
export function requireAppKey(scope: FastifyInstance, verifier: AppKeyVerifier, cookies?: CookieAuth): void {
  scope.decorateRequest('appKey', null)
  scope.addHook('onRequest', async request => {
    const presented = presentedKey(request)
    if (request.routeOptions.config.public === true) return
    if (presented === null && cookies !== undefined) {
      const bySession = cookies.authenticate(request)
      if (bySession !== null) {
        request.appKey = bySession
        return
      }
    }
    if (presented === null) throw new ApiError('Unauthorized', 'missing app-key: send "Authorization: Bearer <app-key>"')
    const appKey = verifier.verify(presented)
    if (appKey === null) throw new ApiError('Unauthorized', 'invalid app-key')
    request.appKey = appKey
  })
}

function presentedKey(request: FastifyRequest): string | null {
  const header = request.headers.authorization
  // The token is taken out of the query so handlers and schemas never see it.
  const query = request.query as Record<string, unknown> | undefined
  const param = query?.[AUTH_TOKEN_PARAM]
  if (query !== undefined && param !== undefined) delete query[AUTH_TOKEN_PARAM]
  if (header !== undefined) return /^Bearer +(\S+) *$/i.exec(header)?.[1] ?? null
  return typeof param === 'string' && param !== '' ? param : null
}

/** The request line with any app-key (or dashboard login token) in the query string masked, for logs. */
export function maskedUrl(url: string): string {
  return url.replace(/([?&](?:authToken|token)=)[^&#]*/gi, '$1***')
}
