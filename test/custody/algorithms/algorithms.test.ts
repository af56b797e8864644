import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildAlgorithm, sha3 } from '../../../scripts/build-algorithms.ts'
import { ALGORITHMS, algorithm } from '../../helpers/algorithms.ts'
import { prng } from '../../helpers/prng.ts'
import { runWasi } from '../../helpers/wasi-run.ts'
import { wasm } from '../../../exe-unit/runtime/wasmtime/wasm-api.ts'

interface Row {
  age: number | null
  income: number
  label: 0 | 1
  x1: number
  x2: number
}

/** An owner's rows: integer ages (some missing), incomes with cents, a label that depends on the features. */
function ownerRows(seed: number, count: number): Row[] {
  const random = prng(seed)
  return Array.from({ length: count }, () => {
    const x1 = Math.round((random() * 4 - 2) * 1000) / 1000
    const x2 = Math.floor(random() * 10)
    const label = random() < 1 / (1 + Math.exp(-(0.5 + 1.5 * x1 - 0.2 * x2))) ? 1 : 0
    return { age: random() < 0.05 ? null : 18 + Math.floor(random() * 70), income: Math.round(random() * 1e7) / 100, label, x1, x2 }
  })
}

function csv(rows: readonly Row[]): string {
  return `id,age,income,label,x1,x2\n${rows.map((r, i) => `${i},${r.age ?? ''},${r.income},${r.label},${r.x1},${r.x2}`).join('\n')}\n`
}

async function owner(rows: readonly Row[], text = csv(rows)): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'agora-algorithm-data-'))
  await writeFile(join(dir, 'data.csv'), text)
  return dir
}

function partial(run: { exitCode: number; stdout: string; stderr: string; out: ReadonlyMap<string, string> }): {
  kind: string
  rows: number
  values: number[]
} {
  assert.equal(run.exitCode, 0, run.stderr)
  assert.equal(run.stdout, '', 'nothing is printed on success')
  assert.equal(run.stderr, '', 'nothing is printed on success')
  const text = run.out.get('partial.json')
  assert.ok(text !== undefined, 'partial.json is written')
  return JSON.parse(text)
}

function sum(vectors: readonly number[][]): number[] {
  return vectors[0]!.map((_, i) => vectors.reduce((total, vector) => total + vector[i]!, 0))
}

function logisticReference(rows: readonly Row[], weights: readonly number[]): number[] {
  const gradient = [0, 0, 0, 0]
  for (const row of rows) {
    const z = weights[0]! + weights[1]! * row.x1 + weights[2]! * row.x2
    const p = 1 / (1 + Math.exp(-z))
    gradient[0]! += p - row.label
    gradient[1]! += (p - row.label) * row.x1
    gradient[2]! += (p - row.label) * row.x2
    gradient[3]! += Math.log1p(Math.exp(-Math.abs(z))) + Math.max(z, 0) - row.label * z
  }
  return gradient
}

