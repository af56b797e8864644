// An ethers provider over several RPC URLs, tried in the configured order:
// a URL that fails a call (no connection, a timeout, an HTTP error, a body
// that is not JSON-RPC) is passed over for a cool-down, and the same call
// goes to the next one. A JSON-RPC error reply (a revert, a nonce too low) is
// an answer, not a failure: it is returned as it came. One failing node never
// halts payments, and a payment is never sent twice because of the failover
// (a raw transaction sent again to another node is the same transaction).
import { FetchRequest, JsonRpcProvider, Network } from 'ethers'
import type { JsonRpcPayload, JsonRpcResult } from 'ethers'
import { type Clock, silentLogger, systemClock } from '../../net/index.ts'
import type { Logger } from '../../net/index.ts'
import { ChainError } from './chain-error.ts'

export interface FailoverProviderComponents {
  logger?: Logger
  clock?: Pick<Clock, 'now'>
}

export interface FailoverProviderInit {
  rpcUrls: readonly string[]
  chainId: number
  /** How long one call to one URL may take (default 10 s). */
  callTimeoutMs?: number
  /** How long a URL that failed is passed over (default 30 s). */
  coolDownMs?: number
  /** How often ethers polls for new blocks (default 4 s; tests on a dev chain use less). */
  pollingIntervalMs?: number
}

interface Endpoint {
  readonly url: string
  downUntil: number
}

export class FailoverProvider extends JsonRpcProvider {
  readonly #endpoints: Endpoint[]
  readonly #log: Logger
  readonly #clock: Pick<Clock, 'now'>
  readonly #callTimeoutMs: number
  readonly #coolDownMs: number

  constructor(components: FailoverProviderComponents, init: FailoverProviderInit) {
    if (init.rpcUrls.length === 0) throw new ChainError('BadRequest', 'a provider needs at least one RPC URL')
    const network = Network.from(init.chainId)
    super(init.rpcUrls[0], network, { staticNetwork: network, cacheTimeout: -1, pollingInterval: init.pollingIntervalMs ?? 4_000 })
    this.#endpoints = init.rpcUrls.map(url => ({ url, downUntil: 0 }))
    this.#log = (components.logger ?? silentLogger).child({ component: 'payment:rpc' })
    this.#clock = components.clock ?? systemClock
    this.#callTimeoutMs = init.callTimeoutMs ?? 10_000
    this.#coolDownMs = init.coolDownMs ?? 30_000
  }

  /** The URLs in the order the next call tries them: those not cooling down first, each group as configured. */
  get order(): readonly string[] {
    const now = this.#clock.now()
    const up = this.#endpoints.filter(e => e.downUntil <= now)
    const down = this.#endpoints.filter(e => e.downUntil > now)
    return [...up, ...down].map(e => e.url)
  }

  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    let lastError: unknown
    for (const url of this.order) {
      try {
        return await this.#sendTo(url, payload)
      } catch (err) {
        lastError = err
        const endpoint = this.#endpoints.find(e => e.url === url)!
        endpoint.downUntil = this.#clock.now() + this.#coolDownMs
        this.#log.warn({ err, url }, 'an RPC URL failed; trying the next')
      }
    }
    throw new ChainError('Unavailable', `none of the ${this.#endpoints.length} RPC URLs answered`, { cause: lastError })
  }

  async #sendTo(url: string, payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    const request = new FetchRequest(url)
    request.timeout = this.#callTimeoutMs
    request.body = JSON.stringify(payload)
    request.setHeader('content-type', 'application/json')
    // Throttled answers (429) go to the next URL at once rather than waiting here.
    request.retryFunc = async () => false
    const response = await request.send()
    response.assertOk()
    const body: unknown = response.bodyJson
    const replies = Array.isArray(body) ? body : [body]
    if (!replies.every(isJsonRpcReply)) throw new Error(`${url} answered something that is not JSON-RPC`)
    return replies
  }
}

function isJsonRpcReply(value: unknown): value is JsonRpcResult {
  return typeof value === 'object' && value !== null && 'id' in value && ('result' in value || 'error' in value)
}
