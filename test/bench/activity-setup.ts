// What the activity benchmarks share: an activity deployed and started
// through the requester's REST API, and a batch run to its results.
import type { TestNode } from '../helpers/cluster.ts'
import { approvedAgreement } from '../helpers/negotiation.ts'

export const API = '/activity-api/v1'
const offerExtra = { 'golem.inf.mem.gib': 0.5, 'golem.inf.cpu.threads': 1, 'golem.com.usage.vector': ['golem.usage.cpu_sec', 'golem.usage.duration_sec'] }

/** An agreement on `runtime`, an activity on it, deployed and started: its id. */
export async function readyActivity(provider: TestNode, requester: TestNode, taskPackage: string, runtime: string): Promise<string> {
  const { agreementId } = await approvedAgreement(provider, requester, {
    offerExtra: { ...offerExtra, 'golem.runtime.name': runtime },
    demandExtra: { 'golem.srv.comp.task_package': taskPackage },
    runtime
  })
  const { activityId } = await requester.client.expect<{ activityId: string }>(201, 'POST', `${API}/activity`, { agreementId })
  await runBatch(requester, activityId, [{ deploy: {} }, { start: { args: [] } }])
  return activityId
}

/** Runs a batch and waits for its results; throws unless every command is Ok. */
export async function runBatch(requester: TestNode, activityId: string, script: unknown[]): Promise<any[]> {
  const batchId = await requester.client.expect<string>(200, 'POST', `${API}/activity/${activityId}/exec`, { text: JSON.stringify(script) })
  const results = await requester.client.expect<any[]>(200, 'GET', `${API}/activity/${activityId}/exec/${batchId}?pollTimeout=30`)
  if (results.some(r => r.result !== 'Ok')) throw new Error(JSON.stringify(results))
  return results
}
