// Schemas shared by the REST routes (ya-client common.yaml).
import type { FastifyInstance } from 'fastify'
import Type from 'typebox'
import type { TUnsafe } from 'typebox'

export const ErrorMessage = Type.Object(
  {
    // An extra beside ya-client's one field: the error's code in the one vocabulary (docs/errors.md).
    code: Type.Optional(Type.String()),
    message: Type.String(),
    // An extra beside ya-client's one field: 5xx answers name the daemon's log line (docs/errors.md).
    correlationId: Type.Optional(Type.String())
  },
  { description: 'Generic error message (ya-client common.yaml ErrorMessage)' }
)

const descriptions: Record<number, string> = {
  400: '(400) Bad request',
  401: '(401) Authorization information is missing or invalid.',
  403: '(403) Forbidden.',
  404: '(404) The specified resource was not found.',
  408: '(408) Timeout.',
  409: '(409) Conflict.',
  410: '(410) Gone.',
  413: '(413) Too large.',
  500: '(500) Server error.',
  502: '(502) The other node is unreachable or failed on its side.',
  503: '(503) The node cannot serve this now.',
  504: '(504) Ack timeout.',
  507: '(507) The disk is full: nothing was stored.'
}

/** Response schemas for the given error statuses, for a route's `schema.response`. */
export function errorResponses(...statuses: number[]): Record<number, typeof ErrorMessage> {
  const result: Record<number, typeof ErrorMessage> = {}
  for (const status of statuses) {
    result[status] = Type.Object(ErrorMessage.properties, { description: descriptions[status] ?? `(${status})` })
  }
  return result
}

// The parts of a request a route's schema may check: any of them makes a 400 possible.
const CHECKED_PARTS = ['body', 'querystring', 'params', 'headers'] as const

/**
 * Documents on every route, in one place, the errors any route may answer:
 * 401 (the app-key check) and 500, plus 400 where a schema checks the request.
 * Statuses a route declares itself win. Must be installed before the routes.
 */
export function documentCommonErrors(app: FastifyInstance): void {
  app.addHook('onRoute', route => {
    const schema = route.schema ?? {}
    if (schema.hide === true) return
    const checked = CHECKED_PARTS.some(part => schema[part] !== undefined)
    const common = checked ? errorResponses(400, 401, 500) : errorResponses(401, 500)
    route.schema = { ...schema, response: { ...common, ...(schema.response as object | undefined) } }
  })
}

/**
 * A success answered without a body (yagna's 204s, and endScan's 201): `type: 'null'`
 * makes the OpenAPI document list the status with its description and no content.
 */
export function noContent(description: string): TUnsafe<undefined> {
  return Type.Unsafe<undefined>({ type: 'null', description })
}
