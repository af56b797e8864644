// connect(): a client of one requester daemon. The URL and app-key come from the
// options, else AGORA_API_URL / AGORA_APPKEY, else YAGNA_API_URL / YAGNA_APPKEY
// (so a golem-js user's environment works as it is); the key is checked at once
// (GET /me), so a wrong one fails here, saying where it came from.
import { systemClock } from '../net/kernel.ts'
import type { Clock } from '../net/kernel.ts'
import type { ApiClient } from './client/api-client.ts'
import { HttpApiClient } from './client/http-api-client.ts'
import { AppKeyRefusedError, SdkError } from './errors.ts'
import { createPaymentGuard } from './payments/index.ts'
import { openAllocation } from './payments/shared-allocation.ts'
import type { SdkAllocation } from './payments/shared-allocation.ts'
import type { PaymentGuard } from './payments/payment-guard.ts'
import { AgreementWatch } from './rental/agreement-watch.ts'
import { withRentReport } from './rental/failed-rent.ts'
import { rent } from './rental/rent.ts'
import type { AgoraRental } from './rental/rental.ts'
import { createExecutor } from './executor/index.ts'
import { anySignal, createRentalPool } from './pool/index.ts'
import { federated } from './federated/index.ts'
import type {
  AgoraClient,
  ClearAggregate,
  ClearFederatedResult,
  ConnectOptions,
  ExecutorOptions,
  FederatedOptions,
  FederatedPartialSum,
  PoolOptions,
  Rental,
  RentalPool,
  RentalReport,
  RentOptions,
  SecureAggregate,
  SecureFederatedResult,
  TaskExecutor
} from './types.ts'

export const DEFAULT_API_URL = 'http://127.0.0.1:7465'
/** close({ now: true }): how long each rental still waits for its documents (ms). */
const CLOSE_NOW_MS = 2_000

/** What a client is built of; each part has a default (tests give their own). */
export interface ConnectComponents {
  readonly clock?: Clock
  /** The payment guard of the connection's rentals. */
  readonly guard?: (api: ApiClient, clock: Clock) => PaymentGuard
  /** Where AGORA_* / YAGNA_* are read from (default: process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>
}

export async function connect(options: ConnectOptions = {}, components: ConnectComponents = {}): Promise<AgoraClient> {
  const env = components.env ?? process.env
  const url = options.url ?? env.AGORA_API_URL ?? env.YAGNA_API_URL ?? DEFAULT_API_URL
  checkUrl(url)
  const mandateMs = options.invoiceMandateMs
  if (mandateMs !== undefined && !(Number.isSafeInteger(mandateMs) && mandateMs >= 0)) {
    throw new SdkError('BadRequest', `invoiceMandateMs must be a whole number of milliseconds, 0 or more, not ${String(mandateMs).slice(0, 40)}`)
  }
  const key = appKeyOf(options, env)
  const api = new HttpApiClient({ url, appKey: key.appKey, appKeySource: key.source, ...(options.signal === undefined ? {} : { signal: options.signal }) })
  const { identity } = await api.call<{ identity: string }>('GET', '/me')
  const clock = components.clock ?? systemClock
  const guard = components.guard?.(api, clock) ?? createPaymentGuard(api, { clock, ...(mandateMs === undefined ? {} : { invoiceMandateMs: mandateMs }) })
  return new Client(api, identity, clock, guard)
}

function appKeyOf(options: ConnectOptions, env: Readonly<Record<string, string | undefined>>): { appKey: string; source: string } {
  if (options.appKey !== undefined) return { appKey: options.appKey, source: 'the appKey option' }
  for (const name of ['AGORA_APPKEY', 'YAGNA_APPKEY']) {
    const value = env[name]
    if (value !== undefined && value !== '') return { appKey: value, source: name }
  }
  throw new AppKeyRefusedError('no app-key: pass { appKey } to connect, or set AGORA_APPKEY (or YAGNA_APPKEY); create one with `agora app-key create <name>`')
}

function checkUrl(url: string): void {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new SdkError('BadRequest', `the daemon's URL ${JSON.stringify(url).slice(0, 200)} is not a URL`)
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new SdkError('BadRequest', `the daemon's URL must be http or https, not ${parsed.protocol}`)
}

class Client implements AgoraClient {
  readonly api: ApiClient
  readonly identity: string
  readonly #clock: Clock
  readonly #guard: PaymentGuard
  readonly #watch: AgreementWatch
  readonly #rentals = new Set<AgoraRental>()
  /** One allocation per payment platform ('' for the daemon's default), shared by the rentals. */
  readonly #allocations = new Map<string, Promise<SdkAllocation>>()
  #closed: Promise<RentalReport[]> | undefined
  readonly #closing = new AbortController()

