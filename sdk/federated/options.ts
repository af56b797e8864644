// A federated run's options, checked whole before anything is rented: the
// datasets (names owners can register, one owner each), the algorithm, the
// step's arguments and output, the aggregation and the rentals' terms (as
// rent() checks them, so a bad budget is refused before any rental).
import { SdkError } from '../errors.ts'
import { DATASET_NAME, checkRentOptions } from '../rental/demand.ts'
import type { FederatedAlgorithm, FederatedDataset, FederatedOptions, FederatedStep, RentOptions } from '../types.ts'

const NODE_ID = /^0x[0-9a-fA-F]{40}$/
const MAX_OWNERS = 256
const MAX_ARGS = 256
const MAX_ARG_CHARS = 65_536
/** The longest vector a secure sum takes (the daemon bounds it too). */
export const MAX_SECURE_LENGTH = 1_000_000
const COMMAND = /^[A-Za-z0-9._/-]{1,256}$/
export const DEFAULT_OUTPUT = '/out/partial.json'
export const DEFAULT_COMMAND = 'main'

export type CheckedAggregate =
  | { readonly mode: 'clear'; readonly threshold: number }
  | {
      readonly mode: 'secure'
      readonly threshold: number
      readonly length: number
      readonly fractionalBits?: number
      readonly roundTimeoutMs?: number
    }

export function checkDatasets(datasets: unknown): readonly FederatedDataset[] {
  if (!Array.isArray(datasets) || datasets.length === 0) throw new SdkError('BadRequest', 'datasets must be a list of { name, provider? }, at least one')
  if (datasets.length > MAX_OWNERS) throw new SdkError('BadRequest', `at most ${MAX_OWNERS} datasets in one run`)
  const seen = new Set<string>()
  return datasets.map((dataset: unknown, i) => {
    const { name, provider } = (dataset ?? {}) as { name?: unknown; provider?: unknown }
    if (typeof name !== 'string' || !DATASET_NAME.test(name))
      throw new SdkError(
        'BadRequest',
        `datasets[${i}].name must be a dataset name (lowercase letters, digits, . _ -), not ${JSON.stringify(name)?.slice(0, 100)}`
      )
    if (provider !== undefined && (typeof provider !== 'string' || !NODE_ID.test(provider)))
      throw new SdkError('BadRequest', `datasets[${i}].provider must be a node id (0x and 40 hex digits)`)
    const key = `${name}@${typeof provider === 'string' ? provider.toLowerCase() : i}`
    if (seen.has(key)) throw new SdkError('BadRequest', `datasets[${i}] names ${name} at the same owner twice`)
    seen.add(key)
    return provider === undefined ? { name } : { name, provider: provider as string }
  })
}

export function checkAlgorithm(algorithm: unknown): Required<Omit<FederatedAlgorithm, 'manifest'>> & Pick<FederatedAlgorithm, 'manifest'> {
  if (algorithm === null || typeof algorithm !== 'object') throw new SdkError('BadRequest', 'algorithm must be { image, runtime?, command?, manifest? }')
  const { image, runtime = 'wasmtime', command = DEFAULT_COMMAND, manifest } = algorithm as FederatedAlgorithm
  if (typeof command !== 'string' || !COMMAND.test(command))
    throw new SdkError('BadRequest', 'algorithm.command must be a command name (letters, digits, . _ / -)')
  return manifest === undefined ? { image, runtime, command } : { image, runtime, command, manifest }
}

export function checkStep(step: FederatedStep<unknown>, owners: number): { args: readonly string[]; output: string; aggregate: CheckedAggregate } {
  const args = step.args ?? []
  if (!Array.isArray(args) || args.length > MAX_ARGS || !args.every(arg => typeof arg === 'string' && arg.length <= MAX_ARG_CHARS))
    throw new SdkError('BadRequest', `args must be a list of at most ${MAX_ARGS} strings`)
  const output = step.output ?? DEFAULT_OUTPUT
  if (typeof output !== 'string' || !/^\/out\/[A-Za-z0-9._-][A-Za-z0-9._/-]{0,255}$/.test(output) || output.split('/').includes('..'))
    throw new SdkError('BadRequest', `output must be a file under /out (e.g. ${DEFAULT_OUTPUT}), not ${JSON.stringify(output)?.slice(0, 100)}`)
  if (step.combine !== undefined && typeof step.combine !== 'function') throw new SdkError('BadRequest', 'combine must be a function of the partials')
  return { args, output, aggregate: checkAggregate(step.aggregate, owners, step.combine !== undefined) }
}