function assertClose(actual: readonly number[], expected: readonly number[], what: string): void {
  assert.equal(actual.length, expected.length)
  for (let i = 0; i < actual.length; i++) {
    const tolerance = 1e-9 * Math.max(1, Math.abs(expected[i]!))
    assert.ok(Math.abs(actual[i]! - expected[i]!) <= tolerance, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`)
  }
}

describe('the example algorithms, built from source, on node:wasi', function () {
  this.timeout(240_000)
  const owners = [ownerRows(1, 700), ownerRows(2, 1_100), ownerRows(3, 450)]
  const pooled = owners.flat()
  const dirs: string[] = []

  before(async () => {
    for (const rows of owners) dirs.push(await owner(rows))
  })

  after(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true })
  })

  it('are WASI commands importing only wasi_snapshot_preview1, with _start and memory, named by their sha3', async () => {
    for (const name of ALGORITHMS) {
      const { path, hash } = await algorithm(name)
      const bytes = await readFile(path)
      assert.equal(hash, sha3(bytes))
      assert.match(hash, /^sha3:[0-9a-f]{64}$/)
      const module = await wasm.compile(bytes)
      for (const entry of wasm.Module.imports(module)) {
        assert.equal(entry.module, 'wasi_snapshot_preview1', `${name} imports ${entry.module}.${entry.name}`)
        assert.equal(entry.kind, 'function')
      }
      const exports = wasm.Module.exports(module).map(e => `${e.kind} ${e.name}`)
      assert.ok(exports.includes('function _start') && exports.includes('memory memory'), `${name} exports ${exports}`)
    }
  })

  it('build the same bytes from the same sources', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'agora-algorithms-build-'))
    try {
      const again = await buildAlgorithm('mean-variance', dir)
      assert.equal(again.rebuilt, true)
      assert.equal(again.hash, (await algorithm('mean-variance')).hash)
      const kept = await buildAlgorithm('mean-variance', dir)
      assert.equal(kept.rebuilt, false, 'unchanged inputs are not built again')
      assert.equal(kept.hash, again.hash)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('mean-variance: summed partials are the pooled count, sum and sum of squares, exactly', async () => {
    const { path } = await algorithm('mean-variance')
    for (const column of ['age', 'income'] as const) {
      const partials = await Promise.all(dirs.map(async dir => partial(await runWasi(path, [column], dir))))
      partials.forEach((p, i) => {
        assert.equal(p.kind, 'vector')
        assert.equal(p.rows, owners[i]!.length)
        const values = owners[i]!.map(r => r[column]).filter((v): v is number => v !== null)
        // Same parsing (correctly rounded) and the same order of additions: the same doubles.
        assert.deepEqual(p.values, [values.length, values.reduce((a, v) => a + v, 0), values.reduce((a, v) => a + v * v, 0)])
      })
      const [count, total, squares] = sum(partials.map(p => p.values)) as [number, number, number]
      const values = pooled.map(r => r[column]).filter((v): v is number => v !== null)
      const mean = values.reduce((a, v) => a + v, 0) / values.length
      const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1)
      assert.equal(count, values.length)
      if (column === 'age') {
        // Integer data: the sums are exact, so the combined moments are those of the pooled rows.
        assert.equal(
          total,
          values.reduce((a, v) => a + v, 0)
        )
        assert.equal(
          squares,
          values.reduce((a, v) => a + v * v, 0)
        )
      }
      assertClose([total / count, (squares - (total * total) / count) / (count - 1)], [mean, variance], column)
    }
  })

  it('histogram: summed cell counts are the pooled histogram; --cells writes keyed cells with small ones suppressed', async () => {
    const { path } = await algorithm('histogram')
    const edges = [30, 45, 60, 75, 85]
    const runs = await Promise.all(dirs.map(dir => runWasi(path, ['age', ...edges.map(String), '--cells', '--min-count', '40'], dir)))
    const counts = sum(runs.map(run => partial(run).values))
    const expected = new Array<number>(edges.length + 1).fill(0)
    for (const row of pooled) if (row.age !== null) expected[edges.filter(e => e <= row.age!).length]!++
    assert.deepEqual(counts, expected)
    const keys = ['<30', '[30,45)', '[45,60)', '[60,75)', '[75,85)', '>=85']
    runs.forEach((run, i) => {
      const histogram = JSON.parse(run.out.get('histogram.json')!)
      assert.equal(histogram.kind, 'histogram')
      const own = partial(run).values
      assert.deepEqual(
        histogram.cells,
        keys.map((key, cell) => ({ key, count: own[cell]! < 40 ? 0 : own[cell] })),
        `owner ${i}`
      )
    })
    assert.ok(
      runs.some(run => partial(run).values.some(c => c > 0 && c < 40)),
      'some cell is small enough to be suppressed'
    )
    const withoutCells = await runWasi(path, ['age', '50'], dirs[0]!)
    assert.deepEqual([...withoutCells.out.keys()], ['partial.json'])
  })

  it('logreg-gradient: summed gradients are the pooled gradient, and rounds of them fit the pooled model', async () => {
    const { path } = await algorithm('logreg-gradient')
    let weights = [0, 0, 0]
    const losses: number[] = []
    for (let round = 0; round < 4; round++) {
      const args = ['label', 'x1', 'x2', '--weights', weights.join(',')]
      const partials = await Promise.all(dirs.map(async dir => partial(await runWasi(path, args, dir))))
      partials.forEach((p, i) => {
        assertClose(p.values, logisticReference(owners[i]!, weights), `owner ${i} round ${round}`)
      })
      const combined = sum(partials.map(p => p.values))
      assertClose(combined, logisticReference(pooled, weights), `round ${round}`)
      losses.push(combined[3]!)
      weights = weights.map((w, j) => w - (0.1 * combined[j]!) / pooled.length)
    }
    for (let i = 1; i < losses.length; i++) assert.ok(losses[i]! < losses[i - 1]!, `the loss falls: ${losses}`)
  })

  it('read quoted cells, CRLF lines and true/false', async () => {
    const dir = await owner([], 'name,"the value",flag\r\n"a, b","1,5"x\r\n')
    const quoted = await owner([], 'name,"the value",flag\r\n"a, ""b""",  7 ,true\r\nc,,false\r\nd,"2.5",true')
    try {
      const { path } = await algorithm('mean-variance')
      assert.deepEqual(partial(await runWasi(path, ['the value'], quoted)).values, [2, 9.5, 55.25])
      assert.deepEqual(partial(await runWasi(path, ['flag'], quoted)).values, [3, 2, 2])
      const bad = await runWasi(path, ['the value'], dir)
      assert.equal(bad.exitCode, 2)
      assert.match(bad.stderr, /text after a closing quote/)
    } finally {
      await rm(dir, { recursive: true, force: true })
      await rm(quoted, { recursive: true, force: true })
    }
  })

  it('refuse bad arguments and bad data with a message and an exit code, writing nothing', async () => {
    const notNumber = await owner([], 'id,age\n1,40\n2,forty\n')
    const ragged = await owner([], 'id,age\n1,40\n2\n')
    const badLabel = await owner([], 'label,x\n2,1\n')
    const empty = await owner([], '')
    try {
      const meanVariance = (await algorithm('mean-variance')).path
      const histogram = (await algorithm('histogram')).path
      const logreg = (await algorithm('logreg-gradient')).path
      const cases: Array<[string, string[], string, RegExp]> = [
        [meanVariance, [], dirs[0]!, /usage: mean-variance/],
        [meanVariance, ['height'], dirs[0]!, /no column height \(columns: id,age,income,label,x1,x2\)/],
        [meanVariance, ['age'], notNumber, /row 2: forty is not a number/],
        [meanVariance, ['age'], ragged, /row 2 has 1 cells; the header has 2/],
        [meanVariance, ['age'], empty, /no header row/],
        [histogram, ['age'], dirs[0]!, /usage: histogram/],
        [histogram, ['age', '50', '40'], dirs[0]!, /the edges must increase/],
        [histogram, ['age', 'fifty'], dirs[0]!, /an edge must be a number, not fifty/],
        [histogram, ['age', '50', '--min-count', '-1'], dirs[0]!, /--min-count must be a whole number/],
        [logreg, ['label', 'x1', 'x2', '--weights', '0,0'], dirs[0]!, /--weights needs 3 values/],
        [logreg, ['label', 'x1'], dirs[0]!, /usage: logreg-gradient/],
        [logreg, ['label', 'x', '--weights', '0,0'], badLabel, /row 1: the label must be 0 or 1/]
      ]
      for (const [path, args, dir, message] of cases) {
        const run = await runWasi(path, args, dir)
        assert.equal(run.exitCode, 2, `${args.join(' ')}: ${run.stderr}`)
        assert.match(run.stderr, message)
        assert.equal(run.out.size, 0, `${args.join(' ')} wrote nothing`)
      }
      const noData = await mkdtemp(join(tmpdir(), 'agora-algorithm-none-'))
      await mkdir(join(noData, 'other'))
      const missing = await runWasi(meanVariance, ['age'], noData)
      await rm(noData, { recursive: true, force: true })
      assert.equal(missing.exitCode, 1)
      assert.match(missing.stderr, /cannot open \/data\/data\.csv/)
    } finally {
      for (const dir of [notNumber, ragged, badLabel, empty]) await rm(dir, { recursive: true, force: true })
    }
  })
})
