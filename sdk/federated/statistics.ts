// Statistics over several owners' datasets from one federated step each:
// the mean and variance of a column from every owner's [count, sum, sum of
// squares], and a histogram from every owner's cell counts. In the clear or
// securely; either way the requester combines only counts and sums.
import { SdkError } from '../errors.ts'
import type {
  AgoraClient,
  ClearFederatedResult,
  FederatedOptions,
  FederatedPartial,
  FederatedRentTerms,
  FederatedDataset,
  FederatedAlgorithm,
  SecureFederatedResult
} from '../types.ts'
import { federated } from './federation.ts'
import { sumVectors } from './partials.ts'

const COLUMN = /^[A-Za-z0-9_. -]{1,128}$/

/** Clear, or secure with the vector's length set by the statistic. */
export type StatisticAggregate =
  | 'clear'
  | { readonly clear: { readonly threshold?: number } }
  | { readonly secure: { readonly threshold?: number; readonly fractionalBits?: number; readonly roundTimeoutMs?: number } }

export interface StatisticOptions extends FederatedRentTerms {
  readonly datasets: readonly FederatedDataset[]
  readonly algorithm: FederatedAlgorithm
  readonly column: string
  readonly aggregate?: StatisticAggregate
  /** The local step's arguments, when the algorithm takes others than the statistic's default. */
  readonly args?: readonly string[]
  readonly output?: string
}

export interface MeanResult {
  readonly count: number
  readonly sum: number
  readonly sumOfSquares: number
  readonly mean: number
  /** The sample variance (n − 1 in the denominator); NaN for fewer than 2 rows. */
  readonly variance: number
  /** The population variance (n in the denominator). */
  readonly populationVariance: number
  readonly run: ClearFederatedResult<readonly number[]> | SecureFederatedResult
}

/**
 * The mean and variance of `column` across the datasets. Each owner's step
 * (default arguments: ["mean", column]) writes [count, sum, sum of squares]:
 * a vector of 3, or an aggregate with the values count, sum and sumsq.
 */
export async function federatedMean(client: AgoraClient, options: StatisticOptions): Promise<MeanResult> {
  const column = checkColumn(options.column)
  const run = await runStatistic(client, options, options.args ?? ['mean', column], 3, partials => sumVectors(partials.map(partial => momentsOf(partial))))
  const [count, sum, sumOfSquares] = (run.aggregate === 'secure' ? run.sum : run.combined) as [number, number, number]
  return { ...momentsToMean(count, sum, sumOfSquares), run }
}

/** Mean and variances from a count, a sum and a sum of squares (what the owners' partials add up to). */
export function momentsToMean(count: number, sum: number, sumOfSquares: number): Omit<MeanResult, 'run'> {
  if (!(count > 0)) throw new SdkError('Conflict', 'the datasets hold no rows: there is no mean')
  const mean = sum / count
  // Σ(x − mean)² = Σx² − n·mean², never below 0 (rounding aside).
  const squares = Math.max(0, sumOfSquares - count * mean * mean)
  return { count, sum, sumOfSquares, mean, variance: count > 1 ? squares / (count - 1) : Number.NaN, populationVariance: squares / count }
}

export interface HistogramOptions extends StatisticOptions {
  /** The bins' edges, ascending: bin i holds edges[i] ≤ x < edges[i + 1]. */
  readonly edges: readonly number[]
  /** Cells whose total count is below this are reported as suppressed (0), on top of each owner's own minimum. */
  readonly minCount?: number
}

export interface HistogramResult {
  readonly cells: readonly { readonly key: string; readonly from: number; readonly to: number; readonly count: number }[]
  /** Cells whose total was below minCount (their count is 0 above). */
  readonly suppressed: readonly string[]
  readonly run: ClearFederatedResult<readonly number[]> | SecureFederatedResult
}

/**
 * A histogram of `column` across the datasets. Each owner's step (default
 * arguments: ["histogram", column, "<edge>,<edge>,…"]) writes its counts per
 * bin: a histogram with a cell per bin key ("[from,to)"), or a vector of the
 * counts in bin order.
 */
