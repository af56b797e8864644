// What the task executor itself costs per task, apart from the daemons: 20,000
// tasks mapped over in-memory rentals at concurrency 3 (the ceiling its own
// scheduling, retries bookkeeping and events put on tasks/s).
import { createExecutor } from '../../sdk/index.ts'
import { ScriptedMarket } from '../helpers/scripted-rentals.ts'
import { report } from './report.ts'

const TASKS = 20_000
const market = new ScriptedMarket(['a', 'b', 'c'])
const executor = createExecutor(market.rent, { runtime: 'wasmtime', image: 'bench.wasm', min: 0, max: 3 })
let done = 0
executor.addEventListener('done', () => {
  done++
})
const inputs = Array.from({ length: TASKS }, (_, i) => i)
// A warm-up map rents the three rentals, so the measured one is scheduling alone.
await executor.map(inputs.slice(0, 300), async (_context, input) => input, { concurrency: 3 })
const start = performance.now()
const results = await executor.map(inputs, async ({ rental }, input) => input + rental.provider.id.length, { concurrency: 3 })
const seconds = (performance.now() - start) / 1000
if (results.length !== TASKS || done !== TASKS + 300) throw new Error(`mapped ${results.length}, done ${done}`)
report('sdk-executor-tasks-per-second', TASKS / seconds, 'tasks/s')
await executor.shutdown()
