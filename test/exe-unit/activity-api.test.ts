import assert from 'node:assert/strict'
import { Cluster } from '../helpers/cluster.ts'
import type { TestNode } from '../helpers/cluster.ts'
import { approvedAgreement } from '../helpers/negotiation.ts'
import { publishModule, startFileServer } from './helpers.ts'
import type { FileServer } from './helpers.ts'

// Activity API v1 across two daemons: the requester's REST calls travel over
// /agora/activity/1 to the provider's exe-unit (real node:wasi).
describe('activity API: a requester runs WASI work on a provider through REST', function () {
  this.timeout(60_000)
  const cluster = new Cluster()
  let provider: TestNode
  let requester: TestNode
  let stranger: TestNode
  let files: FileServer
  let taskPackage: string

  const allowLoopback = { configure: (config: any) => { config.modules.activity = { allowPrivateNetworks: true } } }
  const offerExtra = { 'golem.inf.mem.gib': 0.5, 'golem.inf.cpu.threads': 1, 'golem.com.usage.vector': ['golem.usage.cpu_sec', 'golem.usage.duration_sec', 'golem.usage.gib'] }

  before(async () => {
    provider = await cluster.start(allowLoopback)
    requester = await cluster.start(allowLoopback)
    stranger = await cluster.start(allowLoopback)
    files = await startFileServer()
    taskPackage = await publishModule(files, 'hello')
  })
  after(async () => {
    await cluster.stop()
    await files.close()
  })

  const API = '/activity-api/v1'
  const agreement = async (): Promise<string> =>
    (await approvedAgreement(provider, requester, { offerExtra, demandExtra: { 'golem.srv.comp.task_package': taskPackage } })).agreementId
  const exec = async (node: TestNode, activityId: string, script: unknown[]): Promise<string> =>
    await node.client.expect<string>(200, 'POST', `${API}/activity/${activityId}/exec`, { text: JSON.stringify(script) })
  const results = async (node: TestNode, activityId: string, batchId: string): Promise<any[]> =>
    await node.client.expect<any[]>(200, 'GET', `${API}/activity/${activityId}/exec/${batchId}?pollTimeout=20`)
  const deployStartRun = [{ deploy: {} }, { start: { args: [] } }, { run: { entry_point: 'hello', args: [] } }]

  it('creates an activity for an Approved agreement, runs a batch, reports state, usage and agreement, and destroys it', async () => {
    const agreementId = await agreement()
    const { activityId } = await requester.client.expect<{ activityId: string }>(201, 'POST', `${API}/activity`, { agreementId })
    assert.match(activityId, /^[0-9a-f]{32}$/)
    assert.equal(await requester.client.expect(200, 'GET', `${API}/activity/${activityId}/agreement`), agreementId)
    const initial = await requester.client.expect(200, 'GET', `${API}/activity/${activityId}/state`)
    assert.equal(initial.state[0] === 'Initialized' || initial.state[1] === 'Initialized', true, JSON.stringify(initial))

    const batchId = await exec(requester, activityId, deployStartRun)
    const done = await results(requester, activityId, batchId)
    assert.deepEqual(done.map(r => [r.index, r.result]), [[0, 'Ok'], [1, 'Ok'], [2, 'Ok']])
    assert.equal(done.at(-1).stdout, 'hello\n')
    assert.equal(done.at(-1).isBatchFinished, true)
    assert.deepEqual((await requester.client.expect(200, 'GET', `${API}/activity/${activityId}/state`)).state, ['Ready', null])

    const usage = await requester.client.expect(200, 'GET', `${API}/activity/${activityId}/usage`)
    assert.equal(usage.currentUsage.length, 3)
    assert.ok(usage.currentUsage[1] > 0, 'duration counts')
    assert.ok(usage.currentUsage[2] > 0, 'peak memory counts')
    assert.deepEqual(await requester.client.expect(200, 'GET', `${API}/activity/${activityId}/command`), [])
    // The provider watches the same activity locally.
    assert.deepEqual((await provider.client.expect(200, 'GET', `${API}/activity/${activityId}/state`)).state, ['Ready', null])

    await requester.client.expect(200, 'DELETE', `${API}/activity/${activityId}`)
    const ended = await requester.client.expect(200, 'GET', `${API}/activity/${activityId}/state`)
    assert.equal(ended.state[0], 'Terminated')
    assert.equal((await requester.client.call('POST', `${API}/activity/${activityId}/exec`, { text: JSON.stringify([{ run: { entry_point: 'hello', args: [] } }]) })).status, 409)
  })

  it('streams a batch as Server-Sent Events: started, stdout, finished', async () => {
    const agreementId = await agreement()
    // The spec's older form: the agreement id as a JSON string, answered with the activity id as one.
    const activityId = await requester.client.expect<string>(201, 'POST', `${API}/activity`, agreementId)
    assert.match(activityId, /^[0-9a-f]{32}$/)
    const streamed = [...deployStartRun.slice(0, 2), { run: { entry_point: 'hello', args: [], capture: { stdout: { stream: { format: 'str' } } } } }]
    const batchId = await exec(requester, activityId, streamed)
    const response = await fetch(`${requester.client.url}${API}/activity/${activityId}/exec/${batchId}`, {
      headers: { authorization: `Bearer ${requester.client.key}`, accept: 'text/event-stream' }
    })
    assert.equal(response.status, 200)
    assert.match(response.headers.get('content-type') ?? '', /text\/event-stream/)
    const text = await response.text()
    const events = text.split('\n\n').filter(block => block.startsWith('event: runtime')).map(block => JSON.parse(block.split('\ndata: ')[1]!))
    const kinds = events.map(e => `${e.index}:${Object.keys(e.kind)[0]}`)
    for (const index of [0, 1, 2]) {
      assert.ok(kinds.includes(`${index}:started`), kinds.join(' '))
      assert.ok(kinds.includes(`${index}:finished`), kinds.join(' '))
    }
    const stdout = events.find(e => e.index === 2 && 'stdout' in e.kind)
    assert.ok(stdout !== undefined, kinds.join(' '))
    assert.match(JSON.stringify(stdout.kind.stdout), /hello/)
    assert.equal(events.every(e => e.batchId === batchId), true)
    assert.ok(kinds.indexOf('2:started') < kinds.indexOf('2:finished'))
  })

  it('refuses a second requester, an agreement that is not Approved, and malformed scripts', async () => {
    const agreementId = await agreement()
    const { activityId } = await requester.client.expect<{ activityId: string }>(201, 'POST', `${API}/activity`, { agreementId })

    // The stranger holds no such agreement or activity.
    assert.equal((await stranger.client.call('POST', `${API}/activity`, { agreementId })).status, 404)
    for (const [method, path, body] of [
      ['GET', `${API}/activity/${activityId}/state`, undefined],
      ['POST', `${API}/activity/${activityId}/exec`, { text: '[]' }],
      ['DELETE', `${API}/activity/${activityId}`, undefined]
    ] as const) {
      assert.equal((await stranger.client.call(method, path, body)).status, 404, `${method} ${path}`)
    }

    const bad = await requester.client.call('POST', `${API}/activity/${activityId}/exec`, { text: JSON.stringify([{ deploy: {} }, { run: { entry_point: 7 } }]) })
    assert.equal(bad.status, 400)
    assert.match(bad.body.message, /entry_point/)
    assert.deepEqual((await requester.client.expect(200, 'GET', `${API}/activity/${activityId}/state`)).state.includes('Deployed'), false)
    assert.equal((await requester.client.call('POST', `${API}/activity`, { agreementId: 'nope' })).status, 400)
    assert.equal((await requester.client.call('POST', `${API}/activity`, { agreementId: 'ab'.repeat(32) })).status, 404)
    assert.equal((await requester.client.call('GET', `${API}/activity/${activityId}/exec/nosuchbatch`)).status, 404)
    assert.equal((await requester.client.call('GET', `${API}/activity/${activityId}/state`, undefined, null)).status, 401)
  })

  it('terminating the agreement terminates its activities', async () => {
    const agreementId = await agreement()
    const { activityId } = await requester.client.expect<{ activityId: string }>(201, 'POST', `${API}/activity`, { agreementId })
    await requester.client.expect(204, 'POST', `/market-api/v1/agreements/${agreementId}/terminate`, { message: 'done' })
    const deadline = Date.now() + 5_000
    let state: any
    do {
      state = await requester.client.expect(200, 'GET', `${API}/activity/${activityId}/state`)
      if (state.state[0] === 'Terminated') break
      await new Promise(resolve => setTimeout(resolve, 50))
    } while (Date.now() < deadline)
    assert.equal(state.state[0], 'Terminated')
    assert.match(state.reason ?? '', /agreement terminated/)
    assert.equal((await requester.client.call('POST', `${API}/activity`, { agreementId })).status, 409)
  })
})
