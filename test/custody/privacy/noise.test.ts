import assert from 'node:assert/strict'
import { noise, noiseParameters } from '../../../custody/index.ts'
import { CodedError } from '../../../net/kernel.ts'
import type { PrivacyPolicy } from '../../../custody/index.ts'
import { toNumber } from '../../../custody/privacy/rational.ts'
import { seededRandom } from '../../helpers/seeded-random.ts'

const laplace: PrivacyPolicy = { mechanism: 'laplace', epsilonBudget: '3', epsilonPerQuery: '0.5', sensitivity: '2' }
const gaussian: PrivacyPolicy = { mechanism: 'gaussian', epsilonBudget: '3', epsilonPerQuery: '0.5', delta: '0.00001', sensitivity: '2' }

function isBadRequest(err: unknown): boolean {
  return err instanceof CodedError && err.code === 'BadRequest'
}

describe('custody privacy noise', function () {
  this.timeout(60_000)

  it('gives every owner a full Laplace of scale (Δ₁·2^f + length)/ε, whatever the threshold', () => {
    for (const threshold of [1, 3]) {
      const parameters = noiseParameters(laplace, 3, 16, threshold)
      assert.equal(parameters.mechanism, 'laplace')
      if (parameters.mechanism !== 'laplace') return
      // (2·65536 + 3) / 0.5, exactly
      assert.deepEqual(parameters.scale, { n: 262_150n, d: 1n })
    }
  })

  it('gives each owner σ²/threshold of a Gaussian variance that meets (ε, δ) through zCDP, bounded from above', () => {
    const length = 3
    const fractionalBits = 16
    for (const threshold of [1, 4]) {
      const parameters = noiseParameters(gaussian, length, fractionalBits, threshold)
      assert.equal(parameters.mechanism, 'gaussian')
      if (parameters.mechanism !== 'gaussian') return
      const total = toNumber(parameters.variance) * threshold
      const l2 = 2 * 2 ** fractionalBits + Math.sqrt(length)
      const L = Math.log(1e5)
      const epsilon = 0.5
      const formula = (l2 ** 2 * (Math.sqrt(L + epsilon) + Math.sqrt(L)) ** 2) / (2 * epsilon ** 2)
      assert.ok(total >= formula * (1 - 1e-12), `σ² ${total} below the formula's ${formula}`)
      assert.ok(total <= formula * (1 + 1e-9), `σ² ${total} far above the formula's ${formula}`)
      // What the threshold of owners give together meets (ε, δ): ρ + 2√(ρ ln(1/δ)) ≤ ε.
      const rho = l2 ** 2 / (2 * total)
      assert.ok(rho + 2 * Math.sqrt(rho * L) <= epsilon * (1 + 1e-12))
    }
  })

  it('draws a vector of integers with the variance of its mechanism', () => {
    const length = 4_000
    const policy: PrivacyPolicy = { mechanism: 'gaussian', epsilonBudget: '10', epsilonPerQuery: '1', delta: '0.001', sensitivity: '1' }
    const parameters = noiseParameters(policy, length, 4, 2)
    assert.equal(parameters.mechanism, 'gaussian')
    if (parameters.mechanism !== 'gaussian') return
    const values = noise(policy, length, 4, 2, seededRandom('noise-gaussian'))
    assert.equal(values.length, length)
    assert.ok(values.every(v => typeof v === 'bigint'))
    const mean = values.reduce((a, v) => a + Number(v), 0) / length
    const variance = values.reduce((a, v) => a + (Number(v) - mean) ** 2, 0) / (length - 1)
    const sigma2 = toNumber(parameters.variance)
    assert.ok(Math.abs(variance - sigma2) <= 5 * sigma2 * Math.sqrt(2 / (length - 1)), `variance ${variance}, expected ${sigma2}`)
    const laplaceValues = noise({ ...policy, mechanism: 'laplace' }, 2_000, 0, 1, seededRandom('noise-laplace'))
    const laplaceVariance = laplaceValues.reduce((a, v) => a + Number(v) ** 2, 0) / laplaceValues.length
    const scale = (1 + 2_000) / 1
    const q = Math.exp(-1 / scale)
    const expected = (2 * q) / (1 - q) ** 2
    // Laplace's fourth moment is 24 t⁴ ≈ 6 × (2t²)²: the sample variance's standard error is √(5/N) of it.
    assert.ok(Math.abs(laplaceVariance - expected) <= 5 * expected * Math.sqrt(5 / 2_000), `variance ${laplaceVariance}, expected ${expected}`)
  })

  it('draws the same noise from the same seed, and other noise from another', () => {
    const a = noise(gaussian, 8, 16, 3, seededRandom('same'))
    const b = noise(gaussian, 8, 16, 3, seededRandom('same'))
    const c = noise(gaussian, 8, 16, 3, seededRandom('other'))
    assert.deepEqual(a, b)
    assert.notDeepEqual(a, c)
  })

  it('draws from the operating system by default', () => {
    const a = noise(laplace, 16, 16, 1)
    const b = noise(laplace, 16, 16, 1)
    assert.equal(a.length, 16)
    assert.notDeepEqual(a, b)
  })

  it('refuses malformed parameters with a BadRequest naming them', () => {
    const cases: Array<[PrivacyPolicy, number, number, number, RegExp]> = [
      [{ ...laplace, epsilonPerQuery: '1e-3' }, 3, 16, 1, /privacy\.epsilonPerQuery/],
      [{ ...laplace, epsilonPerQuery: '-1' }, 3, 16, 1, /privacy\.epsilonPerQuery/],
      [{ ...laplace, epsilonPerQuery: '0' }, 3, 16, 1, /privacy\.epsilonPerQuery must be above 0/],
      [{ ...laplace, sensitivity: 'two' }, 3, 16, 1, /privacy\.sensitivity/],
      [{ ...laplace, mechanism: 'uniform' as 'laplace' }, 3, 16, 1, /privacy\.mechanism/],
      [{ mechanism: 'gaussian', epsilonBudget: '1', epsilonPerQuery: '0.5', sensitivity: '1' }, 3, 16, 1, /privacy\.delta is needed/],
      [{ ...gaussian, delta: '1' }, 3, 16, 1, /privacy\.delta must be above 0 and below 1/],
      [{ ...gaussian, delta: '0' }, 3, 16, 1, /privacy\.delta must be above 0 and below 1/],
      [laplace, 0, 16, 1, /length/],
      [laplace, 1.5, 16, 1, /length/],
      [laplace, 3, 65, 1, /fractionalBits/],
      [laplace, 3, 16, 0, /threshold/]
    ]
    for (const [policy, length, bits, threshold, message] of cases) {
      assert.throws(
        () => noise(policy, length, bits, threshold),
        (err: unknown) => isBadRequest(err) && message.test((err as Error).message)
      )
    }
  })
})
