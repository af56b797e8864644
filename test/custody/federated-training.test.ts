// Federated training and differential privacy across three owner daemons:
// logistic regression over several rounds of summed gradients matches the
// same gradient descent on the pooled data (within the fixed-point rounding
// when summed securely); an owner's DP noise keeps a secure mean within the
// documented bound, and its ε budget refuses the query that would exceed it.
import assert from 'node:assert/strict'
import { FederatedRunError, federated, federatedMean, trainLogisticRegression } from '../../sdk/index.ts'
import { devChainFixture } from '../helpers/dev-chain.ts'
import { DP_POLICY, startFederatedWorld } from './federated-world.ts'
import type { FederatedWorld, Row } from './federated-world.ts'

const TERMS = { budget: '0.2', duration: 900, startupTimeoutMs: 60_000 } as const
const SCORE = 1

/** Gradient descent on the pooled rows, as the owners' steps and the requester's update compute it. */
function pooledTraining(rows: readonly Row[], rounds: number, learningRate: number): { weights: number[]; losses: number[] } {
  let weights = [0, 0, 0]
  const losses: number[] = []
  for (let round = 0; round < rounds; round++) {
    const gradient = [0, 0, 0]
    let loss = 0
    for (const [, , x1, x2, y] of rows) {
      const z = weights[0]! + weights[1]! * x1 + weights[2]! * x2
      const p = z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z))
      gradient[0]! += p - y
      gradient[1]! += (p - y) * x1
      gradient[2]! += (p - y) * x2
      loss += (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z))) - y * z
    }
    losses.push(loss / rows.length)
    weights = weights.map((weight, j) => weight - learningRate * (gradient[j]! / rows.length))
  }
  return { weights, losses }
}

describe('federated runs: training and differential privacy across three owners', function () {
  this.timeout(1_200_000)
  const fixture = devChainFixture()
  let fed: FederatedWorld

  before(async function () {
    // Three owner daemons, a requester and the algorithms' build: minutes on a loaded machine.
    this.timeout(900_000)
    fed = await startFederatedWorld(fixture)
  })
  after(async function () {
    this.timeout(60_000)
    await fed?.world.stop()
  })

  const datasetsOf = (name: string) => fed.world.owners.map(owner => ({ name, provider: owner.nodeId }))
  const close = (actual: readonly number[], expected: readonly number[], tolerance: number, what: string) => {
    assert.equal(actual.length, expected.length)
    for (const [i, value] of actual.entries())
      assert.ok(Math.abs(value - expected[i]!) <= tolerance, `${what}[${i}]: ${value} vs ${expected[i]} (± ${tolerance})`)
  }

  it('trains a logistic regression over several rounds, in the clear and securely, to the pooled model', async () => {
    const rounds = 4
    const learningRate = 0.8
    const pooled = pooledTraining(fed.pooled, rounds, learningRate)
    const common = {
      datasets: datasetsOf('clinic'),
      algorithm: { image: fed.algorithms['logreg-gradient'].taskPackage },
      features: ['x1', 'x2'],
      label: 'label',
      rounds,
      learningRate,
      ...TERMS
    }
    const clear = await trainLogisticRegression(fed.world.client, { ...common, aggregate: 'clear' })
    close(clear.weights, pooled.weights, 1e-9, 'clear weights')
    close(clear.losses, pooled.losses, 1e-9, 'clear losses')
    assert.equal(clear.rows, fed.pooled.length)
    // The loss goes down: the rounds are rounds of training, not one step repeated.
    assert.ok(clear.losses[rounds - 1]! < clear.losses[0]!)
    // One rental per owner for all the rounds, each released at the end.
    assert.equal(clear.rentals.length, 3)

    // Securely, the requester knows the row count only as a secure count.
    const { count } = await federatedMean(fed.world.client, {
      datasets: datasetsOf('clinic'),
      algorithm: { image: fed.algorithms['mean-variance'].taskPackage },
      column: 'label',
      aggregate: { secure: {} },
      ...TERMS
    })
    assert.equal(count, fed.pooled.length)
    const secure = await trainLogisticRegression(fed.world.client, { ...common, rows: count })
    // Each owner's sum is rounded to 2^−16 before masking: a few such errors per round, scaled by η / rows.
    close(secure.weights, pooled.weights, 1e-3, 'secure weights')
    close(secure.losses, pooled.losses, 1e-3, 'secure losses')
    assert.equal(secure.rentals.length, 3)
  })

  it('keeps a secure mean within the documented noise bound with DP on, and refuses the query beyond the ε budget', async () => {
    // The noisy moments themselves: with Δ₁ = 421 at ε 0.5 the noisy count of 225 rows may well be ≤ 0, where a mean means nothing.
    const query = async () =>
      await federated(fed.world.client, {
        datasets: datasetsOf('clinic-dp'),
        algorithm: { image: fed.algorithms['mean-variance'].taskPackage },
        args: ['score'],
        aggregate: { secure: { length: 3 } },
        ...TERMS
      })
    const values = fed.pooled.map(row => row[SCORE])
    const exact = [values.length, values.reduce((a, b) => a + b, 0), values.reduce((a, b) => a + b * b, 0)]
    // Each owner adds a discrete Laplace of scale (Δ₁·2^f + length)/ε in fixed-point units to every value
    // (docs/data-custody.md, Differential privacy); P(|X| > 25 scales) < e^−25 per draw.
    const budget = Number(DP_POLICY.epsilonBudget)
    const perQuery = Number(DP_POLICY.epsilonPerQuery)
    for (let spent = 0; spent + perQuery <= budget; spent += perQuery) {
      const run = await query()
      const scale = (Number(DP_POLICY.sensitivity) * 2 ** run.fractionalBits + 3) / perQuery / 2 ** run.fractionalBits
      close(run.sum, exact, 3 * 25 * scale, 'noisy moments')
      // The noise is there: the noisy sum is not the exact one.
      assert.notDeepEqual(
        run.sumFixed.map(BigInt),
        exact.map(value => BigInt(value) << BigInt(run.fractionalBits))
      )
    }
    // The budget is spent: every owner refuses its contribution, and the run fails naming the rule.
    await assert.rejects(query(), (error: unknown) => {
      assert.ok(error instanceof FederatedRunError, String(error))
      assert.equal(error.code, 'Unavailable')
      assert.deepEqual(
        error.owners.map(owner => owner.status),
        ['dropped', 'dropped', 'dropped']
      )
      for (const owner of error.owners) assert.match(owner.error?.message ?? '', /epsilonBudget|ε/)
      return true
    })
  })
})
