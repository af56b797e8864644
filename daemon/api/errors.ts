// Every error leaves the API as `{ code, message }` (the ya-client ErrorMessage,
// whose one field is `message`, with the error's code beside it, so a client
// branches on the code, never on the words) with the status its code has in
// the one map (net's ERROR_CODES). A fault of ours
// (any 5xx) is logged with a correlation id, and the client gets that id: in
// the message, where a Golem client reads it, and as `correlationId` beside it.
import type { FastifyBaseLogger, FastifyError, FastifyInstance } from 'fastify'
import { CodedError, ERROR_CODES, codedSystemError, internalErrorText, newCorrelationId, statusOf } from '../../net/index.ts'
import type { ErrorCode } from '../../net/index.ts'

/** An error a route handler throws on purpose: its code gives the status, its message reaches the client. */
export class ApiError extends CodedError {
  override name = 'ApiError'

  /** The status this error answers with (from its code). */
  get statusCode(): number {
    return statusOf(this.code)
  }
}

export interface ErrorBody {
  /** The error's code in the one vocabulary (docs/errors.md). */
  code: ErrorCode
  message: string
  /** Set on 5xx answers: the key of the daemon's log line for this failure. */
  correlationId?: string
}

/** Installs the error and not-found handlers that give every failure the `{ message }` shape. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | Error, request, reply) => {
    const { status, body } = errorAnswer(error, request.log)
    return reply.code(status).type('application/json').send(body)
  })
  app.setNotFoundHandler((request, reply) => {
    // The path only: the query string may carry an app-key.
    const path = request.url.split('?', 1)[0] ?? ''
    return reply.code(404).send({ code: 'NotFound', message: `no such route: ${request.method} ${path.slice(0, 200)}` } satisfies ErrorBody)
  })
}

/** What a client is told of a failure; a fault of ours (5xx) is logged first, under the id the client gets. */
export function errorAnswer(error: unknown, log: FastifyBaseLogger): { status: number; body: ErrorBody } {
  const failure = error instanceof Error ? error : new Error(String(error))
  const { status, code, message } = describe(failure)
  if (status < 500) return { status, body: { code, message: message ?? failure.message } }
  const correlationId = newCorrelationId()
  log.error({ err: error, correlationId }, 'request failed')
  const shown = message === undefined ? internalErrorText(correlationId) : `${message} (ref ${correlationId})`
  return { status, body: { code, message: shown, correlationId } }
}

/** The status and code of a failure, and what the client may read of it (undefined: nothing but a reference). */
function describe(error: Error): { status: number; code: ErrorCode; message: string | undefined } {
  // Schema validation: fastify's message names the part and the field,
  // e.g. "body/properties must be object".
  if ('validation' in error && error.validation !== undefined)
    return { status: 400, code: 'BadRequest', message: withExtraNamed(error.message, error.validation) }
  const coded = error instanceof CodedError ? error : codedSystemError(error)
  if (coded !== undefined) {
    const code = coded.code as ErrorCode
    return { status: statusOf(code), code, message: code === 'Internal' ? undefined : coded.message }
  }
  // The client's fault, as fastify or a library sees it (bad JSON, body too
  // large, unsupported media type…): its own words are fit to show.
  const status = (error as { statusCode?: unknown }).statusCode
  if (typeof status === 'number' && status >= 400 && status < 500) return { status, code: codeOfStatus(status), message: error.message }
  // Anything else is ours; its details stay in the log.
  return { status: 500, code: 'Internal', message: undefined }
}

/** The code a library's 4xx stands for: the first code of the map with that status (BadRequest when none has it). */
function codeOfStatus(status: number): ErrorCode {
  const found = (Object.keys(ERROR_CODES) as ErrorCode[]).find(code => ERROR_CODES[code].status === status)
  return found ?? 'BadRequest'
}

/** Ajv's "must NOT have additional properties" does not say which: the first one is named, as the config's errors do. */
function withExtraNamed(message: string, validation: unknown): string {
  if (!Array.isArray(validation)) return message
  const extra = validation.find(
    (item: { keyword?: unknown; params?: { additionalProperty?: unknown } }) =>
      item?.keyword === 'additionalProperties' && typeof item.params?.additionalProperty === 'string'
  ) as { params: { additionalProperty: string } } | undefined
  return extra === undefined ? message : `${message} (${extra.params.additionalProperty.slice(0, 100)})`
}
