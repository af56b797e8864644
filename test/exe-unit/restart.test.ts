// A provider daemon restarted under its activities: what the requester and the
// provider read afterwards. Activities live at a stop end Terminated with a
// reason and their last usage (after a crash, "provider restarted": the
// exe-unit test covers it on the same LevelDB); those ended before keep
// theirs; the provider's event feed keeps both kinds of events.
import assert from 'node:assert/strict'
import { Cluster } from '../helpers/cluster.ts'
import type { NodeOptions, TestNode } from '../helpers/cluster.ts'
import { approvedAgreement } from '../helpers/negotiation.ts'
import { eventually } from '../helpers/wait.ts'
import { publishModule, startFileServer } from './helpers.ts'
import type { FileServer } from './helpers.ts'

const API = '/activity-api/v1'

describe('activities across a provider restart', function () {
  this.timeout(180_000)
  const cluster = new Cluster()
  let provider: TestNode
  let requester: TestNode
  let files: FileServer
  let taskPackage: string

  const options: NodeOptions = {
    configure: (config: any) => {
      config.modules.activity = { allowPrivateNetworks: true }
    }
  }
  const offerExtra = { 'golem.inf.mem.gib': 0.5, 'golem.com.usage.vector': ['golem.usage.cpu_sec', 'golem.usage.duration_sec', 'golem.usage.gib'] }

  before(async () => {
    // The first node only bootstraps the others, so that the provider can come back on a new port.
    await cluster.start()
    provider = await cluster.start(options)
    requester = await cluster.start(options)
    files = await startFileServer()
    taskPackage = await publishModule(files, 'hello')
  })
  after(async () => {
    await cluster.stop()
    await files.close()
  })

  it('reads Terminated with a reason, the last usage and the events after the provider restarts', async () => {
    const startedAt = new Date().toISOString()
    const { agreementId } = await approvedAgreement(provider, requester, { offerExtra, demandExtra: { 'golem.srv.comp.task_package': taskPackage } })
    const create = async (): Promise<string> =>
      (await requester.client.expect<{ activityId: string }>(201, 'POST', `${API}/activity`, { agreementId })).activityId
    const live = await create()
    const batchId = await requester.client.expect<string>(200, 'POST', `${API}/activity/${live}/exec`, {
      text: JSON.stringify([{ deploy: {} }, { start: { args: [] } }, { run: { entry_point: 'hello', args: [] } }])
    })
    const done = await requester.client.expect<any[]>(200, 'GET', `${API}/activity/${live}/exec/${batchId}?pollTimeout=20`)
    assert.deepEqual(
      done.map(r => r.result),
      ['Ok', 'Ok', 'Ok']
    )
    const ended = await create()
    await requester.client.expect(200, 'DELETE', `${API}/activity/${ended}`)
    const endedState = await requester.client.expect(200, 'GET', `${API}/activity/${ended}/state`)
    const endedUsage = await requester.client.expect(200, 'GET', `${API}/activity/${ended}/usage`)
    const usageBefore = await requester.client.expect(200, 'GET', `${API}/activity/${live}/usage`)
    assert.ok(usageBefore.currentUsage[2] > 0, 'peak memory was measured')

    await provider.stop()
    provider = await cluster.start({ ...options, dataDir: provider.dataDir })

    // The requester reaches the provider again and reads how the activity ended.
    const state = await eventually(
      'the provider to answer again',
      async () => {
        const reply = await requester.client.call('GET', `${API}/activity/${live}/state`)
        return reply.status === 200 && reply.body
      },
      30_000
    )
    assert.deepEqual(state, { state: ['Terminated', null], reason: 'The provider is shutting down' })
    const usageAfter = await requester.client.expect(200, 'GET', `${API}/activity/${live}/usage`)
    assert.equal(usageAfter.currentUsage.length, 3)
    assert.equal(usageAfter.currentUsage[0], usageBefore.currentUsage[0], 'cpu seconds kept')
    assert.equal(usageAfter.currentUsage[2], usageBefore.currentUsage[2], 'peak memory kept')
    assert.ok(usageAfter.currentUsage[1] >= usageBefore.currentUsage[1], 'duration kept')
    // The one that had ended keeps its own reason and final usage.
    assert.deepEqual(await requester.client.expect(200, 'GET', `${API}/activity/${ended}/state`), endedState)
    assert.deepEqual(await requester.client.expect(200, 'GET', `${API}/activity/${ended}/usage`), endedUsage)
    // The provider reads the same locally; nothing more runs there.
    assert.deepEqual(await provider.client.expect(200, 'GET', `${API}/activity/${live}/state`), state)
    assert.equal((await requester.client.call('POST', `${API}/activity/${live}/exec`, { text: JSON.stringify([{ deploy: {} }]) })).status, 409)
    assert.equal((await requester.client.call('GET', `${API}/activity/${live}/exec/${batchId}`)).status, 404)

    const feed = await provider.client.expect<any[]>(200, 'GET', `${API}/events?afterTimestamp=${encodeURIComponent(startedAt)}&pollTimeout=5`)
    assert.deepEqual(
      feed.map(e => [e.eventType, e.activityId, e.agreementId]),
      [
        ['CreateActivity', live, agreementId],
        ['CreateActivity', ended, agreementId],
        ['DestroyActivity', ended, agreementId],
        ['DestroyActivity', live, agreementId]
      ]
    )
  })
})
