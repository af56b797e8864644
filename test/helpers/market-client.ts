// A small client of the Market API v1, as Golem tooling would call it: plain
// HTTP with a bearer app-key. Every call returns the status and the parsed body.
export interface Reply<T = any> {
  status: number
  body: T
}

export class MarketClient {
  readonly url: string
  readonly key: string

  constructor(url: string, key: string) {
    this.url = url
    this.key = key
  }

  async call<T = any>(method: string, path: string, body?: unknown, key: string | null = this.key): Promise<Reply<T>> {
    const headers: Record<string, string> = {}
    if (key !== null) headers.authorization = `Bearer ${key}`
    if (body !== undefined) headers['content-type'] = 'application/json'
    const response = await fetch(`${this.url}${path}`, { method, headers, body: body === undefined ? null : JSON.stringify(body) })
    const text = await response.text()
    return { status: response.status, body: text === '' ? undefined : JSON.parse(text) }
  }

  /** The body of a call that must answer `status`; anything else throws with the answer. */
  async expect<T = any>(status: number, method: string, path: string, body?: unknown): Promise<T> {
    const reply = await this.call<T>(method, path, body)
    if (reply.status !== status) throw new Error(`${method} ${path}: expected ${status}, got ${reply.status} ${JSON.stringify(reply.body)}`)
    return reply.body
  }

  async subscribe(kind: 'offer' | 'demand', properties: Record<string, unknown>, constraints: string): Promise<string> {
    return await this.expect<string>(201, 'POST', `/market-api/v1/${kind}s`, { properties, constraints })
  }

  async events(kind: 'offer' | 'demand', id: string, timeoutS = 5, maxEvents = 10): Promise<any[]> {
    return await this.expect(200, 'GET', `/market-api/v1/${kind}s/${id}/events?timeout=${timeoutS}&maxEvents=${maxEvents}`)
  }

  /** Polls a subscription's events until one passes `test`; fails after `ms`. */
  async nextEvent(kind: 'offer' | 'demand', id: string, test: (event: any) => boolean, ms = 60_000): Promise<any> {
    const deadline = Date.now() + ms
    while (Date.now() < deadline) {
      const found = (await this.events(kind, id, Math.min(2, Math.max(0, (deadline - Date.now()) / 1000)))).find(test)
      if (found !== undefined) return found
    }
    throw new Error(`no matching ${kind} event within ${ms} ms`)
  }

  /** Every offer or demand this node knows now, through a fresh scan it ends afterwards. */
  async known(type: 'offer' | 'demand', constraints?: string): Promise<any[]> {
    const scanId = await this.expect<string>(201, 'POST', '/market-api/v1/scan', constraints === undefined ? { type } : { type, constraints })
    try {
      return await this.expect<any[]>(200, 'GET', `/market-api/v1/scan/${scanId}/events?timeout=0&maxEvents=100`)
    } finally {
      await this.call('DELETE', `/market-api/v1/scan/${scanId}`)
    }
  }

  async agreement(id: string): Promise<any> {
    return await this.expect(200, 'GET', `/market-api/v1/agreements/${id}`)
  }
}
