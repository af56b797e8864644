// The page's only way to the daemon: same-origin fetches of the REST API, sent
// with the session cookie (never an app-key); writes carry the session's CSRF
// value. The SDK's client is built for Node (node: imports), so the page has
// this small wrapper instead.

export interface Session {
  nodeId: string
  appKey: { name: string; id: string }
  csrf: string
}

export class ApiFailure extends Error {
  readonly status: number
  readonly code: string

  constructor(status: number, code: string, message: string) {
    super(message)
    this.status = status
    this.code = code
  }
}

let csrf = ''

async function call<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' }
  if (method !== 'GET') headers['x-agora-csrf'] = csrf
  if (body !== undefined) headers['content-type'] = 'application/json'
  const init: RequestInit = { method, headers, credentials: 'same-origin' }
  if (body !== undefined) init.body = JSON.stringify(body)
  if (signal !== undefined) init.signal = signal
  const answer = await fetch(path, init)
  const text = await answer.text()
  const parsed: unknown = text === '' ? undefined : JSON.parse(text)
  if (!answer.ok) {
    const error = (parsed ?? {}) as { code?: string; message?: string }
    throw new ApiFailure(answer.status, error.code ?? 'Internal', error.message ?? `the daemon answered ${answer.status}`)
  }
  return parsed as T
}

export async function loadSession(): Promise<Session> {
  const session = await call<Session>('GET', '/dashboard/session')
  csrf = session.csrf
  return session
}

export const get = <T>(path: string, signal?: AbortSignal): Promise<T> => call<T>('GET', path, undefined, signal)
export const post = <T>(path: string, body?: unknown): Promise<T> => call<T>('POST', path, body)
export const del = <T>(path: string): Promise<T> => call<T>('DELETE', path)

/** The long polls' shape: events after a timestamp, waiting up to `timeout` seconds for the first. */
export interface TimedEvent {
  eventDate: string
}

/**
 * Follows one of the API's event long polls until `signal` aborts: each answer
 * goes to `onEvents` and the next poll asks for what came after it. A failed
 * poll is retried after a pause that grows, so a daemon that went away is not
 * hammered.
 */
export async function follow<E extends TimedEvent>(path: string, onEvents: (events: E[]) => void, signal: AbortSignal): Promise<void> {
  let after: string | undefined
  let pauseMs = 1000
  while (!signal.aborted) {
    const query = new URLSearchParams({ timeout: '30' })
    if (after !== undefined) query.set('afterTimestamp', after)
    try {
      const events = await get<E[]>(`${path}?${query.toString()}`, signal)
      pauseMs = 1000
      if (events.length > 0) {
        // ISO timestamps compare as text.
        for (const event of events) if (after === undefined || event.eventDate.localeCompare(after) > 0) after = event.eventDate
        onEvents(events)
      }
    } catch (err) {
      if (signal.aborted) return
      if (err instanceof ApiFailure && err.status === 401) throw err
      await new Promise(resolve => setTimeout(resolve, pauseMs))
      pauseMs = Math.min(pauseMs * 2, 30_000)
    }
  }
}

/**
 * Every item of a payment list route (debit notes, invoices, payments): each
 * answer is a page of at most 100, oldest first, and the next asks for what
 * came after the page's last time. Two items can share a millisecond, so the
 * next page starts a millisecond before that time and what was seen already
 * is dropped by its id. `/payments` names its page size `maxEvents`, the
 * document lists `maxItems`.
 */
export async function allItems<T extends { timestamp: string }>(
  path: string,
  idOf: (item: T) => string,
  signal: AbortSignal,
  sizeParam: 'maxItems' | 'maxEvents' = 'maxItems'
): Promise<T[]> {
  const PAGE = 100
  const seen = new Map<string, T>()
  let after: string | undefined
  for (;;) {
    const query = new URLSearchParams({ [sizeParam]: String(PAGE) })
    if (after !== undefined) query.set('afterTimestamp', after)
    const page = await get<T[]>(`${path}?${query.toString()}`, signal)
    let fresh = 0
    for (const item of page) {
      if (seen.has(idOf(item))) continue
      seen.set(idOf(item), item)
      fresh++
    }
    const last = page.at(-1)
    // A short page is the end; so is a full one with nothing new (more than a page in one millisecond).
    if (page.length < PAGE || fresh === 0 || last === undefined) return [...seen.values()]
    after = new Date(Date.parse(last.timestamp) - 1).toISOString()
  }
}
