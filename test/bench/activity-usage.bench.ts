// Usage and state reads as golem-js makes them after every exec and result
// poll: GET /activity/{id}/usage and /state on the requester's daemon, which
// asks the provider's exe-unit over /agora/activity/1. Two daemons in this
// process, on loopback; 50 reads of each, per runtime.
import { Cluster } from '../helpers/cluster.ts'
import type { TestNode } from '../helpers/cluster.ts'
import { publishModule, startFileServer } from '../exe-unit/helpers.ts'
import { dockerUp, TEST_IMAGE } from '../exe-unit/docker.ts'
import { API, readyActivity } from './activity-setup.ts'
import { percentile, report } from './report.ts'

const READS = 50
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
