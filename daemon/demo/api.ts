// The demo's own REST calls (funding, balances, the report), as any client of
// a daemon's API makes them: JSON over HTTP with the app-key.
export class DemoApi {
  readonly #url: string
  readonly #appKey: string
  readonly #name: string

  constructor(url: string, appKey: string, name: string) {
    this.#url = url
    this.#appKey = appKey
    this.#name = name
  }

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.#appKey}` }
    if (body !== undefined) headers['content-type'] = 'application/json'
    const response = await fetch(`${this.#url}${path}`, { method, headers, body: body === undefined ? null : JSON.stringify(body) })
    const text = await response.text()
    if (!response.ok) throw new Error(`${this.#name}: ${method} ${path} answered ${response.status} ${text.slice(0, 200)}`)
    return (text === '' ? undefined : JSON.parse(text)) as T
  }
}
