// A loopback JSON-RPC proxy in front of a dev chain that fails the calls a
// test picks: refused (503, never forwarded), cut (the connection closed
// unanswered, never forwarded) or cut after forwarding (the node got it; the
// caller never hears). Every other call is forwarded as it came.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export type Failure = 'refuse' | 'cut' | 'cut-after-forward'

export interface FlakyRpc {
  readonly url: string
  /** Calls seen, forwarded (answered) and failed, by JSON-RPC method. */
  readonly seen: string[]
  readonly failed: Array<{ method: string; failure: Failure }>
  close(): Promise<void>
}

export async function flakyRpc(target: string, fail: (call: { n: number; method: string }) => Failure | undefined): Promise<FlakyRpc> {
  const seen: string[] = []
  const failed: Array<{ method: string; failure: Failure }> = []
  const server: Server = createServer((req, res) => {
    let body = ''
    req.setEncoding('utf8').on('data', (chunk: string) => {
      body += chunk
    })
    req.on('end', async () => {
      const method = methodOf(body)
      seen.push(method)
      const failure = fail({ n: seen.length, method })
      if (failure !== undefined) failed.push({ method, failure })
      if (failure === 'refuse') {
        res.writeHead(503).end()
        return
      }
      if (failure === 'cut') {
        req.socket.destroy()
        return
      }
      try {
        const answer = await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
        const text = await answer.text()
        if (failure === 'cut-after-forward') {
          req.socket.destroy()
          return
        }
        res.writeHead(answer.status, { 'content-type': 'application/json' }).end(text)
      } catch {
        res.writeHead(502).end()
      }
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    seen,
    failed,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>(resolve => server.close(() => resolve()))
    }
  }
}

/** The request's method; for a batch, a broadcast in it if any (what tests pick), else its first. */
function methodOf(body: string): string {
  try {
    const parsed = JSON.parse(body) as { method?: unknown } | Array<{ method?: unknown }>
    const methods = (Array.isArray(parsed) ? parsed : [parsed]).map(call => (typeof call?.method === 'string' ? call.method : 'unknown'))
    return methods.find(m => m === 'eth_sendRawTransaction') ?? methods[0] ?? 'unknown'
  } catch {
    return 'unknown'
  }
}
