// The owner's side of a private federated query: the exact noise for a
// 10,000-element contribution (the secure-sum bench's vector), and the
// mean-variance algorithm over 1,000,000 CSV rows on node:wasi, beside the
// same mean computed by a plain JavaScript loop over the file.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { noise } from '../../custody/index.ts'
import type { PrivacyPolicy } from '../../custody/index.ts'
import { algorithm } from '../helpers/algorithms.ts'
import { runWasi } from '../helpers/wasi-run.ts'
import { report } from './report.ts'

const LENGTH = 10_000
const ROWS = 1_000_000

const gaussian: PrivacyPolicy = { mechanism: 'gaussian', epsilonBudget: '10', epsilonPerQuery: '1', delta: '0.00001', sensitivity: '1' }
const laplace: PrivacyPolicy = { mechanism: 'laplace', epsilonBudget: '10', epsilonPerQuery: '1', sensitivity: '1' }

for (const [name, policy] of [
  ['gaussian', gaussian],
  ['laplace', laplace]
] as const) {
  noise(policy, 100, 16, 3)
  const started = performance.now()
  noise(policy, LENGTH, 16, 3)
  report(`privacy-noise-${name}-10k`, performance.now() - started, 'ms')
}

const dir = await mkdtemp(join(tmpdir(), 'agora-bench-algorithms-'))
try {
  const lines = ['id,value']
  for (let i = 0; i < ROWS; i++) lines.push(`${i},${(i * 7919) % 100_000}`)
  await writeFile(join(dir, 'data.csv'), `${lines.join('\n')}\n`)
  const { path } = await algorithm('mean-variance')
  await runWasi(path, ['value'], dir) // compiles the module once
  const started = performance.now()
  const run = await runWasi(path, ['value'], dir)
  const wasiMs = performance.now() - started
  if (run.exitCode !== 0) throw new Error(`mean-variance failed: ${run.stderr}`)
  const localStarted = performance.now()
  const text = await readFile(join(dir, 'data.csv'), 'utf8')
  let count = 0
  let sum = 0
  for (const line of text.split('\n').slice(1)) {
    if (line === '') continue
    count++
    sum += Number(line.slice(line.indexOf(',') + 1))
  }
  const localMs = performance.now() - localStarted
  const [wasiCount, wasiSum] = JSON.parse(run.out.get('partial.json')!).values as number[]
  if (wasiCount !== count || wasiSum !== sum) throw new Error('the algorithm and the local loop disagree')
  report('algorithm-mean-variance-1m-rows', wasiMs, 'ms')
  report('algorithm-mean-variance-1m-rows-vs-local-js', wasiMs / localMs, 'ratio')
} finally {
  await rm(dir, { recursive: true, force: true })
}
