// The SDK's public shapes: what a requester passes to connect, rent, pools and
// the executor, and what it gets back. Money is `bigint` base units inside and
// decimal strings (token units, e.g. "0.5") at the edges, as in the REST API.
import type { ErrorCode } from '../net/kernel.ts'

/** Where the requester's daemon is and the app-key it accepts. */
export interface ConnectOptions {
  /** Default: AGORA_API_URL, then YAGNA_API_URL, then http://127.0.0.1:7465. */
  readonly url?: string
  /** Default: AGORA_APPKEY, then YAGNA_APPKEY. */
  readonly appKey?: string
  /** Ends every wait of this connection. */
  readonly signal?: AbortSignal
}

/** The least a provider must offer. */
export interface Resources {
  readonly minCpuThreads?: number
  readonly minMemGib?: number
  readonly minStorageGib?: number
}

/** Highest prices accepted, in token units as decimal strings, in golemsp's terms. */
export interface MaxPrices {
  readonly startPrice?: string
  readonly cpuPerHour?: string
  readonly envPerHour?: string
}

/** An offer as the SDK shows it to a filter and in events. */
export interface OfferSummary {
  readonly offerId: string
  readonly providerId: string
  readonly providerName?: string
  readonly runtime: string
  readonly cpuThreads?: number
  readonly memGib?: number
  readonly storageGib?: number
  /** Per-hour prices and start price in token units (decimal strings), from the offer's linear coefficients. */
  readonly prices: { readonly startPrice: string; readonly cpuPerHour: string; readonly envPerHour: string }
  readonly properties: Readonly<Record<string, unknown>>
}

export interface RentOptions {
  readonly runtime: 'wasmtime' | 'vm'
  /**
   * wasmtime: a Golem task package (`hash:sha3:<hex>:<url>`) or a local .wasm path, served to the provider from this
   * requester. vm: `docker:<image>` present on the provider, a GVMI task package, or a local `docker save`/GVMI file.
   */
  readonly image: string
  readonly resources?: Resources
  /** Either or both: prices no offer may exceed, and the most this rental may cost in all. */
  readonly maxPrices?: MaxPrices
  /** Token units (decimal string) or base units (bigint). */
  readonly budget?: string | bigint
  /** How long the rental may last, in seconds (default 3,600). */
  readonly duration?: number
  /** Offers the caller refuses, on top of the constraints. */
  readonly filter?: (offer: OfferSummary) => boolean
  /** Providers never to pick (node ids). */
  readonly avoid?: readonly string[]
  /** How long to look for a provider before failing with NoMatchingOffersError (ms; default 30,000). */
  readonly startupTimeoutMs?: number
  /** Default: the daemon's default platform. */
  readonly paymentPlatform?: string
  /** Only offers of this subnet (golem.node.debug.subnet). */
  readonly subnet?: string
  /**
   * A dataset to run next to (agora.data.name, e.g. "clinic-a"): only its owner's data offers match, and the owner's
   * policy decides whether the image may run on it (the image must then be a task package with its hash).
   */
  readonly dataset?: string
  /** A signed algorithm manifest (its canonical JSON text) for an owner that trusts the algorithm by its publisher. */
  readonly manifest?: string
  readonly signal?: AbortSignal
}

export interface RunOptions {
  /** Environment variables for the command. */
  readonly env?: Readonly<Record<string, string>>
  /** Ends the command's wait (AbortedError); the command itself runs on to its end or the provider's run limit. */
  readonly signal?: AbortSignal
  readonly timeoutMs?: number
  /** Return a non-zero exit code instead of throwing CommandFailedError. */
  readonly allowFailure?: boolean
}

export interface RunResult {
  readonly stdout: string
  readonly stderr: string
  readonly exitCode: number
}

/** Output as it comes, then the result (same rules as run for failures). */
export interface RunStream {
  readonly stdout: AsyncIterable<string>
  readonly stderr: AsyncIterable<string>
  readonly result: Promise<RunResult>
}

export interface ReleaseOptions {
  /** Most time release waits for the invoice and its acceptance before it returns anyway (ms; default 30,000). */
  readonly timeoutMs?: number
}

/** What a finished rental cost and how it was settled. */
export interface RentalReport {
  readonly agreementId: string
  readonly providerId: string
  /** Accepted in all (base units). */
  readonly cost: bigint
  readonly invoiceId?: string
  /** Rejected documents with their reason (e.g. INCORRECT_AMOUNT). */
  readonly rejected: readonly { readonly documentId: string; readonly reason: string; readonly message?: string }[]
}

export type RentalState = 'active' | 'releasing' | 'released' | 'lost' | 'terminated'

export interface RentalEventMap {
  /** The provider ended the agreement, or stopped answering: every later call throws ProviderLostError. */
  lost: CustomEvent<{ readonly reason: string; readonly code?: string }>
  /** A debit note or invoice was accepted; `cost` is the total accepted so far (base units). */
  cost: CustomEvent<{ readonly cost: bigint; readonly documentId: string }>
  /** A debit note or invoice was rejected. */
  rejected: CustomEvent<{ readonly documentId: string; readonly reason: string; readonly message?: string }>
}

export interface Rental extends EventTarget {
  readonly agreementId: string
  readonly activityId: string
  readonly provider: { readonly id: string; readonly name?: string }
  readonly state: RentalState
  /** Accepted so far (base units). */
  readonly cost: bigint
  /** `command` with `args`: that entry point; alone on vm: run by /bin/sh -c. */
  run(command: string, args?: readonly string[], options?: RunOptions): Promise<RunResult>
  runAndStream(command: string, args?: readonly string[], options?: RunOptions): RunStream
  /** Local file (path) or bytes to a path in the activity. */
  upload(source: string | Uint8Array, remotePath: string, options?: { readonly signal?: AbortSignal }): Promise<void>
  /** A path in the activity to a local file. */
  download(remotePath: string, localPath: string, options?: { readonly signal?: AbortSignal }): Promise<void>
  /** Ends the activity and the agreement, accepts what is honestly owed, bounded in time. Idempotent. */
  release(options?: ReleaseOptions): Promise<RentalReport>
}

