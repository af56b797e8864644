// A federation: one rental at every dataset's owner, rented in parallel (a
// demand naming the dataset, with the algorithm's image), held for one or
// more local steps, each combined in the clear or summed securely, and
// released whatever happens (each release bounded). An owner whose offer is
// not found, whose step fails or whose provider is lost is a dropout: it is
// reported, and a step goes on while enough owners remain for its threshold.
import { CodedError, isErrorCode } from '../../net/kernel.ts'
import type { ErrorCode } from '../../net/kernel.ts'
import { FederatedRunError, SdkError } from '../errors.ts'
import { throwIfAborted } from '../pool/index.ts'
import type {
  AgoraClient,
  ClearAggregate,
  ClearFederatedResult,
  FederatedDataset,
  FederatedOptions,
  FederatedOwnerReport,
  FederatedPartialSum,
  FederatedStep,
  Federation,
  Rental,
  RentalReport,
  RentOptions,
  SecureAggregate,
  SecureFederatedResult
} from '../types.ts'
import { runClearStep } from './clear-step.ts'
import { checkFederatedOptions, checkStep } from './options.ts'
import { runSecureStep } from './secure-step.ts'

/** Each owner's local step may take this long by default (ms). */
export const DEFAULT_STEP_TIMEOUT_MS = 600_000

/** An owner of the federation: its dataset, and its rental while it is held. */
export interface Owner {
  readonly dataset: string
  rental: Rental | undefined
  report: FederatedOwnerReport
}

export interface StepContext {
  readonly client: AgoraClient
  readonly command: string
  readonly stepTimeoutMs: number
}

export async function openFederation(client: AgoraClient, options: FederatedOptions<unknown>): Promise<Federation> {
  const { datasets, algorithm, rent } = checkFederatedOptions(options)
  const owners = await rentOwners(client, datasets, rent)
  return new HeldFederation(
    { client, command: algorithm.command, stepTimeoutMs: options.stepTimeoutMs ?? DEFAULT_STEP_TIMEOUT_MS },
    owners,
    options.releaseTimeoutMs
  )
}

/** Opens, runs one step, and releases: a federated run. */
export function federated<C = FederatedPartialSum>(
  client: AgoraClient,
  options: FederatedOptions<C> & { readonly aggregate?: 'clear' | ClearAggregate }
): Promise<ClearFederatedResult<C>>
export function federated(client: AgoraClient, options: FederatedOptions & { readonly aggregate: SecureAggregate }): Promise<SecureFederatedResult>
export function federated<C>(client: AgoraClient, options: FederatedOptions<C>): Promise<ClearFederatedResult<C> | SecureFederatedResult>
export async function federated<C = FederatedPartialSum>(
  client: AgoraClient,
  options: FederatedOptions<C>
): Promise<ClearFederatedResult<C> | SecureFederatedResult> {
  const federation = await openFederation(client, options as FederatedOptions<unknown>)
  let result: ClearFederatedResult<C> | SecureFederatedResult | undefined
  try {
    result = await (federation as HeldFederation).stepAny<C>(options)
  } finally {
    const rentals = await federation.close()
    if (result !== undefined) result = { ...result, rentals, cost: costOf(rentals), owners: federation.owners }
  }
  return result
}

class HeldFederation implements Federation {
  readonly #context: StepContext
  readonly #owners: Owner[]
  readonly #releaseTimeoutMs: number | undefined
  #closed: Promise<RentalReport[]> | undefined

  constructor(context: StepContext, owners: Owner[], releaseTimeoutMs: number | undefined) {
    this.#context = context
    this.#owners = owners
    this.#releaseTimeoutMs = releaseTimeoutMs
  }

  get owners(): readonly FederatedOwnerReport[] {
    return this.#owners.map(owner => owner.report)
  }

  step<C = FederatedPartialSum>(step: FederatedStep<C>): Promise<ClearFederatedResult<C>>
  step(step: FederatedStep): Promise<SecureFederatedResult>
  async step<C>(step: FederatedStep<C>): Promise<ClearFederatedResult<C> | SecureFederatedResult> {
    return await this.stepAny(step)
  }

