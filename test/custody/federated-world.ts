// The world the federated tests share: three owners, each holding its part of
// one pooled table under the same dataset name ("clinic"), and a copy with a
// privacy policy ("clinic-dp"); the example algorithms built from source and
// offered by the requester; the policies allowing exactly those algorithms.
import type { DatasetPolicy } from '../../custody/index.ts'
import { csvOf, startCustodyWorld } from '../helpers/custody-owners.ts'
import type { CustodyWorld } from '../helpers/custody-owners.ts'
import type { DevChainFixture } from '../helpers/dev-chain.ts'
import { buildAlgorithms, offerAlgorithm } from '../helpers/federated-algorithms.ts'
import type { OfferedAlgorithm } from '../helpers/federated-algorithms.ts'
import { prng } from '../helpers/prng.ts'

export const COLUMNS = ['age', 'score', 'x1', 'x2', 'label'] as const
export type Row = readonly [age: number, score: number, x1: number, x2: number, label: number]
/** The owners' guards: no value of fewer rows than this leaves. */
export const MIN_ROWS = 5
export const ROWS_PER_OWNER = [60, 75, 90] as const

/** Each owner's rows: integer ages and scores, two real features, and a label drawn from a logistic model of them. */
export function ownerRows(owner: number, count: number): Row[] {
  const random = prng(1_000 + owner)
  return Array.from({ length: count }, () => {
    const age = 18 + Math.floor(random() * 70)
    const score = Math.floor(random() * 21)
    const x1 = Math.round((random() * 4 - 2) * 100) / 100
    const x2 = Math.round((random() * 4 - 2) * 100) / 100
    const p = 1 / (1 + Math.exp(-(0.5 + 1.5 * x1 - 2 * x2)))
    return [age, score, x1, x2, random() < p ? 1 : 0] as const
  })
}

export interface FederatedWorld {
  readonly world: CustodyWorld
  readonly rows: readonly (readonly Row[])[]
  readonly pooled: readonly Row[]
  readonly algorithms: Record<'mean-variance' | 'histogram' | 'logreg-gradient', OfferedAlgorithm>
}

export function policyFor(hashes: readonly string[], extra: Partial<Omit<DatasetPolicy, 'dataset'>> = {}): Omit<DatasetPolicy, 'dataset'> {
  return {
    algorithms: { hashes },
    output: { maxBytes: 1_048_576, minRows: MIN_ROWS, kinds: ['aggregate', 'histogram', 'vector', 'model'], logs: 'none', exitCodes: 'status' },
    release: { to: ['requester'] },
    ...extra
  }
}

/** What the privacy policy of clinic-dp says: Laplace noise, two queries of ε 0.5 in a budget of 1; one row moves mean-variance over score (0 to 20) by at most 1 + 20 + 20² in L1. */
export const DP_POLICY = { mechanism: 'laplace', epsilonBudget: '1', epsilonPerQuery: '0.5', sensitivity: '421' } as const

export async function startFederatedWorld(fixture: DevChainFixture): Promise<FederatedWorld> {
  const built = await buildAlgorithms()
  const hashes = Object.values(built).map(algorithm => algorithm.hash)
  const rows = ROWS_PER_OWNER.map((count, owner) => ownerRows(owner, count))
  const world = await startCustodyWorld(
    fixture,
    rows.map(own => ({
      datasets: [
        { name: 'clinic', csv: csvOf(COLUMNS, own), policy: policyFor(hashes) },
        { name: 'clinic-dp', csv: csvOf(COLUMNS, own), policy: policyFor(hashes, { privacy: DP_POLICY }) }
      ]
    }))
  )
  try {
    const offered = async (name: 'mean-variance' | 'histogram' | 'logreg-gradient') => await offerAlgorithm(world.requester.client, name, built[name])
    const algorithms = {
      'mean-variance': await offered('mean-variance'),
      histogram: await offered('histogram'),
      'logreg-gradient': await offered('logreg-gradient')
    }
    return { world, rows, pooled: rows.flat(), algorithms }
  } catch (error) {
    await world.stop()
    throw error
  }
}
