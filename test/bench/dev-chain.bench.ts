// The embedded dev chain (anvil from npm):
//   payment.dev_chain.spawn_to_rpc  DevChain.start(): spawn to the first eth_chainId answer
//   payment.dev_chain.stop          DevChain.stop(): SIGTERM to exit
//   payment.dev_chain.idle_rss      the resident memory of an idle chain
//   payment.dev_chain_spawn_to_deployed  what `agora chain dev` does on a fresh
//                                   directory: spawn, the three contracts deployed
//                                   and their code checked, the network file written
//   payment.dev_chain.restart_to_ready  the same on a second start (contracts found, not deployed)
// Each time is the median of several runs.
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DevChain, DevNetwork } from '../../payment/index.ts'
import { percentile, report } from './report.ts'

const RUNS = 7
const starts: number[] = []
const stops: number[] = []
const rssMb: number[] = []

for (let i = 0; i < RUNS; i++) {
  const chain = new DevChain()
  const started = performance.now()
  await chain.start()
  starts.push(performance.now() - started)
  const status = await readFile(`/proc/${chain.pid}/status`, 'utf8')
  const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1])
  rssMb.push(kb / 1024)
  const stopping = performance.now()
  await chain.stop()
  stops.push(performance.now() - stopping)
}

report('payment.dev_chain.spawn_to_rpc', percentile(starts, 50), 'ms')
report('payment.dev_chain.stop', percentile(stops, 50), 'ms')
report('payment.dev_chain.idle_rss', percentile(rssMb, 50), 'MB')

const root = await mkdtemp(join(tmpdir(), 'agora-dev-network-bench-'))
const deployed: number[] = []
const restarted: number[] = []
try {
  for (let i = 0; i < RUNS; i++) {
    const dir = join(root, `run-${i}`)
    const first = new DevNetwork({}, { dir })
    let startedAt = performance.now()
    const started = await first.start()
    deployed.push(performance.now() - startedAt)
    await first.stop()
    if (!started.deployed) throw new Error('a fresh directory was not deployed to')
    const second = new DevNetwork({}, { dir })
    startedAt = performance.now()
    const again = await second.start()
    restarted.push(performance.now() - startedAt)
    await second.stop()
    if (again.deployed) throw new Error('a restart deployed again')
  }
} finally {
  await rm(root, { recursive: true, force: true })
}
report('payment.dev_chain_spawn_to_deployed', percentile(deployed, 50), 'ms')
report('payment.dev_chain.restart_to_ready', percentile(restarted, 50), 'ms')
