// The embedded dev chain (anvil from npm):
//   payment.dev_chain.spawn_to_rpc  DevChain.start(): spawn to the first eth_chainId answer
//   payment.dev_chain.stop          DevChain.stop(): SIGTERM to exit
//   payment.dev_chain.idle_rss      the resident memory of an idle chain
// Each time is the median of several runs.
import { readFile } from 'node:fs/promises'
import { DevChain } from '../../payment/index.ts'
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
