// A federated run's options are refused whole before anything is rented;
// partials are read by their declared kind and refused when malformed; the
// combinations the helpers make of them (sums, mean and variances, the
// gradient step) are those of the pooled data.
import assert from 'node:assert/strict'
import { SdkError, parsePartial, sumPartials } from '../../sdk/index.ts'
import type { FederatedOptions } from '../../sdk/index.ts'
import { checkFederatedOptions, checkStep } from '../../sdk/federated/options.ts'
import { cellBounds, momentsToMean } from '../../sdk/federated/statistics.ts'
import { nextWeights } from '../../sdk/federated/logistic.ts'

const PACKAGE = `hash:sha3:${'ab'.repeat(28)}:http://127.0.0.1:9/mean.wasm`
const base: FederatedOptions = {
  datasets: [{ name: 'clinic-a' }, { name: 'clinic-b', provider: `0x${'1'.repeat(40)}` }],
  algorithm: { image: PACKAGE },
  budget: '1'
}
const refusal = (pattern: RegExp) => (error: unknown) => error instanceof SdkError && error.code === 'BadRequest' && pattern.test(error.message)

describe('sdk federated: options, partials and their combinations', () => {
  it('refuses bad options whole, naming the option', () => {
    assert.throws(() => checkFederatedOptions({ ...base, datasets: [] }), refusal(/datasets must be a list/))
    assert.throws(() => checkFederatedOptions({ ...base, datasets: [{ name: 'x)(a=*' }] }), refusal(/datasets\[0\]\.name/))
    assert.throws(() => checkFederatedOptions({ ...base, datasets: [{ name: 'a', provider: 'me' }] }), refusal(/datasets\[0\]\.provider/))
    const twice = { name: 'a', provider: `0x${'2'.repeat(40)}` }
    assert.throws(
      () => checkFederatedOptions({ ...base, datasets: [twice, { ...twice, provider: twice.provider.toUpperCase().replace('0X', '0x') }] }),
      refusal(/same owner twice/)
    )
    assert.throws(() => checkFederatedOptions({ ...base, algorithm: { image: 'docker:x' } }), refusal(/runtime "vm"/))
    assert.throws(() => checkFederatedOptions({ ...base, algorithm: { image: PACKAGE, command: 'a b' } }), refusal(/algorithm.command/))
    assert.throws(() => checkFederatedOptions({ ...base, budget: 'lots' }), refusal(/budget must be/))
    assert.throws(() => checkFederatedOptions({ ...base, args: [1 as never] }), refusal(/args must be/))
    assert.throws(() => checkFederatedOptions({ ...base, output: '/data/data.csv' }), refusal(/output must be a file under \/out/))
    assert.throws(() => checkFederatedOptions({ ...base, output: '/out/../data/x' }), refusal(/output must be/))
    assert.throws(() => checkFederatedOptions({ ...base, aggregate: { secure: { length: 0 } } }), refusal(/length/))
    assert.throws(
      () => checkFederatedOptions({ ...base, aggregate: { secure: { length: 3, threshold: 3 } } }),
      refusal(/threshold must be an integer from 1 to the number of datasets \(2\)/)
    )
    assert.throws(() => checkFederatedOptions({ ...base, aggregate: { secure: { length: 3, fractionalBits: 1.5 } } }), refusal(/fractionalBits/))
    assert.throws(() => checkFederatedOptions({ ...base, aggregate: { clear: { threshold: 0 } } }), refusal(/aggregate.clear.threshold/))
    assert.throws(() => checkFederatedOptions({ ...base, aggregate: 'secure' as never }), refusal(/aggregate must be/))
    assert.throws(
      () => checkFederatedOptions({ ...base, aggregate: { secure: { length: 3 } }, combine: () => 1 } as never),
      refusal(/combine is for clear partials/)
    )
    assert.throws(() => checkFederatedOptions({ ...base, stepTimeoutMs: -1 }), refusal(/stepTimeoutMs/))
    const checked = checkFederatedOptions({ ...base, aggregate: { secure: { length: 3, threshold: 1 } } })
    assert.deepEqual(checked.datasets, base.datasets)
    assert.equal(checked.algorithm.command, 'main')
    assert.deepEqual(checkStep({ aggregate: { secure: { length: 3 } } }, 3).aggregate, { mode: 'secure', length: 3, threshold: 3 })
    assert.deepEqual(checkStep({}, 2), { args: [], output: '/out/partial.json', aggregate: { mode: 'clear', threshold: 2 } })
  })

  it('reads partials by kind and refuses a malformed one as MalformedResponse', () => {
    assert.deepEqual(parsePartial('{"kind":"vector","rows":12,"values":[1,2.5]}', 'a'), { kind: 'vector', rows: 12, values: [1, 2.5] })
    assert.deepEqual(parsePartial('{"kind":"histogram","cells":[{"key":"x","count":0}]}', 'a'), { kind: 'histogram', cells: [{ key: 'x', count: 0 }] })
    const malformed = (text: string, pattern: RegExp) =>
      assert.throws(
        () => parsePartial(text, 'clinic-a at 0x1'),
        (error: unknown) => error instanceof SdkError && error.code === 'MalformedResponse' && pattern.test(error.message)
      )
    malformed('nope', /clinic-a at 0x1 is not JSON/)
    malformed('[]', /not a JSON object/)
    malformed('{"kind":"table"}', /of kind "table"/)
    malformed('{"kind":"vector","rows":-1,"values":[]}', /row count/)
    malformed('{"kind":"vector","rows":1,"values":[1,"2"]}', /not a list of numbers/)
    malformed('{"kind":"aggregate","rows":1,"values":{"sum":null}}', /value sum/)
    malformed('{"kind":"histogram","cells":[{"key":"x","count":1.5}]}', /count ≥ 0/)
  })

  it('sums partials by name, position and key, as the pooled data would', () => {
    const aggregate = sumPartials([
      { kind: 'aggregate', rows: 10, values: { sum: 4, count: 10 } },
      { kind: 'aggregate', rows: 20, values: { count: 20, sum: -1 } }
    ])
    assert.deepEqual(aggregate, { kind: 'aggregate', rows: 30, names: ['count', 'sum'], values: [30, 3] })
    const histogram = sumPartials([
      { kind: 'histogram', cells: [{ key: 'a', count: 10 }] },
      {
        kind: 'histogram',
        cells: [
          { key: 'b', count: 12 },
          { key: 'a', count: 11 }
        ]
      }
    ])
    assert.deepEqual(histogram.cells, [
      { key: 'a', count: 21 },
      { key: 'b', count: 12 }
    ])
    assert.equal(histogram.rows, 33)
    assert.deepEqual(
      sumPartials([
        { kind: 'vector', rows: 1, values: [1, 2] },
        { kind: 'vector', rows: 2, values: [3, 4] }
      ]).values,
      [4, 6]
    )
    assert.throws(
      () =>
        sumPartials([
          { kind: 'vector', rows: 1, values: [1] },
          { kind: 'vector', rows: 1, values: [1, 2] }
        ]),
      /differ in length/
    )
    assert.throws(
      () =>
        sumPartials([
          { kind: 'vector', rows: 1, values: [1] },
          { kind: 'model', rows: 1, weights: [1] }
        ]),
      /different kinds/
    )
  })

  it('derives the mean and both variances from a count, a sum and a sum of squares', () => {
    const values = [3, 5, 5, 8, 9, 12]
    const sum = values.reduce((a, b) => a + b, 0)
    const squares = values.reduce((a, b) => a + b * b, 0)
    const mean = sum / values.length
    const deviations = values.reduce((a, b) => a + (b - mean) ** 2, 0)
    const derived = momentsToMean(values.length, sum, squares)
    assert.equal(derived.mean, mean)
    assert.ok(Math.abs(derived.variance - deviations / (values.length - 1)) < 1e-12)
    assert.ok(Math.abs(derived.populationVariance - deviations / values.length) < 1e-12)
    assert.ok(Number.isNaN(momentsToMean(1, 4, 16).variance))
    assert.throws(
      () => momentsToMean(0, 0, 0),
      (error: unknown) => error instanceof SdkError && error.code === 'Conflict'
    )
    // K edges make K + 1 cells, keyed as the owners' histograms key them.
    assert.deepEqual(
      cellBounds([0, 2.5]).map(cell => [cell.key, cell.from, cell.to]),
      [
        ['<0', Number.NEGATIVE_INFINITY, 0],
        ['[0,2.5)', 0, 2.5],
        ['>=2.5', 2.5, Number.POSITIVE_INFINITY]
      ]
    )
  })

  it('steps the weights down the mean gradient, the intercept not penalised', () => {
    assert.deepEqual(nextWeights([1, 2], [10, -20], 10, 0.5, 0), [0.5, 3])
    assert.deepEqual(nextWeights([1, 2], [0, 0], 10, 0.5, 0.1), [1, 1.9])
  })
})
