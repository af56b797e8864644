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
  /**
   * How long the daemon still answers the invoice of a rental whose release returned before it came: accepted
   * if it asks no more than the debit notes and the most usage the activities can have had justify, rejected
   * otherwise (ms; default 24 hours; 0 leaves such an invoice RECEIVED for a client to answer).
   */
  readonly invoiceMandateMs?: number
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
  /** The invoice had not come by the release's bound: the daemon answers it, within this mandate. */
  readonly invoiceMandate?: InvoiceMandateReport
}

/** An invoice handed to the requester's daemon: accepted if it asks at most `maxAmount`, rejected otherwise. */
export interface InvoiceMandateReport {
  /** Base units, cumulative for the agreement. */
  readonly maxAmount: bigint
  /** Until when (epoch ms); an invoice that comes later waits for a client. */
  readonly expiresAt: number
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
  /** `providerName`: the provider's name as its offer gives it (golem.node.id.name), when it gives one. */
  started: CustomEvent<{ readonly index: number; readonly attempt: number; readonly providerId: string; readonly providerName?: string }>
  retried: CustomEvent<{ readonly index: number; readonly attempt: number; readonly providerId: string; readonly providerName?: string; readonly error: Error }>
  done: CustomEvent<{ readonly index: number; readonly providerId: string; readonly providerName?: string }>
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

/** One owner's dataset in a federated run: by its name, and at one owner (node id) when several hold that name. */
export interface FederatedDataset {
  readonly name: string
  readonly provider?: string
}

/** The algorithm whose local step runs next to every dataset. */
export interface FederatedAlgorithm {
  /** A task package with its hash (`hash:sha3:<hex>:<url>`), or a local file served by the requester's daemon. */
  readonly image: string
  /** Default "wasmtime". */
  readonly runtime?: 'wasmtime' | 'vm'
  /** The command of the local step (default "main"). */
  readonly command?: string
  /** The signed manifest's JSON text, for owners that trust the algorithm by its publisher. */
  readonly manifest?: string
}

/** Secure aggregation: the requester's daemon sums masked vectors and sees only the sum. */
export interface SecureAggregate {
  readonly secure: {
    /** How many numbers every owner's vector holds. */
    readonly length: number
    /** Owners that must finish for the sum to exist (default: all of them). */
    readonly threshold?: number
    /** The fixed-point precision (default: the daemon's). */
    readonly fractionalBits?: number
    /** How long each round of the protocol waits for a silent owner (ms; default: the daemon's). */
    readonly roundTimeoutMs?: number
  }
}

/** In the clear: every owner's partial comes to the requester (their policies must release to it). */
export interface ClearAggregate {
  readonly clear: {
    /** Owners whose partial must come back (default: all of them). */
    readonly threshold?: number
  }
}

/** A partial result as the owner's output guard released it (/out/partial.json), by its declared kind. */
export type FederatedPartial =
  | { readonly kind: 'aggregate'; readonly rows: number; readonly values: Readonly<Record<string, number>> }
  | { readonly kind: 'histogram'; readonly cells: readonly { readonly key: string; readonly count: number }[] }
  | { readonly kind: 'vector'; readonly rows: number; readonly values: readonly number[] }
  | { readonly kind: 'model'; readonly rows: number; readonly weights: readonly number[] }

export interface FederatedRentTerms {
  /** Each owner's rental: token units (decimal string) or base units (bigint), exact as in rent(). */
  readonly budget?: string | bigint
  readonly maxPrices?: MaxPrices
  readonly resources?: Resources
  /** Seconds (default 3,600). */
  readonly duration?: number
  /** How long to look for each owner's offer (ms; default 30,000). */
  readonly startupTimeoutMs?: number
  readonly paymentPlatform?: string
  readonly subnet?: string
  /** How long each rental's release waits for its invoice (ms; default 30,000). */
  readonly releaseTimeoutMs?: number
  /** How long each owner's local step may take (ms; default 600,000). */
  readonly stepTimeoutMs?: number
  readonly signal?: AbortSignal
}

export interface FederatedOptions<C = FederatedPartialSum> extends FederatedRentTerms {
  readonly datasets: readonly FederatedDataset[]
  readonly algorithm: FederatedAlgorithm
  /** The local step's arguments (the same at every owner). */
  readonly args?: readonly string[]
  /** Default "clear". */
  readonly aggregate?: 'clear' | ClearAggregate | SecureAggregate
  /** The file of /out each owner's step writes (default /out/partial.json). */
  readonly output?: string
  /** Clear only: the combined value of the partials (default: their sum, sumPartials). */
  readonly combine?: (partials: readonly FederatedPartial[]) => C
}

/** What one owner did in a run. */
export interface FederatedOwnerReport {
  readonly dataset: string
  /** Empty when no offer of the dataset was rented. */
  readonly providerId: string
  readonly agreementId?: string
  /** "dropped": not rented, failed, lost, or (secure) not among the session's survivors. */
  readonly status: 'ok' | 'dropped'
  readonly error?: { readonly code: ErrorCode; readonly message: string }
}

/** The default combination of clear partials: values summed by name (aggregate), by position (vector, model), counts by key (histogram). */
export interface FederatedPartialSum {
  readonly kind: FederatedPartial['kind']
  readonly rows: number
  readonly values: readonly number[]
  readonly names?: readonly string[]
  readonly cells?: readonly { readonly key: string; readonly count: number }[]
}

interface FederatedRunBase {
  readonly owners: readonly FederatedOwnerReport[]
  /** The rentals' reports (every rental is released before a run returns); empty for a federation's step (see close). */
  readonly rentals: readonly RentalReport[]
  /** Accepted across the rentals (base units): in all for a run, so far for a step. */
  readonly cost: bigint
}

export interface ClearFederatedResult<C = FederatedPartialSum> extends FederatedRunBase {
  readonly aggregate: 'clear'
  readonly partials: readonly { readonly dataset: string; readonly providerId: string; readonly partial: FederatedPartial }[]
  readonly combined: C
}

export interface SecureFederatedResult extends FederatedRunBase {
  readonly aggregate: 'secure'
  readonly sessionId: string
  /** The sum of the survivors' vectors, decoded. */
  readonly sum: readonly number[]
  /** The same sum as exact fixed-point integers (decimal strings). */
  readonly sumFixed: readonly string[]
  readonly fractionalBits: number
  /** Node ids of the owners whose inputs are in the sum, and of those that dropped out. */
  readonly survivors: readonly string[]
  readonly dropped: readonly string[]
}

/** Rentals held at every owner for several steps (e.g. the rounds of a training). */
export interface Federation {
  readonly owners: readonly FederatedOwnerReport[]
  /** One local step at every owner still held, combined in the clear. */
  step<C = FederatedPartialSum>(step: FederatedStep<C> & { readonly aggregate?: 'clear' | ClearAggregate }): Promise<ClearFederatedResult<C>>
  /** One local step at every owner still held, summed securely. */
  step(step: FederatedStep & { readonly aggregate: SecureAggregate }): Promise<SecureFederatedResult>
  /** Releases every rental (bounded); idempotent. */
  close(): Promise<RentalReport[]>
}

export interface FederatedStep<C = FederatedPartialSum> {
  readonly args?: readonly string[]
  readonly aggregate?: 'clear' | ClearAggregate | SecureAggregate
  readonly output?: string
  readonly combine?: (partials: readonly FederatedPartial[]) => C
  readonly signal?: AbortSignal
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
  /** The algorithm's local step at every dataset's owner in parallel, combined in the clear (see sdk/federated). */
  federated<C = FederatedPartialSum>(options: FederatedOptions<C> & { readonly aggregate?: 'clear' | ClearAggregate }): Promise<ClearFederatedResult<C>>
  /** The same, summed by secure aggregation on the requester's daemon: no partial is ever seen. */
  federated(options: FederatedOptions & { readonly aggregate: SecureAggregate }): Promise<SecureFederatedResult>
  /**
   * Releases every rental (bounded, as Rental.release; `now`: without waiting for invoices, accepting what the
   * debit notes honestly owe), stops watching payments and gives the allocation back. Idempotent.
   */
  close(options?: { readonly now?: boolean }): Promise<RentalReport[]>
}