export async function federatedHistogram(client: AgoraClient, options: HistogramOptions): Promise<HistogramResult> {
  const column = checkColumn(options.column)
  const edges = checkEdges(options.edges)
  const minCount = options.minCount ?? 0
  if (!Number.isSafeInteger(minCount) || minCount < 0) throw new SdkError('BadRequest', 'minCount must be an integer ≥ 0')
  const keys = edges.slice(1).map((to, i) => binKey(edges[i]!, to))
  const run = await runStatistic(client, options, options.args ?? ['histogram', column, edges.join(',')], keys.length, partials =>
    sumVectors(partials.map(partial => countsOf(partial, keys)))
  )
  const counts = run.aggregate === 'secure' ? run.sum.map(Math.round) : (run.combined as readonly number[])
  const suppressed: string[] = []
  const cells = keys.map((key, i) => {
    const count = counts[i] ?? 0
    if (count > 0 && count < minCount) suppressed.push(key)
    return { key, from: edges[i]!, to: edges[i + 1]!, count: count < minCount ? 0 : count }
  })
  return { cells, suppressed, run }
}

/** How a bin is named in a histogram partial: "[from,to)". */
export function binKey(from: number, to: number): string {
  return `[${from},${to})`
}

async function runStatistic(
  client: AgoraClient,
  options: StatisticOptions,
  args: readonly string[],
  length: number,
  combine: (partials: readonly FederatedPartial[]) => readonly number[]
): Promise<ClearFederatedResult<readonly number[]> | SecureFederatedResult> {
  const { column: _column, aggregate, args: _args, ...rest } = options as StatisticOptions & { edges?: unknown; minCount?: unknown }
  delete (rest as { edges?: unknown }).edges
  delete (rest as { minCount?: unknown }).minCount
  const given = aggregate ?? 'clear'
  if (given !== 'clear' && typeof given === 'object' && given !== null && 'secure' in given) {
    const secure: FederatedOptions = { ...rest, args, aggregate: { secure: { ...given.secure, length } } }
    return (await federated(client, secure)) as SecureFederatedResult
  }
  const clear: FederatedOptions<readonly number[]> = { ...rest, args, aggregate: given, combine }
  return (await federated(client, clear)) as ClearFederatedResult<readonly number[]>
}

function momentsOf(partial: FederatedPartial): number[] {
  if (partial.kind === 'vector' && partial.values.length === 3) return [...partial.values]
  if (partial.kind === 'aggregate') {
    const { count, sum, sumsq } = partial.values
    if (count !== undefined && sum !== undefined && sumsq !== undefined) return [count, sum, sumsq]
  }
  throw new SdkError('MalformedResponse', 'a partial of the mean is neither a vector [count, sum, sumsq] nor an aggregate with count, sum and sumsq')
}

function countsOf(partial: FederatedPartial, keys: readonly string[]): number[] {
  if (partial.kind === 'vector' && partial.values.length === keys.length) return [...partial.values]
  if (partial.kind === 'histogram') {
    const byKey = new Map(partial.cells.map(cell => [cell.key, cell.count]))
    for (const key of byKey.keys())
      if (!keys.includes(key)) throw new SdkError('MalformedResponse', `a histogram partial has a cell ${key.slice(0, 64)} of no bin`)
    return keys.map(key => byKey.get(key) ?? 0)
  }
  throw new SdkError('MalformedResponse', 'a partial of the histogram is neither a histogram nor a vector of counts per bin')
}

function checkColumn(column: unknown): string {
  if (typeof column !== 'string' || !COLUMN.test(column))
    throw new SdkError('BadRequest', `column must name a column (letters, digits, _ . - and spaces), not ${JSON.stringify(column)?.slice(0, 100)}`)
  return column
}

function checkEdges(edges: unknown): readonly number[] {
  if (!Array.isArray(edges) || edges.length < 2 || edges.length > 10_001) throw new SdkError('BadRequest', 'edges must be a list of 2 to 10,001 numbers')
  for (let i = 0; i < edges.length; i++) {
    const edge: unknown = edges[i]
    if (typeof edge !== 'number' || !Number.isFinite(edge)) throw new SdkError('BadRequest', `edges[${i}] is not a finite number`)
    if (i > 0 && !(edge > (edges[i - 1] as number))) throw new SdkError('BadRequest', 'edges must ascend strictly')
  }
  return edges as number[]
}
