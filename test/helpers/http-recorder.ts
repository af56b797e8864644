// Records every HTTP call a client in this process makes through the global
// fetch (as Golem's generated REST clients do): method, path, status and
// content type, so that a test can say which call an API answered wrong.
export interface RecordedCall {
  method: string
  path: string
  status: number | 'failed'
  contentType: string | null
  /** The start of the body of an answer that was not 2xx. */
  body?: string
}

export interface HttpRecorder {
  calls: RecordedCall[]
  /** Calls answered with anything but 2xx, one line per distinct answer, for a failure message. */
  failures: () => string[]
  restore: () => void
}

export function recordFetch(origin: string): HttpRecorder {
  const original = globalThis.fetch
  const calls: RecordedCall[] = []
  globalThis.fetch = async (input: Parameters<typeof fetch>[0], init?: RequestInit): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : String(input))
    const method = init?.method ?? (input instanceof Request ? input.method : 'GET')
    if (url.origin !== origin) return await original(input, init)
    const call: RecordedCall = { method, path: url.pathname, status: 'failed', contentType: null }
    calls.push(call)
    const response = await original(input, init)
    call.status = response.status
    call.contentType = response.headers.get('content-type')
    if (!response.ok) call.body = (await response.clone().text()).slice(0, 300)
    return response
  }
  return {
    calls,
    failures: () => {
      // One line per distinct answer, with how often it came.
      const counted = new Map<string, number>()
      for (const call of calls) {
        if (call.status !== 'failed' && call.status < 300) continue
        const line = `${call.method} ${call.path} → ${call.status} ${call.contentType ?? ''} ${call.body ?? ''}`
        counted.set(line, (counted.get(line) ?? 0) + 1)
      }
      return [...counted].map(([line, count]) => `${count}× ${line}`)
    },
    restore: () => {
      globalThis.fetch = original
    }
  }
}
