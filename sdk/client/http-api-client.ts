// The ApiClient over fetch: the app-key as a bearer token, JSON or
// octet-stream bodies, a timeout and the caller's signal on every call, and
// every failure turned into an SdkError a caller can act on (the daemon's own
// code from its error body; the URL and the key's source when the key is
// refused; the URL when nothing answers there).
import { ERROR_CODES, deadlineSignal, isErrorCode } from '../../net/kernel.ts'
import type { ErrorCode } from '../../net/kernel.ts'
import { AbortedError, ApiError, AppKeyRefusedError, DaemonUnreachableError, TimeoutError } from '../errors.ts'
import type { ApiErrorBody } from '../types.ts'
import type { ApiClient, ApiRequest } from './api-client.ts'

/** A call's wait when the caller names none (ms): every REST call but long polls answers well within it. */
export const DEFAULT_CALL_TIMEOUT_MS = 60_000

export interface HttpApiClientOptions {
  readonly url: string
  readonly appKey: string
  /** Where the key came from, for the message of a refused key ("the appKey option", "AGORA_APPKEY"…). */
  readonly appKeySource: string
  /** Ends every call of this client. */
  readonly signal?: AbortSignal
}

export class HttpApiClient implements ApiClient {
  readonly url: string
  readonly #appKey: string
  readonly #appKeySource: string
  readonly #signal: AbortSignal | undefined

  constructor(options: HttpApiClientOptions) {
    this.url = options.url.replace(/\/+$/, '')
    this.#appKey = options.appKey
    this.#appKeySource = options.appKeySource
    this.#signal = options.signal
  }

  async call<T>(method: string, path: string, request: ApiRequest = {}): Promise<T> {
    // The deadline bounds the answer's body too: it ends once the body is read.
    const deadline = deadlineSignal(request.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS)
    try {
      const response = await this.#fetch(method, path, request, deadline.signal)
      try {
        const text = await response.text()
        return (text === '' ? undefined : JSON.parse(text)) as T
      } catch (error) {
        throw this.#failure(error, request.signal)
      }
    } finally {
      deadline.clear()
    }
  }

  async stream(method: string, path: string, request: ApiRequest = {}): Promise<ReadableStream<Uint8Array>> {
    // The deadline bounds the whole stream, as the caller reads it: it ends with the stream.
    const deadline = deadlineSignal(request.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS)
    let response: Response
    try {
      response = await this.#fetch(method, path, { accept: '*/*', ...request }, deadline.signal)
    } catch (error) {
      deadline.clear()
      throw error
    }
    if (response.body === null) {
      deadline.clear()
      return new ReadableStream({ start: controller => controller.close() })
    }
    return response.body.pipeThrough(new TransformStream<Uint8Array, Uint8Array>({ flush: deadline.clear, cancel: deadline.clear }))
  }

  async #fetch(method: string, path: string, request: ApiRequest, deadline: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.#appKey}`, accept: request.accept ?? 'application/json' }
    let body: RequestInit['body'] = null
    if (request.bytes !== undefined) {
      headers['content-type'] = 'application/octet-stream'
      body = request.bytes instanceof Uint8Array ? request.bytes : streamOf(request.bytes)
    } else if (request.body !== undefined) {
      headers['content-type'] = 'application/json'
      body = JSON.stringify(request.body)
    }
    const signals = [deadline]
    if (request.signal !== undefined) signals.push(request.signal)
    if (this.#signal !== undefined) signals.push(this.#signal)
    const init: RequestInit & { duplex?: 'half' } = { method, headers, body, signal: AbortSignal.any(signals) }
    if (body !== null && !(body instanceof Uint8Array)) init.duplex = 'half'
    let response: Response
    try {
      response = await fetch(`${this.url}${path}${queryOf(request.query)}`, init)
    } catch (error) {
      throw this.#failure(error, request.signal)
    }
    if (response.ok) return response
    throw await this.#refusal(method, path, response)
  }

  /** What a failed fetch means to the caller: its own abort, a timeout, or a daemon that is not there. */
  #failure(error: unknown, signal: AbortSignal | undefined): Error {
    if (signal?.aborted === true || this.#signal?.aborted === true) return new AbortedError()
    if (error instanceof Error && error.name === 'TimeoutError') return new TimeoutError(`the daemon at ${this.url} did not answer in time`)
    if (error instanceof SyntaxError) return new ApiError('MalformedResponse', 502, `the daemon at ${this.url} answered something that is not JSON`)
    return new DaemonUnreachableError(`no Agora daemon answers at ${this.url} (is \`agora service run\` running, and is the URL right?)`)
  }

  async #refusal(method: string, path: string, response: Response): Promise<Error> {
    const body = await errorBodyOf(response)
    if (response.status === 401) {
      return new AppKeyRefusedError(
        `the daemon at ${this.url} refused the app-key from ${this.#appKeySource} (${body.message}); create one with \`agora app-key create <name>\` on that daemon`
      )
    }
    const code = isErrorCode(body.code) ? body.code : codeOfStatus(response.status)
    return new ApiError(code, response.status, `${method} ${path.split('?', 1)[0]}: ${body.message}`, body.correlationId)
  }
}

async function errorBodyOf(response: Response): Promise<ApiErrorBody> {
  const text = await response.text().catch(() => '')
  try {
    const parsed = JSON.parse(text) as Partial<ApiErrorBody>
    if (typeof parsed.message === 'string') return parsed as ApiErrorBody
  } catch {
    // Not the daemon's JSON error body: the status says what it can.
  }
  return { message: `status ${response.status}` }
}

/** The code a status stands for when the body names none (an answer from something other than the daemon). */
function codeOfStatus(status: number): ErrorCode {
  const found = (Object.keys(ERROR_CODES) as ErrorCode[]).find(code => ERROR_CODES[code].status === status)
  return found ?? (status >= 500 ? 'Internal' : 'BadRequest')
}

function queryOf(query: ApiRequest['query']): string {
  if (query === undefined) return ''
  const params = new URLSearchParams()
  for (const [name, value] of Object.entries(query)) if (value !== undefined) params.set(name, String(value))
  const text = params.toString()
  return text === '' ? '' : `?${text}`
}

function streamOf(chunks: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> {
  const iterator = chunks[Symbol.asyncIterator]()
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await iterator.next()
      if (next.done === true) controller.close()
      else controller.enqueue(next.value)
    },
    async cancel() {
      await iterator.return?.()
    }
  })
}