  async stepAny<C>(step: FederatedStep<C>): Promise<ClearFederatedResult<C> | SecureFederatedResult> {
    if (this.#closed !== undefined) throw new SdkError('Gone', 'this federation is closed')
    const checked = checkStep(step as FederatedStep<unknown>, this.#owners.length)
    throwIfAborted(step.signal, 'the federated step')
    const held = this.#owners.filter(owner => owner.rental !== undefined && owner.rental.state === 'active')
    for (const owner of this.#owners) if (owner.rental !== undefined && !held.includes(owner)) dropOwner(owner, new SdkError('Gone', 'the provider was lost'))
    if (held.length < checked.aggregate.threshold) throw belowThreshold(this.owners, held.length, checked.aggregate.threshold)
    const common = { args: checked.args, output: checked.output, ...(step.signal === undefined ? {} : { signal: step.signal }) }
    if (checked.aggregate.mode === 'secure')
      return { ...(await runSecureStep(this.#context, held, { ...common, aggregate: checked.aggregate })), ...this.#interim() }
    const combine = step.combine
    const clear = await runClearStep(this.#context, held, { ...common, threshold: checked.aggregate.threshold, ...(combine === undefined ? {} : { combine }) })
    return { ...clear, ...this.#interim() } as ClearFederatedResult<C>
  }

  /** A step's owners and what the rentals cost so far (their reports come with close). */
  #interim(): { owners: readonly FederatedOwnerReport[]; rentals: readonly RentalReport[]; cost: bigint } {
    return { owners: this.owners, rentals: [], cost: this.#owners.reduce((total, owner) => total + (owner.rental?.cost ?? 0n), 0n) }
  }

  close(): Promise<RentalReport[]> {
    this.#closed ??= Promise.all(
      this.#owners.flatMap(owner =>
        owner.rental === undefined ? [] : [owner.rental.release(this.#releaseTimeoutMs === undefined ? {} : { timeoutMs: this.#releaseTimeoutMs })]
      )
    )
    return this.#closed
  }
}

/**
 * Rents at every owner at once. Datasets pinned to an owner are rented there;
 * several unpinned datasets of the same name are rented one after the other,
 * each avoiding the owners already taken, so that each lands at a different one.
 */
async function rentOwners(client: AgoraClient, datasets: readonly FederatedDataset[], rent: RentOptions): Promise<Owner[]> {
  const owners: Owner[] = datasets.map(dataset => ({
    dataset: dataset.name,
    rental: undefined,
    report: { dataset: dataset.name, providerId: dataset.provider?.toLowerCase() ?? '', status: 'dropped' }
  }))
  const taken = new Set(datasets.flatMap(dataset => (dataset.provider === undefined ? [] : [dataset.provider.toLowerCase()])))
  const rentOne = async (index: number): Promise<void> => {
    const dataset = datasets[index]!
    const owner = owners[index]!
    const pinned = dataset.provider?.toLowerCase()
    try {
      const rental = await client.rent({
        ...rent,
        dataset: dataset.name,
        ...(pinned === undefined
          ? { avoid: [...(rent.avoid ?? []), ...taken] }
          : { filter: offer => offer.providerId.toLowerCase() === pinned && (rent.filter?.(offer) ?? true) })
      })
      taken.add(rental.provider.id.toLowerCase())
      owner.rental = rental
      owner.report = { dataset: dataset.name, providerId: rental.provider.id.toLowerCase(), agreementId: rental.agreementId, status: 'ok' }
    } catch (error) {
      dropOwner(owner, error)
    }
  }
  const byName = new Map<string, number[]>()
  datasets.forEach((dataset, index) => {
    if (dataset.provider !== undefined) return
    byName.set(dataset.name, [...(byName.get(dataset.name) ?? []), index])
  })
  const pinned = datasets.flatMap((dataset, index) => (dataset.provider === undefined ? [] : [index]))
  try {
    await Promise.all([
      ...pinned.map(rentOne),
      ...[...byName.values()].map(async indexes => {
        for (const index of indexes) await rentOne(index)
      })
    ])
    throwIfAborted(rent.signal, 'the federated run')
  } catch (error) {
    await Promise.all(owners.map(async owner => await owner.rental?.release({ timeoutMs: 5_000 })))
    throw error
  }
  return owners
}

/** Marks an owner as dropped out, keeping the code and message of why. */
export function dropOwner(owner: Owner, error: unknown): void {
  owner.report = { ...owner.report, status: 'dropped', error: { code: codeOf(error), message: messageOf(error) } }
}

export function belowThreshold(owners: readonly FederatedOwnerReport[], finished: number, threshold: number): FederatedRunError {
  const why = owners
    .filter(owner => owner.status === 'dropped')
    .map(owner => `${owner.dataset}${owner.providerId === '' ? '' : ` at ${owner.providerId}`}: ${owner.error?.message ?? 'dropped out'}`)
    .join('; ')
  return new FederatedRunError(
    `only ${finished} of ${owners.length} owners finished, fewer than the threshold ${threshold}${why === '' ? '' : ` (${why})`}`,
    owners
  )
}

function codeOf(error: unknown): ErrorCode {
  return error instanceof CodedError && isErrorCode(error.code) ? error.code : 'Internal'
}

function messageOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).slice(0, 500)
}

export function costOf(reports: readonly RentalReport[]): bigint {
  return reports.reduce((total, report) => total + report.cost, 0n)
}
