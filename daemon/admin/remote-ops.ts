// NodeOps through a running daemon's admin socket.
import { request } from 'node:http'
import { CodedError } from '../../net/errors/index.ts'
import type { AppKeyInfo, NewAppKey } from '../app-keys/app-keys.ts'
import { API_PASSTHROUGH_PREFIX } from './node-ops.ts'
import type { NodeOps, NodeStatus } from './node-ops.ts'

/** Thrown when no daemon answers on the socket. */
export class NoDaemonError extends CodedError<'Unavailable'> {
  override name = 'NoDaemonError'

  constructor(message: string, options?: ErrorOptions) {
    super('Unavailable', message, options)
  }
}

const TIMEOUT_MS = 10_000
/**
 * A REST call may wait on the chain (a claim or a faucet's transactions mined
 * with their confirmations, bounded by the settlement's 10 min confirm
 * timeout): the CLI waits beyond that bound rather than give up on a call the
 * daemon is still making.
 */
const REST_TIMEOUT_MS = 11 * 60_000

export class RemoteOps implements NodeOps {
  readonly #socketPath: string

  constructor(socketPath: string) {
    this.#socketPath = socketPath
  }

  async status(): Promise<NodeStatus> {
    return await this.#call<NodeStatus>('GET', '/status')
  }
  async createAppKey(name: string): Promise<NewAppKey> {
    return await this.#call<NewAppKey>('POST', '/app-keys', { name })
  }
  async listAppKeys(): Promise<AppKeyInfo[]> {
    return await this.#call<AppKeyInfo[]>('GET', '/app-keys')
  }
  async dropAppKey(nameOrId: string): Promise<AppKeyInfo> {
    return await this.#call<AppKeyInfo>('DELETE', `/app-keys/${encodeURIComponent(nameOrId)}`)
  }

  /** A single-use dashboard login link (60 s) whose session acts as the app-key named, or as the daemon's own. */
  async dashboardLogin(appKey?: string): Promise<{ url: string; expiresAt: string; appKey: string }> {
    return await this.#call('POST', '/dashboard-login', appKey === undefined ? {} : { appKey })
  }

  /** Calls the daemon's REST API through the admin socket (no app-key needed): `path` as the API serves it. */
  async rest<T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
    return await this.#call<T>(method, `${API_PASSTHROUGH_PREFIX}${path}`, body, REST_TIMEOUT_MS)
  }

  async close(): Promise<void> {}

  #call<T>(method: string, path: string, body?: unknown, timeoutMs = TIMEOUT_MS): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body)
    return new Promise<T>((resolve, reject) => {
      const req = request(
        {
          socketPath: this.#socketPath,
          // One connection per call, closed with its answer: a kept-alive socket
          // would hold the CLI (or the daemon's stop) open for nothing.
          agent: false,
          method,
          path,
          timeout: timeoutMs,
          headers: payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
        },
        res => {
          const chunks: Buffer[] = []
          res.on('data', (chunk: Buffer) => chunks.push(chunk))
          res.on('error', reject)
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8')
            const status = res.statusCode ?? 0
            // A 204 (a DELETE) has no body to read.
            if (text === '' && status >= 200 && status < 300) {
              resolve(undefined as T)
              return
            }
            let parsed: unknown
            try {
              parsed = JSON.parse(text)
            } catch {
              reject(new Error(`the daemon answered ${res.statusCode ?? '?'} with something not JSON`))
              return
            }
            if (status >= 200 && status < 300) resolve(parsed as T)
            else reject(new Error((parsed as { message?: string }).message ?? `the daemon answered ${status}`))
          })
        }
      )
      req.on('timeout', () => req.destroy(new Error('the daemon did not answer on its admin socket')))
      req.on('error', (err: NodeJS.ErrnoException) => {
        reject(err.code === 'ENOENT' || err.code === 'ECONNREFUSED' ? new NoDaemonError('no daemon is running') : err)
      })
      req.end(payload)
    })
  }
}
