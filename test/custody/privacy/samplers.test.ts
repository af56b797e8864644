import assert from 'node:assert/strict'
import { bernoulli, bernoulliExpNeg } from '../../../custody/privacy/bernoulli.ts'
import { lnUpper, sqrtUpper } from '../../../custody/privacy/bounds.ts'
import { discreteGaussian, discreteLaplace, isqrt } from '../../../custody/privacy/discrete.ts'
import { PooledRandom } from '../../../custody/privacy/random-source.ts'
import { rational, toNumber } from '../../../custody/privacy/rational.ts'
import { scriptedRandom, seededRandom } from '../../helpers/seeded-random.ts'

// Each statistical check compares a fixed-seed sample with the distribution's
// exact law, allowing 5 standard errors: a broken sampler is off by far more.
const Z = 5

function moments(samples: readonly bigint[]): { mean: number; variance: number } {
  const values = samples.map(Number)
  const mean = values.reduce((a, b) => a + b, 0) / values.length
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1)
  return { mean, variance }
}

function assertFrequency(hits: number, draws: number, p: number, what: string): void {
  const standardError = Math.sqrt((p * (1 - p)) / draws)
  const seen = hits / draws
  assert.ok(Math.abs(seen - p) <= Z * standardError, `${what}: frequency ${seen}, expected ${p} ± ${Z * standardError}`)
}

/** The discrete law ∝ weight(x) over a wide enough range, normalised. */
function law(weight: (x: number) => number, span: number): Map<number, number> {
  let total = 0
  const pmf = new Map<number, number>()
  for (let x = -span; x <= span; x++) {
    pmf.set(x, weight(x))
    total += weight(x)
  }
  for (const [x, w] of pmf) pmf.set(x, w / total)
  return pmf
}

function varianceOf(pmf: Map<number, number>): number {
  let variance = 0
  for (const [x, p] of pmf) variance += x * x * p
  return variance
}

