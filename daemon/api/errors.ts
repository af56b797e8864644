// Every error leaves the API as `{ message }` (the ya-client ErrorMessage) with
// a status that says whose fault it was.
import type { FastifyError, FastifyInstance } from 'fastify'
import { CodedError } from '../../net/index.ts'

/** An error a route handler or service throws on purpose: its status and message reach the client. */
export class ApiError extends Error {
  override name = 'ApiError'
  readonly statusCode: number

  constructor (statusCode: number, message: string, options?: ErrorOptions) {
    super(message, options)
    if (!Number.isInteger(statusCode) || statusCode < 400 || statusCode > 599) {
      throw new RangeError(`not an error status: ${statusCode}`)
    }
    this.statusCode = statusCode
  }
}

export interface ErrorBody {
  message: string
}

/** Installs the error and not-found handlers that give every failure the `{ message }` shape. */
export function installErrorHandling (app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | ApiError | Error, request, reply) => {
    const { status, message } = describe(error)
    if (status >= 500) request.log.error({ err: error }, 'request failed')
    return reply.code(status).type('application/json').send({ message } satisfies ErrorBody)
  })
  app.setNotFoundHandler((request, reply) => {
    // The path only: the query string may carry an app-key.
    const path = request.url.split('?', 1)[0] ?? ''
    return reply.code(404).send({ message: `no such route: ${request.method} ${path.slice(0, 200)}` } satisfies ErrorBody)
  })
}

/**
 * The statuses of the codes the modules' errors carry (MarketError,
 * ExeUnitError, ActivityCallError…): one table, so a code means the same
 * status on every route.
 */
export const CODE_STATUS: Readonly<Record<string, number>> = {
  BadRequest: 400,
  Forbidden: 403,
  NotFound: 404,
  Timeout: 408,
  Conflict: 409,
  Gone: 410,
  CapacityExceeded: 503,
  Unavailable: 503,
  PayloadTooLarge: 413,
  InsufficientStorage: 507
}

function describe (error: Error): { status: number, message: string } {
  // Schema validation: fastify's message names the part and the field,
  // e.g. "body/properties must be object".
  if ('validation' in error && error.validation !== undefined) return { status: 400, message: error.message }
  if (error instanceof ApiError) return { status: error.statusCode, message: error.message }
  if (error instanceof CodedError && Object.hasOwn(CODE_STATUS, error.code)) return { status: CODE_STATUS[error.code] as number, message: error.message }
  // The client's fault, as fastify or a library sees it (bad JSON, body too
  // large, unsupported media type…): its own words are fit to show.
  const status = (error as { statusCode?: unknown }).statusCode
  if (typeof status === 'number' && status >= 400 && status < 500) return { status, message: error.message }
  // Anything else is ours; its details stay in the log.
  return { status: 500, message: 'internal error' }
}
