// Activity figures end to end: a requester's REST call travels over
// /agora/activity/1 to the provider's exe-unit and its result comes back the
// same way. Two daemons in this process, on loopback.
import { Cluster } from '../helpers/cluster.ts'
import type { TestNode } from '../helpers/cluster.ts'
import { approvedAgreement } from '../helpers/negotiation.ts'
import { publishModule, startFileServer } from '../exe-unit/helpers.ts'
import { dockerUp, TEST_IMAGE } from '../exe-unit/docker.ts'
import { percentile, report } from './report.ts'

const API = '/activity-api/v1'
const offerExtra = { 'golem.inf.mem.gib': 0.5, 'golem.inf.cpu.threads': 1, 'golem.com.usage.vector': ['golem.usage.cpu_sec', 'golem.usage.duration_sec'] }

async function readyActivity(provider: TestNode, requester: TestNode, taskPackage: string, runtime: string): Promise<string> {
  const { agreementId } = await approvedAgreement(provider, requester, {
    offerExtra: { ...offerExtra, 'golem.runtime.name': runtime },
    demandExtra: { 'golem.srv.comp.task_package': taskPackage },
    runtime
  })
  const { activityId } = await requester.client.expect<{ activityId: string }>(201, 'POST', `${API}/activity`, { agreementId })
  await runBatch(requester, activityId, [{ deploy: {} }, { start: { args: [] } }])
  return activityId
}

async function runBatch(requester: TestNode, activityId: string, script: unknown[]): Promise<any[]> {
  const batchId = await requester.client.expect<string>(200, 'POST', `${API}/activity/${activityId}/exec`, { text: JSON.stringify(script) })
  const results = await requester.client.expect<any[]>(200, 'GET', `${API}/activity/${activityId}/exec/${batchId}?pollTimeout=30`)
  if (results.some(r => r.result !== 'Ok')) throw new Error(JSON.stringify(results))
  return results
}

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