function checkAggregate(aggregate: FederatedStep<unknown>['aggregate'], owners: number, combines: boolean): CheckedAggregate {
  if (aggregate === undefined || aggregate === 'clear') return { mode: 'clear', threshold: owners }
  if (aggregate !== null && typeof aggregate === 'object' && 'clear' in aggregate)
    return { mode: 'clear', threshold: thresholdOf(aggregate.clear?.threshold, owners, 'aggregate.clear.threshold') }
  if (aggregate === null || typeof aggregate !== 'object' || !('secure' in aggregate) || aggregate.secure === null || typeof aggregate.secure !== 'object')
    throw new SdkError('BadRequest', 'aggregate must be "clear", { clear: { threshold? } } or { secure: { length, threshold?, fractionalBits? } }')
  if (combines) throw new SdkError('BadRequest', 'combine is for clear partials: a secure run gives only the sum')
  const { length, threshold, fractionalBits, roundTimeoutMs } = aggregate.secure
  if (!Number.isSafeInteger(length) || length < 1 || length > MAX_SECURE_LENGTH)
    throw new SdkError('BadRequest', `aggregate.secure.length must be the vector's length, an integer from 1 to ${MAX_SECURE_LENGTH}`)
  if (fractionalBits !== undefined && (!Number.isSafeInteger(fractionalBits) || fractionalBits < 0 || fractionalBits > 64))
    throw new SdkError('BadRequest', 'aggregate.secure.fractionalBits must be an integer from 0 to 64')
  if (roundTimeoutMs !== undefined && (!Number.isSafeInteger(roundTimeoutMs) || roundTimeoutMs <= 0))
    throw new SdkError('BadRequest', 'aggregate.secure.roundTimeoutMs must be a number of milliseconds > 0')
  return {
    mode: 'secure',
    length,
    threshold: thresholdOf(threshold, owners, 'aggregate.secure.threshold'),
    ...(fractionalBits === undefined ? {} : { fractionalBits }),
    ...(roundTimeoutMs === undefined ? {} : { roundTimeoutMs })
  }
}

function thresholdOf(threshold: number | undefined, owners: number, name: string): number {
  if (threshold === undefined) return owners
  if (!Number.isSafeInteger(threshold) || threshold < 1 || threshold > owners)
    throw new SdkError('BadRequest', `${name} must be an integer from 1 to the number of datasets (${owners})`)
  return threshold
}

/** What each owner's rental is asked with, but the dataset's name and owner. */
export function rentOptionsOf(options: FederatedOptions<unknown>, algorithm: ReturnType<typeof checkAlgorithm>): RentOptions {
  const picked: Record<string, unknown> = {}
  for (const key of ['budget', 'maxPrices', 'resources', 'duration', 'startupTimeoutMs', 'paymentPlatform', 'subnet', 'signal'] as const)
    if (options[key] !== undefined) picked[key] = options[key]
  const rentOptions = {
    ...picked,
    runtime: algorithm.runtime,
    image: algorithm.image,
    ...(algorithm.manifest === undefined ? {} : { manifest: algorithm.manifest })
  } as RentOptions
  return rentOptions
}

/** The whole run's options: refused before anything is rented. */
export function checkFederatedOptions(options: FederatedOptions<unknown>): {
  datasets: readonly FederatedDataset[]
  algorithm: ReturnType<typeof checkAlgorithm>
  rent: RentOptions
} {
  if (options === null || typeof options !== 'object') throw new SdkError('BadRequest', 'federated needs options: { datasets, algorithm, args?, aggregate? }')
  const datasets = checkDatasets(options.datasets)
  const algorithm = checkAlgorithm(options.algorithm)
  const rent = rentOptionsOf(options, algorithm)
  checkRentOptions({ ...rent, dataset: datasets[0]!.name })
  for (const name of ['releaseTimeoutMs', 'stepTimeoutMs'] as const) {
    const value = options[name]
    if (value !== undefined && (!Number.isFinite(value) || value <= 0)) throw new SdkError('BadRequest', `${name} must be a number of milliseconds > 0`)
  }
  checkStep(options, datasets.length)
  return { datasets, algorithm, rent }
}