describe('custody privacy samplers', function () {
  this.timeout(60_000)

  it('draws uniform integers by rejection, not by a modulo', () => {
    // below(200) draws one byte masked to 8 bits: 255 is out of range and drawn again; 255 mod 200 would be 55.
    const random = new PooledRandom(scriptedRandom([255, 201, 3]))
    assert.equal(random.below(200n), 3n)
  })

  it('draws every value below n equally often', () => {
    const random = new PooledRandom(seededRandom('uniform'))
    const n = 6
    const draws = 60_000
    const counts = new Array<number>(n).fill(0)
    for (let i = 0; i < draws; i++) {
      const value = random.below(BigInt(n))
      assert.ok(value >= 0n && value < BigInt(n))
      counts[Number(value)]!++
    }
    const expected = draws / n
    const chiSquare = counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0)
    assert.ok(chiSquare < 20.5, `χ² ${chiSquare} over 5 degrees of freedom (p = 0.001 at 20.5)`) // counts: ${counts}
  })

  it('draws large bounds uniformly too, beyond what a double holds exactly', () => {
    const random = new PooledRandom(seededRandom('uniform-large'))
    for (const n of [3n * 2n ** 40n + 1n, 2n ** 52n + 1n, 2n ** 61n + 5n, 10n ** 30n]) {
      const draws = 4_000
      let upper = 0
      let odd = 0
      for (let i = 0; i < draws; i++) {
        const value = random.below(n)
        assert.ok(value >= 0n && value < n, `${value} in [0, ${n})`)
        if (value >= n / 2n) upper++
        if (value % 2n === 1n) odd++
      }
      assertFrequency(upper, draws, 0.5, `the upper half of [0, ${n})`)
      assertFrequency(odd, draws, 0.5, `odd values below ${n}`)
    }
    // 2^52 + 1 takes 53 bits over 7 bytes: the first draw (all ones) is out of range and drawn again.
    const scripted = new PooledRandom(scriptedRandom([255, 255, 255, 255, 255, 255, 255, 0, 0, 0, 0, 0, 0, 9]))
    assert.equal(scripted.below(2n ** 52n + 1n), 9n)
  })

  it('draws Bernoulli(p) for a rational p', () => {
    const random = new PooledRandom(seededRandom('bernoulli'))
    const draws = 30_000
    let hits = 0
    for (let i = 0; i < draws; i++) if (bernoulli(random, rational(1n, 3n))) hits++
    assertFrequency(hits, draws, 1 / 3, 'Bernoulli(1/3)')
    assert.equal(bernoulli(random, rational(0n)), false)
    assert.equal(bernoulli(random, rational(1n)), true)
    assert.throws(() => bernoulli(random, rational(3n, 2n)), RangeError)
  })

  for (const [n, d] of [
    [0n, 1n],
    [1n, 2n],
    [3n, 2n],
    [5n, 1n]
  ] as const) {
    it(`draws Bernoulli(exp(−${n}/${d})) without computing exp`, () => {
      const random = new PooledRandom(seededRandom(`exp-${n}-${d}`))
      const draws = 30_000
      let hits = 0
      for (let i = 0; i < draws; i++) if (bernoulliExpNeg(random, rational(n, d))) hits++
      assertFrequency(hits, draws, Math.exp(-Number(n) / Number(d)), `Bernoulli(exp(−${n}/${d}))`)
    })
  }

  it('draws the discrete Laplace law: mean, variance and the shape of the mass function', () => {
    const random = new PooledRandom(seededRandom('laplace'))
    const scale = rational(3n, 2n)
    const draws = 20_000
    const samples = Array.from({ length: draws }, () => discreteLaplace(random, scale))
    const q = Math.exp(-1 / toNumber(scale))
    const variance = (2 * q) / (1 - q) ** 2
    const { mean, variance: seen } = moments(samples)
    assert.ok(Math.abs(mean) <= Z * Math.sqrt(variance / draws), `mean ${mean}`)
    // The sample variance's standard error from the law's fourth moment.
    const pmf = law(x => q ** Math.abs(x), 200)
    let fourth = 0
    for (const [x, p] of pmf) fourth += x ** 4 * p
    assert.ok(Math.abs(varianceOf(pmf) - variance) < 1e-9, 'the closed form and the sum agree')
    assert.ok(Math.abs(seen - variance) <= Z * Math.sqrt((fourth - variance ** 2) / draws), `variance ${seen}, expected ${variance}`)
    for (const x of [-2, -1, 0, 1, 2]) {
      const hits = samples.filter(s => s === BigInt(x)).length
      assertFrequency(hits, draws, pmf.get(x)!, `P[X = ${x}]`)
    }
  })

  it('draws the discrete Gaussian law: mean, variance and the shape of the mass function', () => {
    const random = new PooledRandom(seededRandom('gaussian'))
    const variance = rational(9n, 2n)
    const draws = 20_000
    const samples = Array.from({ length: draws }, () => discreteGaussian(random, variance))
    const sigma2 = toNumber(variance)
    const pmf = law(x => Math.exp(-(x * x) / (2 * sigma2)), 200)
    const exact = varianceOf(pmf)
    let fourth = 0
    for (const [x, p] of pmf) fourth += x ** 4 * p
    const { mean, variance: seen } = moments(samples)
    assert.ok(Math.abs(mean) <= Z * Math.sqrt(exact / draws), `mean ${mean}`)
    assert.ok(Math.abs(seen - exact) <= Z * Math.sqrt((fourth - exact ** 2) / draws), `variance ${seen}, expected ${exact}`)
    for (const x of [-3, -1, 0, 1, 2, 4]) {
      const hits = samples.filter(s => s === BigInt(x)).length
      assertFrequency(hits, draws, pmf.get(x)!, `P[X = ${x}]`)
    }
  })

  it('draws a discrete Gaussian of a fixed-point sized variance', () => {
    const random = new PooledRandom(seededRandom('gaussian-large'))
    const variance = rational(10n ** 12n + 1n, 3n) // σ ≈ 577,350
    const draws = 2_000
    const samples = Array.from({ length: draws }, () => discreteGaussian(random, variance))
    const { mean, variance: seen } = moments(samples)
    const sigma2 = toNumber(variance)
    assert.ok(Math.abs(mean) <= Z * Math.sqrt(sigma2 / draws), `mean ${mean}`)
    // For a variance this large the discrete law's moments are the continuous ones: Var(s²) = 2σ⁴/(N−1).
    assert.ok(Math.abs(seen - sigma2) <= Z * sigma2 * Math.sqrt(2 / (draws - 1)), `variance ${seen}, expected ${sigma2}`)
  })

  it('gives 0 for a zero scale or variance', () => {
    const random = new PooledRandom(scriptedRandom([]))
    assert.equal(discreteLaplace(random, rational(0n)), 0n)
    assert.equal(discreteGaussian(random, rational(0n)), 0n)
  })

  it('bounds ln and √ from above, tightly', () => {
    for (const x of [1, 1.25, 2, 3, 10, 12_345.678, 1e5, 1e10, 2 ** 40]) {
      const asRational = rational(BigInt(Math.round(x * 1000)), 1000n)
      const exact = Math.log(Number(asRational.n) / Number(asRational.d))
      const upper = lnUpper(asRational)
      // 2^−40 relative: far tighter than any float check can see, and never below.
      assert.ok(toNumber(upper) >= exact - exact * 2 ** -50, `ln ${x}: ${toNumber(upper)} < ${exact}`)
      assert.ok(toNumber(upper) - exact <= Math.max(exact, 1) * 2 ** -40, `ln ${x}: ${toNumber(upper)} ≫ ${exact}`)
      const root = sqrtUpper(asRational)
      assert.ok(root.n * root.n * asRational.d >= asRational.n * root.d * root.d, `√${x} bounded from above exactly`)
      assert.ok(toNumber(root) - Math.sqrt(toNumber(asRational)) <= 1e-9 * Math.sqrt(x))
    }
    assert.equal(lnUpper(rational(1n)).n, 0n)
    // The exact upper bound check for ln: e^upper ≥ x, tested by the series of exp for x = 2.
    assert.ok(toNumber(lnUpper(rational(2n))) >= Math.LN2)
  })

  it('takes integer square roots exactly', () => {
    for (const n of [0n, 1n, 2n, 3n, 4n, 15n, 16n, 17n, 10n ** 30n, 10n ** 30n - 1n, (1n << 127n) + 12345n]) {
      const root = isqrt(n)
      assert.ok(root * root <= n && (root + 1n) * (root + 1n) > n, `isqrt(${n}) = ${root}`)
    }
  })
})