  constructor(api: ApiClient, identity: string, clock: Clock, guard: PaymentGuard) {
    this.api = api
    this.identity = identity
    this.#clock = clock
    this.#guard = guard
    this.#watch = new AgreementWatch(api, clock)
  }

  async rent(options: RentOptions): Promise<Rental> {
    if (this.#closed !== undefined) throw new SdkError('Gone', 'this connection is closed')
    const rental = await rent(
      {
        api: this.api,
        clock: this.#clock,
        guard: this.#guard,
        watch: this.#watch,
        allocationFor: async (platform, budget) => await this.#allocationFor(platform, budget),
        onReleased: released => this.#rentals.delete(released)
      },
      options
    )
    if (this.#closed !== undefined) {
      // Its report goes with the error: what the agreement cost is accounted for.
      throw withRentReport(new SdkError('Gone', 'this connection was closed while renting'), await rental.release())
    }
    this.#rentals.add(rental)
    return rental
  }

  rentMany(options: PoolOptions): Promise<RentalPool> {
    return createRentalPool(rentOptions => this.#rentUntilClosed(rentOptions), options, { clock: this.#clock })
  }

  executor(options: ExecutorOptions): TaskExecutor {
    const signal = anySignal(options.signal, this.#closing.signal) as AbortSignal
    return createExecutor(rentOptions => this.#rentUntilClosed(rentOptions), { ...options, signal }, { clock: this.#clock })
  }

  federated<C = FederatedPartialSum>(options: FederatedOptions<C> & { readonly aggregate?: 'clear' | ClearAggregate }): Promise<ClearFederatedResult<C>>
  federated(options: FederatedOptions & { readonly aggregate: SecureAggregate }): Promise<SecureFederatedResult>
  async federated<C>(options: FederatedOptions<C>): Promise<ClearFederatedResult<C> | SecureFederatedResult> {
    return await federated(this, { ...options, signal: anySignal(options.signal, this.#closing.signal) as AbortSignal })
  }

  /** A rent that closing the connection cuts short (pools and executors rent through it). */
  #rentUntilClosed(options: RentOptions): Promise<Rental> {
    return this.rent({ ...options, signal: anySignal(options.signal, this.#closing.signal) as AbortSignal })
  }

  close(options: { readonly now?: boolean } = {}): Promise<RentalReport[]> {
    // Maps stop taking tasks and rents under way stop before the rentals are released.
    this.#closing.abort()
    this.#closed ??= this.#close(options.now === true)
    return this.#closed
  }

  async #close(now: boolean): Promise<RentalReport[]> {
    const reports = await Promise.all([...this.#rentals].map(async rental => await rental.release(now ? { timeoutMs: CLOSE_NOW_MS } : {})))
    await this.#guard.close().catch(() => {})
    await this.#watch.close()
    for (const allocation of this.#allocations.values()) await (await allocation.catch(() => undefined))?.release().catch(() => {})
    return reports
  }

  async #allocationFor(platform: string | undefined, budget: bigint): Promise<SdkAllocation> {
    const key = platform ?? ''
    const existing = this.#allocations.get(key)
    if (existing !== undefined) {
      const allocation = await existing.catch(() => undefined)
      if (allocation !== undefined) {
        await allocation.grow(budget)
        return allocation
      }
    }
    const opened = openAllocation(this.api, { budget, ...(platform === undefined ? {} : { platform }) })
    this.#allocations.set(key, opened)
    return await opened
  }
}
