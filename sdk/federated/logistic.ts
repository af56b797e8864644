// Federated logistic regression: rounds of gradient descent in which every
// owner computes the gradient of the log-loss on its own rows for the current
// weights, the gradients are summed (securely by default), and the weights
// are updated at the requester. The rentals are held across the rounds.
import { SdkError } from '../errors.ts'
import type { AgoraClient, FederatedAlgorithm, FederatedDataset, FederatedOwnerReport, FederatedRentTerms, RentalReport } from '../types.ts'
import { costOf, openFederation } from './federation.ts'
import { sumVectors } from './partials.ts'

const COLUMN = /^[A-Za-z0-9_.-]{1,128}$/
const MAX_ROUNDS = 10_000

export interface LogisticRegressionOptions extends FederatedRentTerms {
  readonly datasets: readonly FederatedDataset[]
  readonly algorithm: FederatedAlgorithm
  /** The feature columns; the model has an intercept (weight 0) and one weight per feature. */
  readonly features: readonly string[]
  /** The label column (0 or 1). */
  readonly label: string
  readonly rounds: number
  readonly learningRate: number
  /** L2 penalty on the feature weights (default 0). */
  readonly l2?: number
  /** Default: zeros. */
  readonly initialWeights?: readonly number[]
  /**
   * The rows behind the gradients, which the mean gradient divides by. In the clear it
   * is the partials' row count when not given; a secure sum needs it (e.g. the count of a
   * secure federatedMean): the requester sees no owner's partial, rows included.
   */
  readonly rows?: number
  /** Default secure; "clear" brings every owner's gradient to the requester. */
  readonly aggregate?: 'clear' | { readonly secure: { readonly threshold?: number; readonly fractionalBits?: number; readonly roundTimeoutMs?: number } }
  readonly output?: string
}

export interface LogisticRegressionResult {
  /** Intercept first, then one weight per feature. */
  readonly weights: readonly number[]
  /** Each round's mean log-loss over the rows (before its update). */
  readonly losses: readonly number[]
  /** Rows behind the last round. */
  readonly rows: number
  readonly owners: readonly FederatedOwnerReport[]
  readonly rentals: readonly RentalReport[]
  readonly cost: bigint
}

/**
 * Each owner's step gets [label, feature…, "--weights", "<w0>,<w1>,…"] and
 * writes a vector of features + 2 numbers: the log-loss gradient's sum over its
 * rows (intercept first), then the log-loss's sum.
 */
export async function trainLogisticRegression(client: AgoraClient, options: LogisticRegressionOptions): Promise<LogisticRegressionResult> {
  const { features, label, rounds, learningRate, l2 = 0 } = options
  if (!Array.isArray(features) || features.length === 0 || !features.every(name => typeof name === 'string' && COLUMN.test(name)))
    throw new SdkError('BadRequest', 'features must be a list of column names (letters, digits, _ . -)')
  if (typeof label !== 'string' || !COLUMN.test(label)) throw new SdkError('BadRequest', 'label must name a column (letters, digits, _ . -)')
  if (!Number.isSafeInteger(rounds) || rounds < 1 || rounds > MAX_ROUNDS) throw new SdkError('BadRequest', `rounds must be an integer from 1 to ${MAX_ROUNDS}`)
  if (!Number.isFinite(learningRate) || learningRate <= 0) throw new SdkError('BadRequest', 'learningRate must be a number > 0')
  if (!Number.isFinite(l2) || l2 < 0) throw new SdkError('BadRequest', 'l2 must be a number ≥ 0')
  let weights = [...(options.initialWeights ?? new Array<number>(features.length + 1).fill(0))]
  if (weights.length !== features.length + 1 || !weights.every(Number.isFinite))
    throw new SdkError('BadRequest', `initialWeights must be ${features.length + 1} numbers (the intercept, then one per feature)`)
  if (options.rows !== undefined && (!Number.isSafeInteger(options.rows) || options.rows < 1)) throw new SdkError('BadRequest', 'rows must be an integer ≥ 1')
  if (options.aggregate !== 'clear' && options.rows === undefined)
    throw new SdkError('BadRequest', 'a secure training needs rows (the rows behind the gradients, e.g. the count of a secure federatedMean)')
  const length = features.length + 2
  const aggregate = options.aggregate === 'clear' ? ('clear' as const) : { secure: { ...(options.aggregate?.secure ?? {}), length } }
  const { features: _f, label: _l, rounds: _r, learningRate: _lr, l2: _l2, initialWeights: _w, aggregate: _a, rows: _rows, ...terms } = options
  const federation = await openFederation(client, { ...terms, aggregate })
  const losses: number[] = []
  let rows = options.rows ?? 0
  try {
    for (let round = 0; round < rounds; round++) {
      const args = [label, ...features, '--weights', weights.join(',')]
      const step = {
        args,
        ...(options.output === undefined ? {} : { output: options.output }),
        ...(options.signal === undefined ? {} : { signal: options.signal })
      }
      let sum: readonly number[]
      if (aggregate === 'clear') {
        const clear = await federation.step<number[]>({
          ...step,
          aggregate,
          combine: partials => sumVectors(partials.map(partial => (partial.kind === 'vector' ? partial.values : [])))
        })
        sum = clear.combined
        rows = options.rows ?? clear.partials.reduce((total, { partial }) => total + ('rows' in partial ? partial.rows : 0), 0)
      } else sum = (await federation.step({ ...step, aggregate })).sum
      if (sum.length !== length) throw new SdkError('MalformedResponse', `the gradients' sum has ${sum.length} numbers, not ${length}`)
      if (rows <= 0) throw new SdkError('Conflict', 'the datasets hold no rows to train on')
      losses.push(sum[length - 1]! / rows)
      weights = nextWeights(weights, sum.slice(0, features.length + 1), rows, learningRate, l2)
    }
  } catch (error) {
    await federation.close()
    throw error
  }
  const rentals = await federation.close()
  return { weights, losses, rows, owners: federation.owners, rentals, cost: costOf(rentals) }
}

/** One step of gradient descent on the mean log-loss (the intercept not penalised). */
export function nextWeights(weights: readonly number[], gradientSum: readonly number[], rows: number, learningRate: number, l2: number): number[] {
  return weights.map((weight, j) => weight - learningRate * (gradientSum[j]! / rows + (j === 0 ? 0 : l2 * weight)))
}
