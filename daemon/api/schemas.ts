// Schemas shared by the REST routes (ya-client common.yaml).
import Type from 'typebox'

export const ErrorMessage = Type.Object({
  message: Type.String()
}, { description: 'Generic error message (ya-client common.yaml ErrorMessage)' })

const descriptions: Record<number, string> = {
  400: '(400) Bad request',
  401: '(401) Authorization information is missing or invalid.',
  403: '(403) Forbidden.',
  404: '(404) The specified resource was not found.',
  408: '(408) Timeout.',
  409: '(409) Conflict.',
  410: '(410) Gone.',
  500: '(500) Server error.',
  504: '(504) Ack timeout.'
}

/**
 * Response schemas for the given error statuses, for a route's
 * `schema.response`: `{ 200: Ok, ...errorResponses(400, 404) }`.
 * 401 and 500 are always included, as every route may answer them.
 */
export function errorResponses (...statuses: number[]): Record<number, typeof ErrorMessage> {
  const result: Record<number, typeof ErrorMessage> = {}
  for (const status of new Set([...statuses, 401, 500])) {
    result[status] = Type.Object(ErrorMessage.properties, { description: descriptions[status] ?? `(${status})` })
  }
  return result
}
