// A plain fetch-based ApiClient for tests of SDK parts that need one before
// (or without) the SDK's own client: JSON in and out with the app-key, a
// non-2xx answer thrown as the ApiError the SDK's client would throw.
import type { ApiClient, ApiRequest } from '../../sdk/client/api-client.ts'
import { AbortedError, ApiError, AppKeyRefusedError, DaemonUnreachableError } from '../../sdk/index.ts'
import { isErrorCode } from '../../net/kernel.ts'

export function testApiClient(url: string, appKey: string): ApiClient {
  const call = async <T>(method: string, path: string, request: ApiRequest = {}): Promise<T> => {
    const query = new URLSearchParams()
    for (const [key, value] of Object.entries(request.query ?? {})) if (value !== undefined) query.set(key, String(value))
    const target = `${url}${path}${query.size === 0 ? '' : `?${query}`}`
    const signals = [request.signal, AbortSignal.timeout(request.timeoutMs ?? 60_000)].filter((s): s is AbortSignal => s !== undefined)
    let response: Response
    try {
      response = await fetch(target, {
        method,
        headers: { authorization: `Bearer ${appKey}`, ...(request.body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
        signal: AbortSignal.any(signals)
      })
    } catch (err) {
      if (request.signal?.aborted === true) throw new AbortedError()
      throw new DaemonUnreachableError(`${method} ${target}: ${(err as Error).message}`)
    }
    const text = await response.text()
    const body: unknown = text === '' ? undefined : JSON.parse(text)
    if (response.status === 401) throw new AppKeyRefusedError(`the daemon at ${url} refused the app-key`)
    if (!response.ok) {
      const error = (body ?? {}) as { code?: unknown; message?: unknown; correlationId?: string }
      const code = isErrorCode(error.code) ? error.code : 'Internal'
      throw new ApiError(code, response.status, String(error.message ?? response.statusText), error.correlationId)
    }
    return body as T
  }
  return {
    url,
    call,
    stream: async () => {
      throw new Error('streams are not used by these tests')
    }
  }
}
