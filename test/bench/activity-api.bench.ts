// Activity figures end to end: a requester's REST call travels over
// /agora/activity/1 to the provider's exe-unit and its result comes back the
// same way. Two daemons in this process, on loopback.
import { Cluster } from '../helpers/cluster.ts'
import type { TestNode } from '../helpers/cluster.ts'
import { publishModule, startFileServer } from '../exe-unit/helpers.ts'
import { dockerUp, TEST_IMAGE } from '../exe-unit/docker.ts'
import { readyActivity, runBatch } from './activity-setup.ts'
import { percentile, report } from './report.ts'

async function timed(requester: TestNode, activityId: string, command: unknown, rounds: number): Promise<number[]> {
  const samples: number[] = []
  for (let i = 0; i < rounds; i++) {
    const started = performance.now()
    await runBatch(requester, activityId, [command])
    samples.push(performance.now() - started)
  }
  return samples
}

const cluster = new Cluster()
const files = await startFileServer()
try {
  const allowLoopback = {
    configure: (config: any) => {
      config.modules.activity = { allowPrivateNetworks: true, limits: { maxActivities: 64, maxMemoryGib: 16, maxThreads: 64 } }
    }
  }
  const provider = await cluster.start(allowLoopback)
  const requester = await cluster.start(allowLoopback)
  const hello = await publishModule(files, 'hello')

  const wasi = await readyActivity(provider, requester, hello, 'wasmtime')
  const run = { run: { entry_point: 'hello', args: [] } }
  await timed(requester, wasi, run, 5)
  const wasiSamples = await timed(requester, wasi, run, 100)
  report('activity-api.wasi_exec_to_result.p50', percentile(wasiSamples, 50), 'ms')
  report('activity-api.wasi_exec_to_result.p95', percentile(wasiSamples, 95), 'ms')

  // Resident memory per Ready activity, both daemons counted.
  globalThis.gc?.()
  const before = process.memoryUsage().rss
  const activities: string[] = []
  for (let i = 0; i < 10; i++) activities.push(await readyActivity(provider, requester, hello, 'wasmtime'))
  globalThis.gc?.()
  report('activity-api.rss_per_ready_wasi_activity', (process.memoryUsage().rss - before) / 10 / 1024 ** 2, 'MB')

  let docker: string | null = null
  try {
    await dockerUp()
  } catch (err) {
    docker = (err as Error).message
  }
  if (docker === null) {
    const container = await readyActivity(provider, requester, `docker:${TEST_IMAGE}`, 'vm')
    const trivial = { run: { entry_point: '/bin/true', args: [] } }
    await timed(requester, container, trivial, 3)
    const samples = await timed(requester, container, trivial, 30)
    report('activity-api.container_exec_to_result.p50', percentile(samples, 50), 'ms')
    report('activity-api.container_exec_to_result.p95', percentile(samples, 95), 'ms')
  } else {
    console.log(`# activity-api.container_exec_to_result skipped: ${docker}`)
  }
} finally {
  await cluster.stop()
  await files.close()
}
