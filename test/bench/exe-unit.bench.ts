// The exe-unit's latencies and footprint: exec → first result of a trivial
// WASI run and of a trivial container run, sequential WASI runs per second,
// and the daemon's resident memory per running activity.
import type Docker from 'dockerode'
import type { ExeUnit } from '../../exe-unit/index.ts'
import { DEPLOY_START, publishModule, runBatch, startExeUnit, startFileServer, uniqueId, wasmProperties } from '../exe-unit/helpers.ts'
import { dockerUp, TEST_IMAGE, vmProperties } from '../exe-unit/docker.ts'
import { percentile, report } from './report.ts'

const ACTIVITIES_FOR_RSS = 20

async function readyActivity(exeUnit: ExeUnit, properties: Record<string, unknown>): Promise<string> {
  const { activityId } = await exeUnit.createActivity({ activityId: uniqueId('bench'), agreementId: 'bench', requesterId: 'bench', properties })
  const results = await runBatch(exeUnit, activityId, DEPLOY_START, 60_000)
  if (results.some(r => r.result !== 'Ok') || results.length !== 2) throw new Error(`deploy failed: ${JSON.stringify(results)}`)
  return activityId
}

/** Milliseconds from exec until the run's result is there. */
async function timedRun(exeUnit: ExeUnit, activityId: string, entryPoint: string): Promise<number> {
  const started = performance.now()
  const batchId = exeUnit.exec(activityId, [{ run: { entry_point: entryPoint } }])
  const [result] = await exeUnit.getBatchResults(activityId, batchId, { timeoutMs: 30_000 })
  const took = performance.now() - started
  if (result?.result !== 'Ok') throw new Error(`run failed: ${JSON.stringify(result)}`)
  return took
}

function rssMb(): number {
  ;(globalThis as { gc?: () => void }).gc?.()
  return process.memoryUsage().rss / 1024 / 1024
}

/** The engine, or why the container figure is skipped. */
async function dockerOrReason(): Promise<Docker | string> {
  try {
    return await dockerUp()
  } catch (error) {
    return `docker is unavailable: ${(error as Error).message}`
  }
}

const server = await startFileServer()
const hello = await publishModule(server, 'hello')
const docker = await dockerOrReason()
const unit = await startExeUnit({
  docker: typeof docker === 'string' ? false : docker,
  limits: { maxActivities: ACTIVITIES_FOR_RSS + 4, maxMemoryGib: 16, maxThreads: 64 }
})
const { exeUnit } = unit
const wasi = wasmProperties(hello)
try {
  const activityId = await readyActivity(exeUnit, wasi)
  for (let i = 0; i < 20; i++) await timedRun(exeUnit, activityId, 'hello')
  const samples: number[] = []
  for (let i = 0; i < 200; i++) samples.push(await timedRun(exeUnit, activityId, 'hello'))
  report('exe-unit.wasi_exec_to_result_p50', percentile(samples, 50), 'ms')
  report('exe-unit.wasi_exec_to_result_p95', percentile(samples, 95), 'ms')

  const started = performance.now()
  for (let i = 0; i < 1000; i++) await timedRun(exeUnit, activityId, 'hello')
  report('exe-unit.wasi_sequential_runs', 1000 / ((performance.now() - started) / 1000), 'runs/s')
  await exeUnit.destroy(activityId, 'bench over')

  if (typeof docker === 'string') {
    console.log(`# exe-unit.container_exec_to_result_p50 skipped: ${docker}`)
  } else {
    const container = await readyActivity(exeUnit, vmProperties(`docker:${TEST_IMAGE}`))
    for (let i = 0; i < 3; i++) await timedRun(exeUnit, container, '/bin/true')
    const containerSamples: number[] = []
    for (let i = 0; i < 30; i++) containerSamples.push(await timedRun(exeUnit, container, '/bin/true'))
    report('exe-unit.container_exec_to_result_p50', percentile(containerSamples, 50), 'ms')
    await exeUnit.destroy(container, 'bench over')
  }

  const before = rssMb()
  const running: string[] = []
  for (let i = 0; i < ACTIVITIES_FOR_RSS; i++) {
    const id = await readyActivity(exeUnit, wasi)
    await timedRun(exeUnit, id, 'hello')
    running.push(id)
  }
  report('exe-unit.rss_per_running_wasi_activity', (rssMb() - before) / ACTIVITIES_FOR_RSS, 'MB')
  for (const id of running) await exeUnit.destroy(id, 'bench over')
} finally {
  await unit.close()
  await server.close()
}
