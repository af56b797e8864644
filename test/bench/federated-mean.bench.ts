// A federated mean over 3 owners × 1,000,000 CSV rows, end to end: three
// owner daemons and a requester (child processes on loopback, the dev chain),
// each owner holding its million rows as a dataset with a policy allowing the
// mean-variance algorithm (built from source). Timed from the federatedMean
// call to its result: the three rentals, the algorithm fetched and run next
// to each dataset, the partials released and combined, every rental released.
// Then the same mean computed locally on the pooled file (read and parsed in
// this process), and the ratio of the two.
//   federated_mean_3x1m_ms           the federated run, in the clear
//   federated_mean_secure_3x1m_ms    the same by secure aggregation
//   federated_mean_local_3m_ms       the mean of the pooled file, here
//   federated_mean_ratio_to_local    federated (clear) / local
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { federatedMean } from '../../sdk/index.ts'
import { startCustodyWorld } from '../helpers/custody-owners.ts'
import { devProvider, startDevChain } from '../helpers/dev-chain.ts'
import { algorithm } from '../helpers/algorithms.ts'
import { offerAlgorithm } from '../helpers/federated-algorithms.ts'
import { prng } from '../helpers/prng.ts'
import { report } from './report.ts'

const OWNERS = 3
const ROWS = 1_000_000

/** One owner's CSV: an id and an integer value, so that every row differs. */
function ownerCsv(owner: number): { text: string; count: number; sum: number } {
  const random = prng(7 + owner)
  const lines = ['id,value']
  let sum = 0
  for (let i = 0; i < ROWS; i++) {
    const value = Math.floor(random() * 1000)
    sum += value
    lines.push(`${owner * ROWS + i},${value}`)
  }
  return { text: `${lines.join('\n')}\n`, count: ROWS, sum }
}

/** The mean of the pooled file's value column, as a script on the requester's machine would compute it. */
async function localMean(path: string): Promise<number> {
  const text = await readFile(path, 'utf8')
  let count = 0
  let sum = 0
  let start = text.indexOf('\n') + 1
  while (start < text.length) {
    const end = text.indexOf('\n', start)
    const comma = text.indexOf(',', start)
    sum += Number(text.slice(comma + 1, end))
    count++
    start = end + 1
  }
  return sum / count
}

const dir = await mkdtemp(join(tmpdir(), 'agora-bench-federated-'))
const chain = await startDevChain()
const provider = devProvider(chain)
try {
  const built = await algorithm('mean-variance')
  const owners = Array.from({ length: OWNERS }, (_, owner) => ownerCsv(owner))
  const expected = owners.reduce((total, owner) => total + owner.sum, 0) / (OWNERS * ROWS)
  const policy = {
    algorithms: { hashes: [built.hash] },
    output: { maxBytes: 65_536, minRows: 10, kinds: ['vector' as const], logs: 'none' as const, exitCodes: 'status' as const },
    release: { to: ['requester' as const] }
  }
  const world = await startCustodyWorld(
    { chain, provider },
    owners.map(owner => ({ datasets: [{ name: 'readings', csv: owner.text, policy }] }))
  )
  try {
    const offered = await offerAlgorithm(world.requester.client, 'mean-variance', built)
    const options = {
      datasets: world.owners.map(owner => ({ name: 'readings', provider: owner.nodeId })),
      algorithm: { image: offered.taskPackage },
      column: 'value',
      budget: '0.5',
      duration: 900,
      startupTimeoutMs: 60_000
    }
    const start = performance.now()
    const clear = await federatedMean(world.client, options)
    const federatedMs = performance.now() - start
    if (clear.count !== OWNERS * ROWS || clear.mean !== expected) throw new Error(`federated mean ${clear.mean} of ${clear.count} rows, expected ${expected}`)
    const secureStart = performance.now()
    const secure = await federatedMean(world.client, { ...options, aggregate: { secure: {} } })
    const secureMs = performance.now() - secureStart
    if (secure.count !== OWNERS * ROWS || secure.mean !== expected) throw new Error(`secure mean ${secure.mean} of ${secure.count} rows, expected ${expected}`)

    const pooled = join(dir, 'pooled.csv')
    await writeFile(pooled, `id,value\n${owners.map(owner => owner.text.slice(owner.text.indexOf('\n') + 1)).join('')}`)
    const localStart = performance.now()
    const local = await localMean(pooled)
    const localMs = performance.now() - localStart
    if (local !== expected) throw new Error(`local mean ${local}, expected ${expected}`)
    report('federated_mean_3x1m_ms', Math.round(federatedMs), 'ms')
    report('federated_mean_secure_3x1m_ms', Math.round(secureMs), 'ms')
    report('federated_mean_local_3m_ms', Math.round(localMs), 'ms')
    report('federated_mean_ratio_to_local', federatedMs / localMs, 'x')
  } finally {
    await world.stop()
  }
} finally {
  provider.destroy()
  await chain.stop()
  await rm(dir, { recursive: true, force: true })
}
