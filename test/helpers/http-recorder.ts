// Records every HTTP call a client in this process makes through the global
// fetch (as Golem's generated REST clients do): method, path, status and
// content type, so that a test can say which call an API answered wrong. A
// call is recorded when it starts: a client may go on (golem-js's
// stopAndFinalize resolves once it has the invoice, before its accept is
// answered), so a test reads a call's answer through `answered`.
export interface RecordedCall {
  method: string
  path: string
  /** `pending` until the answer is in; `failed` when no answer came (the fetch threw). */
  status: number | 'pending' | 'failed'
  contentType: string | null
  /** The start of the body of an answer that was not 2xx. */
  body?: string
}

export interface HttpRecorder {
  calls: RecordedCall[]
  /** Calls answered with anything but 2xx, one line per distinct answer, for a failure message. */
  failures: () => string[]
  /** Every call matching `test` made so far, once each has its answer (waits for the first to be made). */
  answered: (test: (call: RecordedCall) => boolean) => Promise<RecordedCall[]>
  restore: () => void
}

export function recordFetch(origin: string): HttpRecorder {
  const original = globalThis.fetch
  const calls: RecordedCall[] = []
  globalThis.fetch = async (input: Parameters<typeof fetch>[0], init?: RequestInit): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : String(input))
    const method = init?.method ?? (input instanceof Request ? input.method : 'GET')
    if (url.origin !== origin) return await original(input, init)
    const call: RecordedCall = { method, path: url.pathname, status: 'pending', contentType: null }
    const { promise: done, resolve: finish } = Promise.withResolvers<void>()
    inFlight.set(call, done)
    calls.push(call)
    notify()
    try {
      const response = await original(input, init)
      call.status = response.status
      call.contentType = response.headers.get('content-type')
      if (!response.ok) call.body = (await response.clone().text()).slice(0, 300)
      return response
    } catch (err) {
      call.status = 'failed'
      throw err
    } finally {
      inFlight.delete(call)
      finish()
    }
  }
  const inFlight = new Map<RecordedCall, Promise<void>>()
  let made: PromiseWithResolvers<void> = Promise.withResolvers<void>()
  const notify = (): void => {
    made.resolve()
    made = Promise.withResolvers<void>()
  }
  return {
    calls,
    failures: () => {
      // One line per distinct answer, with how often it came.
      const counted = new Map<string, number>()
      for (const call of calls) {
        if (call.status === 'pending' || (call.status !== 'failed' && call.status < 300)) continue
        const line = `${call.method} ${call.path} → ${call.status} ${call.contentType ?? ''} ${call.body ?? ''}`
        counted.set(line, (counted.get(line) ?? 0) + 1)
      }
      return [...counted].map(([line, count]) => `${count}× ${line}`)
    },
    answered: async test => {
      for (;;) {
        const matching = calls.filter(test)
        if (matching.length > 0) {
          await Promise.all(matching.map(call => inFlight.get(call)))
          return matching
        }
        await made.promise
      }
    },
    restore: () => {
      globalThis.fetch = original
    }
  }
}
