// Usage and state reads as golem-js makes them after every exec and result
// poll: GET /activity/{id}/usage and /state on the requester's daemon, which
// asks the provider's exe-unit over /agora/activity/1. Two daemons in this
// process, on loopback; 50 reads of each, per runtime.
import { Cluster } from '../helpers/cluster.ts'
import type { TestNode } from '../helpers/cluster.ts'
import { approvedAgreement } from '../helpers/negotiation.ts'
import { publishModule, startFileServer } from '../exe-unit/helpers.ts'
import { dockerUp, TEST_IMAGE } from '../exe-unit/docker.ts'
import { percentile, report } from './report.ts'

const API = '/activity-api/v1'
const READS = 50
const offerExtra = { 'golem.inf.mem.gib': 0.5, 'golem.inf.cpu.threads': 1, 'golem.com.usage.vector': ['golem.usage.cpu_sec', 'golem.usage.duration_sec'] }

async function readyActivity(provider: TestNode, requester: TestNode, taskPackage: string, runtime: string): Promise<string> {
  const { agreementId } = await approvedAgreement(provider, requester, {
    offerExtra: { ...offerExtra, 'golem.runtime.name': runtime },
    demandExtra: { 'golem.srv.comp.task_package': taskPackage },
    runtime
  })
  const { activityId } = await requester.client.expect<{ activityId: string }>(201, 'POST', `${API}/activity`, { agreementId })
  const batchId = await requester.client.expect<string>(200, 'POST', `${API}/activity/${activityId}/exec`, {
    text: JSON.stringify([{ deploy: {} }, { start: { args: [] } }])
  })
  const results = await requester.client.expect<{ result: string }[]>(200, 'GET', `${API}/activity/${activityId}/exec/${batchId}?pollTimeout=30`)
  if (results.some(r => r.result !== 'Ok')) throw new Error(JSON.stringify(results))
  return activityId
}

async function timedReads(requester: TestNode, path: string): Promise<number[]> {
  for (let i = 0; i < 5; i++) await requester.client.expect(200, 'GET', path)
  const samples: number[] = []
  for (let i = 0; i < READS; i++) {
    const started = performance.now()
    await requester.client.expect(200, 'GET', path)
    samples.push(performance.now() - started)
  }
  return samples
}

async function measure(requester: TestNode, activityId: string, runtime: string): Promise<void> {
  report(`activity.usage_read_p50.${runtime}`, percentile(await timedReads(requester, `${API}/activity/${activityId}/usage`), 50), 'ms')
  report(`activity.state_read_p50.${runtime}`, percentile(await timedReads(requester, `${API}/activity/${activityId}/state`), 50), 'ms')
  const destroyed = await requester.client.call('DELETE', `${API}/activity/${activityId}`)
  if (destroyed.status >= 300) throw new Error(`destroying activity ${activityId} answered ${destroyed.status}`)
}

const cluster = new Cluster()
const files = await startFileServer()
try {
  const allowLoopback = {
    configure: (config: any) => {
      config.modules.activity = { allowPrivateNetworks: true }
    }
  }
  const provider = await cluster.start(allowLoopback)
  const requester = await cluster.start(allowLoopback)
  const hello = await publishModule(files, 'hello')
  await measure(requester, await readyActivity(provider, requester, hello, 'wasmtime'), 'wasmtime')

  let docker: string | null = null
  try {
    await dockerUp()
  } catch (err) {
    docker = (err as Error).message
  }
  if (docker === null) await measure(requester, await readyActivity(provider, requester, `docker:${TEST_IMAGE}`, 'vm'), 'vm')
  else console.log(`# activity.usage_read_p50.vm skipped: ${docker}`)
} finally {
  await cluster.stop()
  await files.close()
}
