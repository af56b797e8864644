// Federated runs across three owner daemons (real daemons on loopback, the
// dev chain, the owners' provider agents offering their datasets, the example
// algorithms built from source), each result checked against the same
// computation on the pooled data: exactly for counts and sums of integers,
// in the clear and by secure aggregation; dropouts below the threshold fail
// cleanly, with every rental released.
import assert from 'node:assert/strict'
import { FederatedRunError, federated, federatedHistogram, federatedMean } from '../../sdk/index.ts'
import type { FederatedPartial, SecureFederatedResult } from '../../sdk/index.ts'
import { devChainFixture } from '../helpers/dev-chain.ts'
import { MIN_ROWS, startFederatedWorld } from './federated-world.ts'
import type { FederatedWorld, Row } from './federated-world.ts'

const TERMS = { budget: '0.2', duration: 900, startupTimeoutMs: 60_000 } as const
const AGE = 0

describe('federated runs: three owners against the pooled data', function () {
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

  const clinics = () => fed.world.owners.map(owner => ({ name: 'clinic', provider: owner.nodeId }))
  const moments = (rows: readonly Row[], column: number) => {
    const values = rows.map(row => row[column]!)
    return { count: values.length, sum: values.reduce((a, b) => a + b, 0), squares: values.reduce((a, b) => a + b * b, 0) }
  }
  const checkReleased = (run: { rentals: readonly { agreementId: string }[]; owners: readonly { providerId: string; status: string }[] }) => {
    assert.equal(run.rentals.length, 3)
    assert.deepEqual(new Set(run.owners.map(owner => owner.providerId)), new Set(fed.world.owners.map(owner => owner.nodeId)))
  }

  it("gives the pooled mean and variance in the clear, from each owner's own count, sum and sum of squares", async () => {
    const result = await federatedMean(fed.world.client, {
      datasets: clinics(),
      algorithm: { image: fed.algorithms['mean-variance'].taskPackage },
      column: 'age',
      ...TERMS
    })
    const pooled = moments(fed.pooled, AGE)
    assert.equal(result.count, pooled.count)
    assert.equal(result.sum, pooled.sum)
    assert.equal(result.sumOfSquares, pooled.squares)
    const mean = pooled.sum / pooled.count
    assert.equal(result.mean, mean)
    const twoPass = fed.pooled.reduce((total, row) => total + (row[AGE] - mean) ** 2, 0)
    assert.ok(Math.abs(result.variance - twoPass / (pooled.count - 1)) < 1e-9 * twoPass, `${result.variance} vs ${twoPass / (pooled.count - 1)}`)
    // In the clear, each owner's partial is its own rows' moments.
    assert.equal(result.run.aggregate, 'clear')
    if (result.run.aggregate !== 'clear') return
    const byOwner = new Map(result.run.partials.map(entry => [entry.providerId, entry.partial]))
    fed.world.owners.forEach((owner, i) => {
      const own = moments(fed.rows[i]!, AGE)
      assert.deepEqual(byOwner.get(owner.nodeId), { kind: 'vector', rows: own.count, values: [own.count, own.sum, own.squares] })
    })
    checkReleased(result.run)
    assert.ok(result.run.cost > 0n)
  })

  it('gives the same sums exactly by secure aggregation, without any partial reaching the requester', async () => {
    const result = await federatedMean(fed.world.client, {
      datasets: clinics(),
      algorithm: { image: fed.algorithms['mean-variance'].taskPackage },
      column: 'score',
      aggregate: { secure: {} },
      ...TERMS
    })
    const pooled = moments(fed.pooled, 1)
    assert.equal(result.count, pooled.count)
    assert.equal(result.sum, pooled.sum)
    assert.equal(result.sumOfSquares, pooled.squares)
    const run = result.run as SecureFederatedResult
    assert.equal(run.aggregate, 'secure')
    assert.ok(!('partials' in run))
    // Integer data: the fixed-point sum is the exact integer sum scaled.
    assert.deepEqual(
      run.sumFixed.map(BigInt),
      [pooled.count, pooled.sum, pooled.squares].map(value => BigInt(value) << BigInt(run.fractionalBits))
    )
    assert.deepEqual(new Set(run.survivors.map(id => id.toLowerCase())), new Set(fed.world.owners.map(owner => owner.nodeId)))
    assert.deepEqual(run.dropped, [])
    checkReleased(run)
  })

  it("gives the pooled histogram, each owner's cells below the minimum count suppressed at the owner (clear) or the totals at the requester (secure)", async () => {
    const edges = [30, 45, 60, 75]
    const keys = ['<30', '[30,45)', '[45,60)', '[60,75)', '>=75']
    const cellOf = (age: number) => edges.filter(edge => edge <= age).length
    const countsOf = (rows: readonly Row[]) => {
      const counts = new Array<number>(keys.length).fill(0)
      for (const row of rows) counts[cellOf(row[AGE])]!++
      return counts
    }
    // A minimum above some owner's cells, so that the owners' suppression shows.
    const minCount = 15
    const perOwner = fed.rows.map(countsOf)
    assert.ok(
      perOwner.some(counts => counts.some(count => count > 0 && count < minCount)),
      'the data must have a cell to suppress'
    )
    const clear = await federatedHistogram(fed.world.client, {
      datasets: clinics(),
      algorithm: { image: fed.algorithms.histogram.taskPackage },
      column: 'age',
      edges,
      minCount,
      ...TERMS
    })
    const suppressedAtOwners = keys.map((_, i) => perOwner.reduce((total, counts) => total + (counts[i]! < minCount ? 0 : counts[i]!), 0))
    assert.deepEqual(
      clear.cells.map(cell => cell.key),
      keys
    )
    assert.deepEqual(
      clear.cells.map(cell => cell.count),
      suppressedAtOwners.map(count => (count < minCount ? 0 : count))
    )
    // What each owner released is its own histogram, every cell 0 or at least the minimum.
    if (clear.run.aggregate === 'clear')
      for (const { partial } of clear.run.partials) {
        assert.equal(partial.kind, 'histogram')
        for (const cell of (partial as Extract<FederatedPartial, { kind: 'histogram' }>).cells) assert.ok(cell.count === 0 || cell.count >= minCount)
      }

    const secure = await federatedHistogram(fed.world.client, {
      datasets: clinics(),
      algorithm: { image: fed.algorithms.histogram.taskPackage },
      column: 'age',
      edges,
      minCount: MIN_ROWS,
      aggregate: { secure: {} },
      ...TERMS
    })
    const pooled = countsOf(fed.pooled)
    assert.deepEqual(
      secure.cells.map(cell => cell.count),
      pooled.map(count => (count < MIN_ROWS ? 0 : count))
    )
    assert.deepEqual(
      secure.suppressed,
      keys.filter((_, i) => pooled[i]! > 0 && pooled[i]! < MIN_ROWS)
    )
  })

  it('sums over the owners that finish when one is missing and the threshold allows it, and fails cleanly below the threshold', async () => {
    const algorithm = { image: fed.algorithms['mean-variance'].taskPackage }
    // A fourth dataset no owner holds: its rental finds no offer and counts as a dropout.
    const datasets = [...clinics(), { name: 'clinic-nowhere' }]
    const short = { ...TERMS, startupTimeoutMs: 5_000 }
    const survived = await federated(fed.world.client, { datasets, algorithm, args: ['age'], aggregate: { secure: { length: 3, threshold: 3 } }, ...short })
    const pooled = moments(fed.pooled, AGE)
    assert.deepEqual(survived.sum, [pooled.count, pooled.sum, pooled.squares])
    const missing = survived.owners.find(owner => owner.dataset === 'clinic-nowhere')
    assert.equal(missing?.status, 'dropped')
    assert.equal(missing?.error?.code, 'NotFound')
    assert.equal(survived.rentals.length, 3)

    await assert.rejects(
      federated(fed.world.client, { datasets, algorithm, args: ['age'], aggregate: { secure: { length: 3, threshold: 4 } }, ...short }),
      (error: unknown) => {
        assert.ok(error instanceof FederatedRunError, String(error))
        assert.equal(error.code, 'Unavailable')
        assert.match(error.message, /only 3 of 4 owners finished, fewer than the threshold 4/)
        assert.match(error.message, /clinic-nowhere/)
        assert.equal(error.owners.filter(owner => owner.status === 'ok').length, 3)
        return true
      }
    )
    // Nothing is left rented: no agreement of the requester is still approved.
    assert.deepEqual(await fed.world.requester.client.expect(200, 'GET', '/market-api/v1/agreements?state=Approved'), [])
  })
})
