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
 * (default arguments: [column]) writes [count, sum, sum of squares]: a vector
 * of 3, or an aggregate with the values count, sum and sumsq.
 */
export async function federatedMean(client: AgoraClient, options: StatisticOptions): Promise<MeanResult> {
  const column = checkColumn(options.column)
  const run = await runStatistic(client, options, options.args ?? [column], 3, partials => sumVectors(partials.map(partial => momentsOf(partial))))
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
  /** The cells' edges e1 < … < eK, ascending: the K + 1 cells are (−∞, e1), [e1, e2), …, [eK, +∞). */
  readonly edges: readonly number[]
  /**
   * Cells whose count is above 0 but below this come back as 0. In the clear,
   * each owner's step suppresses them in its own histogram (/out/histogram.json);
   * securely, the totals are suppressed at the requester (no owner's count is seen).
   */
  readonly minCount?: number
}

export interface HistogramCell {
  /** "<e1", "[e1,e2)", …, ">=eK". */
  readonly key: string
  /** −Infinity for the first cell. */
  readonly from: number
  /** +Infinity for the last cell. */
  readonly to: number
  readonly count: number
}

export interface HistogramResult {
  readonly cells: readonly HistogramCell[]
  /** Cells whose total was above 0 but below minCount (their count is 0 above). */
  readonly suppressed: readonly string[]
  readonly run: ClearFederatedResult<readonly number[]> | SecureFederatedResult
}

/** Where each owner's step writes its own histogram, cells suppressed below minCount. */
export const HISTOGRAM_OUTPUT = '/out/histogram.json'

/**
 * A histogram of `column` across the datasets. Each owner's step (default
 * arguments: [column, e1, …, eK], and in the clear with minCount
 * "--cells --min-count <m>") writes its counts: /out/partial.json, the vector
 * of the K + 1 counts, or /out/histogram.json, a histogram with a cell per key.
 */
export async function federatedHistogram(client: AgoraClient, options: HistogramOptions): Promise<HistogramResult> {
  const column = checkColumn(options.column)
  const edges = checkEdges(options.edges)
  const minCount = options.minCount ?? 0
  if (!Number.isSafeInteger(minCount) || minCount < 0) throw new SdkError('BadRequest', 'minCount must be an integer ≥ 0')
  const cellsOf = cellBounds(edges)
  const keys = cellsOf.map(cell => cell.key)
  const secure = isSecure(options.aggregate)
  const byCells = !secure && minCount > 0
  const args = options.args ?? [column, ...edges.map(String), ...(byCells ? ['--cells', '--min-count', String(minCount)] : [])]
  const run = await runStatistic(
    client,
    { ...options, ...(byCells && options.output === undefined ? { output: HISTOGRAM_OUTPUT } : {}) },
    args,
    keys.length,
    partials => sumVectors(partials.map(partial => countsOf(partial, keys)))
  )
  const counts = run.aggregate === 'secure' ? run.sum.map(Math.round) : (run.combined as readonly number[])
  const suppressed: string[] = []
  const cells = cellsOf.map((cell, i) => {
    const count = counts[i] ?? 0
    if (count > 0 && count < minCount) suppressed.push(cell.key)
    return { ...cell, count: count < minCount ? 0 : count }
  })
  return { cells, suppressed, run }
}

/** The K + 1 cells of K edges, keyed as the owners' histograms key them. */
export function cellBounds(edges: readonly number[]): Omit<HistogramCell, 'count'>[] {
  const texts = edges.map(String)
  const cells: Omit<HistogramCell, 'count'>[] = [{ key: `<${texts[0]}`, from: Number.NEGATIVE_INFINITY, to: edges[0]! }]
  for (let i = 1; i < edges.length; i++) cells.push({ key: `[${texts[i - 1]},${texts[i]})`, from: edges[i - 1]!, to: edges[i]! })
  cells.push({ key: `>=${texts[edges.length - 1]}`, from: edges[edges.length - 1]!, to: Number.POSITIVE_INFINITY })
  return cells
}

function isSecure(aggregate: StatisticAggregate | undefined): boolean {
  return aggregate !== undefined && aggregate !== 'clear' && typeof aggregate === 'object' && aggregate !== null && 'secure' in aggregate
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
  if (typeof given === 'object' && given !== null && 'secure' in given) {
    const secure: FederatedOptions = { ...rest, args, aggregate: { secure: { ...given.secure, length } } }
    return (await federated(client, secure)) as SecureFederatedResult
  }
  const clear: FederatedOptions<readonly number[]> = { ...rest, args, aggregate: given as 'clear', combine }
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
  if (!Array.isArray(edges) || edges.length < 1 || edges.length > 10_000) throw new SdkError('BadRequest', 'edges must be a list of 1 to 10,000 numbers')
  for (let i = 0; i < edges.length; i++) {
    const edge: unknown = edges[i]
    if (typeof edge !== 'number' || !Number.isFinite(edge)) throw new SdkError('BadRequest', `edges[${i}] is not a finite number`)
    if (i > 0 && !(edge > (edges[i - 1] as number))) throw new SdkError('BadRequest', 'edges must ascend strictly')
  }
  return edges as number[]
}
