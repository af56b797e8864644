// The example algorithms as an owner runs them: in the real exe-unit, on a
// dataset mounted read-only at /data, their /out files leaving only through
// the output guard of the dataset's policy.
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { algorithm } from '../../helpers/algorithms.ts'
import type { AlgorithmName } from '../../helpers/algorithms.ts'
import { DEPLOY_START, runBatch } from '../../exe-unit/helpers.ts'
import { PATIENTS_CSV, startGrantedUnit } from '../granted-unit.ts'
import type { GrantedUnit } from '../granted-unit.ts'
import { testPolicy } from '../helpers.ts'

const ages = PATIENTS_CSV.trim()
  .split('\n')
  .slice(1)
  .map(line => Number(line.split(',')[1]))

describe('the example algorithms in the exe-unit, on a mounted dataset', function () {
  this.timeout(240_000)
  let granted: GrantedUnit

  before(async () => {
    granted = await startGrantedUnit((dataset, hash) => testPolicy(dataset, [hash], { minRows: 3, kinds: ['vector', 'histogram'] }))
  })
  after(async () => {
    await granted?.close()
  })

  async function run(name: AlgorithmName, args: string[], files: string[]): Promise<{ results: Array<{ result?: string; message?: string | null }> }> {
    const { path } = await algorithm(name)
    const taskPackage = await granted.approve(name, await readFile(path))
    const activityId = await granted.create(taskPackage)
    await runBatch(granted.unit.exeUnit, activityId, DEPLOY_START)
    const [ran] = await runBatch(granted.unit.exeUnit, activityId, [{ run: { entry_point: name, args } }])
    assert.equal(ran?.result, 'Ok', JSON.stringify(ran))
    const results = await runBatch(
      granted.unit.exeUnit,
      activityId,
      files.map(file => ({ transfer: { from: `container:/out/${file}`, to: `agora-requester:/${name}/${file}` } }))
    )
    return { results }
  }

  const received = (name: string, file: string): any => JSON.parse(granted.requester.files.get(`agora-requester:/${name}/${file}`)?.toString() ?? 'null')

  it('mean-variance: the partial leaves as a vector over the 12 rows', async () => {
    const { results } = await run('mean-variance', ['age'], ['partial.json'])
    assert.equal(results[0]?.result, 'Ok', JSON.stringify(results))
    assert.deepEqual(received('mean-variance', 'partial.json'), {
      kind: 'vector',
      rows: ages.length,
      values: [ages.length, ages.reduce((a, v) => a + v, 0), ages.reduce((a, v) => a + v * v, 0)]
    })
  })

  it('histogram: keyed cells leave when small cells are suppressed, and are refused when they are not', async () => {
    const edges = ['33', '40']
    const expected = [ages.filter(a => a < 33).length, ages.filter(a => a >= 33 && a < 40).length, ages.filter(a => a >= 40).length]
    assert.ok(
      expected.some(count => count > 0 && count < 3),
      'a cell below the policy minimum of 3 rows'
    )
    const suppressed = await run('histogram', ['age', ...edges, '--cells', '--min-count', '3'], ['histogram.json'])
    assert.equal(suppressed.results[0]?.result, 'Ok', JSON.stringify(suppressed.results))
    assert.deepEqual(received('histogram', 'histogram.json'), {
      kind: 'histogram',
      cells: ['<33', '[33,40)', '>=40'].map((key, i) => ({ key, count: expected[i]! < 3 ? 0 : expected[i] }))
    })
    granted.requester.files.clear()
    const exposed = await run('histogram', ['age', ...edges, '--cells'], ['histogram.json'])
    assert.equal(exposed.results[0]?.result, 'Error')
    assert.match(exposed.results[0]?.message ?? '', /a histogram cell counts \d rows; the policy asks for 0 or at least 3/)
    const refusal = granted.audit.entries.filter(entry => entry.kind === 'refusal').at(-1)
    assert.equal(refusal?.reasons?.at(-1)?.rule, 'output.minRows')
    assert.equal(granted.requester.files.size, 0)
  })
})