export interface PoolOptions extends RentOptions {
  /** Rentals kept ready (and rented up front). */
  readonly min: number
  /** Never more rentals at once. */
  readonly max: number
  /**
   * New rentals look first (5 s) among providers the pool does not hold yet, one rent at a time, so work spreads
   * over the market (default true; min's up-front rents run at once and do not spread).
   */
  readonly spread?: boolean
}

export interface AcquireOptions {
  readonly signal?: AbortSignal
  /** Providers (node ids) this caller will not take: an idle rental of one is passed over, a new rental avoids them. */
  readonly avoid?: readonly string[]
}

export interface RentalPool {
  /** Rentals held now: idle, in use and being rented. */
  readonly size: number
  /** Idle rentals ready to be acquired. */
  readonly available: number
  /** An idle rental, else a new one while below max, else waits for one to be released. */
  acquire(options?: AcquireOptions): Promise<Rental>
  release(rental: Rental): Promise<void>
  /** Takes the rental out of the pool and releases it (a broken one); replaced while below min. */
  destroy(rental: Rental): Promise<void>
  /** Gives the rental back even when fn throws; a rental whose provider was lost is destroyed, not reused. */
  withRental<T>(fn: (rental: Rental) => Promise<T>, options?: AcquireOptions): Promise<T>
  /** Waits for rentals in use, then releases every one. */
  drain(options?: ReleaseOptions): Promise<RentalReport[]>
}

export interface TaskContext {
  readonly rental: Rental
  /** Aborted at the attempt's timeout or the run's cancellation. */
  readonly signal: AbortSignal
  readonly attempt: number
}

export type Task<I, O> = (context: TaskContext, input: I) => Promise<O>

export interface MapOptions {
  readonly concurrency?: number
  /** Attempts after the first (default 3). */
  readonly retries?: number
  /** Per attempt (ms). */
  readonly timeout?: number
  readonly signal?: AbortSignal
}

export interface ExecutorOptions extends PoolOptions {
  /** Failures after which a provider is avoided for the rest of the run (default 2). */
  readonly providerFailureLimit?: number
}

export interface ExecutorEventMap {
  queued: CustomEvent<{ readonly index: number }>
  started: CustomEvent<{ readonly index: number; readonly attempt: number; readonly providerId: string }>
  retried: CustomEvent<{ readonly index: number; readonly attempt: number; readonly providerId: string; readonly error: Error }>
  done: CustomEvent<{ readonly index: number; readonly providerId: string }>
  failed: CustomEvent<{ readonly index: number; readonly error: Error }>
  /** Total accepted across the executor's rentals (base units). */
  cost: CustomEvent<{ readonly cost: bigint }>
}

export interface TaskExecutor extends EventTarget {
  map<I, O>(inputs: Iterable<I>, task: Task<I, O>, options?: MapOptions): Promise<O[]>
  forEach<I>(inputs: Iterable<I>, task: Task<I, void>, options?: MapOptions): Promise<void>
  /** Releases every rental (bounded); returns their reports. */
  shutdown(options?: ReleaseOptions): Promise<RentalReport[]>
}

/** Why a demand found no provider: the daemon's explanation (POST /agora-api/v1/market/explain). */
export interface MatchExplanation {
  /** Offers the requester's daemon knows now. */
  readonly offersKnown: number
  readonly matching: number
  /**
   * Each of the demand's constraint terms and how many known offers it excluded (a term excludes an offer unless it is
   * True for it; `undefinedCount`: of those, how many because it was Undefined, the offer lacking the property).
   */
  readonly demandConstraints: readonly { readonly constraint: string; readonly excluded: number; readonly undefinedCount?: number }[]
  /** Offers whose own constraints refused the demand, by the offer's failing term. */
  readonly offerConstraints: readonly { readonly constraint: string; readonly excluded: number; readonly undefinedCount?: number }[]
  /** Offers left out by the SDK's own checks (max prices, filter, avoided providers), by check. */
  readonly sdkChecks?: readonly { readonly check: string; readonly excluded: number }[]
}

/** The REST API's error body, as the daemon sends it. */
export interface ApiErrorBody {
  readonly code?: ErrorCode
  readonly message: string
  readonly correlationId?: string
}

/** A connection to a requester daemon (what `connect` returns). */
export interface AgoraClient {
  /** The REST API of the daemon, with the connection's app-key. */
  readonly api: import('./client/api-client.ts').ApiClient
  /** The requester's node id (GET /me). */
  readonly identity: string
  /** Finds a provider within the options and starts an activity on it. */
  rent(options: RentOptions): Promise<Rental>
  /** A pool: `min` rentals rented up front (it resolves when they are ready), never more than `max` at once. */
  rentMany(options: PoolOptions): Promise<RentalPool>
  /** A task executor over rentals of this connection; it rents nothing until its first map. close() cancels its maps. */
  executor(options: ExecutorOptions): TaskExecutor
  /**
   * Releases every rental (bounded, as Rental.release; `now`: without waiting for invoices, accepting what the
   * debit notes honestly owe), stops watching payments and gives the allocation back. Idempotent.
   */
  close(options?: { readonly now?: boolean }): Promise<RentalReport[]>
}
