// The provider's memory while a WASI command writes far more output than its
// capture keeps (1 GiB against the default 1 MiB head and tail): how much its
// resident memory grows at most, and how fast the output is taken.
import { DEPLOY_START, publishModule, runBatch, startExeUnit, startFileServer, uniqueId, wasmProperties, writerModule } from '../exe-unit/helpers.ts'
import { report } from './report.ts'

const BLOCK = 64 * 1024
const REPEATS = 16_384

const server = await startFileServer()
const unit = await startExeUnit()
try {
  const flood = await publishModule(server, 'flood', await writerModule({ to: 'stdout', blockBytes: BLOCK, repeats: REPEATS }))
  const activityId = uniqueId('flood')
  await unit.exeUnit.createActivity({ activityId, agreementId: 'bench', requesterId: 'bench', properties: wasmProperties(flood) })
  await runBatch(unit.exeUnit, activityId, DEPLOY_START, 60_000)
  ;(globalThis as { gc?: () => void }).gc?.()
  const baseline = process.memoryUsage().rss
  let peak = baseline
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss)
  }, 10)
  const started = performance.now()
  const [result] = await runBatch(unit.exeUnit, activityId, [{ run: { entry_point: 'flood', args: [] } }], 300_000)
  const seconds = (performance.now() - started) / 1000
  clearInterval(sampler)
  if (result?.result !== 'Ok' || !(result.message ?? '').includes('cut')) throw new Error(`unexpected result: ${result?.result} ${result?.message}`)
  report('exe-unit.output_flood_rss_growth', (peak - baseline) / 1024 / 1024, 'MB')
  report('exe-unit.output_flood_throughput', (BLOCK * REPEATS) / 1024 / 1024 / seconds, 'MB/s')
} finally {
  await unit.close()
  await server.close()
}
