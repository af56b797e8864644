import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { NetHost, NodeKey, RemoteError } from '../../net/index.ts'
import { FILES_PROTOCOL } from '../../exe-unit/index.ts'
import { Cluster } from '../helpers/cluster.ts'
import type { TestNode } from '../helpers/cluster.ts'
import { approvedAgreement } from '../helpers/negotiation.ts'
import { eventually } from '../helpers/wait.ts'
import { publishModule, startFileServer, writerModule } from './helpers.ts'
import type { FileServer } from './helpers.ts'

/** The data of each `event: runtime` of a whole event stream. */
function runtimeEvents(text: string): any[] {
  return text
    .split('\n\n')
    .filter(block => block.startsWith('event: runtime'))
    .map(block =>
      JSON.parse(
        block
          .split('\n')
          .find(line => line.startsWith('data: '))
          ?.slice('data: '.length) ?? ''
      )
    )
}

// Activity API v1 across two daemons: the requester's REST calls travel over
// /agora/activity/1 to the provider's exe-unit (real node:wasi).
describe('activity API: a requester runs WASI work on a provider through REST', function () {
  this.timeout(180_000)
  const cluster = new Cluster()
  let provider: TestNode
  let requester: TestNode
  let stranger: TestNode
  let files: FileServer
  let taskPackage: string
  let readFilePackage: string
  let bigOutputPackage: string
  /** What the big-output module writes: more than one `/agora/activity/1` answer carries. */
  const BIG_OUTPUT_BYTES = 160 * 64 * 1024

  // Streams may carry more than the default 1 MiB, so that a stream spans several answers.
  const allowLoopback = {
    configure: (config: any) => {
      config.modules.activity = { allowPrivateNetworks: true, limits: { maxCaptureBytes: 12 * 1024 * 1024 } }
    }
  }
  const offerExtra = {
    'golem.inf.mem.gib': 0.5,
    'golem.inf.cpu.threads': 1,
    'golem.com.usage.vector': ['golem.usage.cpu_sec', 'golem.usage.duration_sec', 'golem.usage.gib']
  }

  before(async () => {
    provider = await cluster.start(allowLoopback)
    requester = await cluster.start(allowLoopback)
    stranger = await cluster.start(allowLoopback)
    files = await startFileServer()
    taskPackage = await publishModule(files, 'hello')
    readFilePackage = await publishModule(files, 'read-file')
    bigOutputPackage = await publishModule(files, 'big-output', await writerModule({ to: 'stdout', blockBytes: 64 * 1024, repeats: 160 }))
  })
  after(async () => {
    await cluster.stop()
    await files.close()
  })

  const API = '/activity-api/v1'
  const agreement = async (pkg = taskPackage): Promise<string> =>
    (await approvedAgreement(provider, requester, { offerExtra, demandExtra: { 'golem.srv.comp.task_package': pkg } })).agreementId
  const exec = async (node: TestNode, activityId: string, script: unknown[]): Promise<string> =>
    await node.client.expect<string>(200, 'POST', `${API}/activity/${activityId}/exec`, { text: JSON.stringify(script) })
  const results = async (node: TestNode, activityId: string, batchId: string): Promise<any[]> =>
    await node.client.expect<any[]>(200, 'GET', `${API}/activity/${activityId}/exec/${batchId}?pollTimeout=20`)
  const deployStartRun = [{ deploy: {} }, { start: { args: [] } }, { run: { entry_point: 'hello', args: [] } }]

  it('creates an activity for an Approved agreement, runs a batch, reports state, usage and agreement, and destroys it', async () => {
    const startedAt = new Date().toISOString()
    const agreementId = await agreement()
    const { activityId } = await requester.client.expect<{ activityId: string }>(201, 'POST', `${API}/activity`, { agreementId })
    assert.match(activityId, /^[0-9a-f]{32}$/)
    assert.equal(await requester.client.expect(200, 'GET', `${API}/activity/${activityId}/agreement`), agreementId)
    const initial = await requester.client.expect(200, 'GET', `${API}/activity/${activityId}/state`)
    assert.equal(initial.state[0] === 'Initialized' || initial.state[1] === 'Initialized', true, JSON.stringify(initial))

    const batchId = await exec(requester, activityId, deployStartRun)
    const done = await results(requester, activityId, batchId)
    assert.deepEqual(
      done.map(r => [r.index, r.result]),
      [
        [0, 'Ok'],
        [1, 'Ok'],
        [2, 'Ok']
      ]
    )
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
    assert.equal(
      (await requester.client.call('POST', `${API}/activity/${activityId}/exec`, { text: JSON.stringify([{ run: { entry_point: 'hello', args: [] } }]) }))
        .status,
      409
    )

    // The provider's event feed saw it come and go, in order.
    const feed = await provider.client.expect<any[]>(200, 'GET', `${API}/events?afterTimestamp=${encodeURIComponent(startedAt)}&pollTimeout=5`)
    const mine = feed.filter(e => e.activityId === activityId)
    assert.deepEqual(
      mine.map(e => [e.eventType, e.agreementId]),
      [
        ['CreateActivity', agreementId],
        ['DestroyActivity', agreementId]
      ]
    )
    const later = await provider.client.expect<any[]>(200, 'GET', `${API}/events?afterTimestamp=${encodeURIComponent(mine[1].eventDate)}&pollTimeout=0`)
    assert.equal(
      later.some(e => e.activityId === activityId),
      false
    )
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
    const events = runtimeEvents(text)
    const kinds = events.map(e => `${e.index}:${Object.keys(e.kind)[0]}`)
    for (const index of [0, 1, 2]) {
      assert.ok(kinds.includes(`${index}:started`), kinds.join(' '))
      assert.ok(kinds.includes(`${index}:finished`), kinds.join(' '))
    }
    const stdout = events.find(e => e.index === 2 && 'stdout' in e.kind)
    assert.ok(stdout !== undefined, kinds.join(' '))
    // As yagna sends it (CommandOutput untagged): the text itself, not { str }.
    assert.equal(typeof stdout.kind.stdout, 'string')
    assert.match(stdout.kind.stdout, /hello/)
    assert.equal(
      events.every(e => e.batchId === batchId),
      true
    )
    assert.ok(kinds.indexOf('2:started') < kinds.indexOf('2:finished'))
  })

  it('carries results and streamed output larger than one protocol answer in full', async () => {
    const agreementId = await agreement(bigOutputPackage)
    const { activityId } = await requester.client.expect<{ activityId: string }>(201, 'POST', `${API}/activity`, { agreementId })
    const capture = { stdout: { atEnd: { part: { head: 12 * 1024 * 1024 }, format: 'str' } } }
    const batchId = await exec(requester, activityId, [...deployStartRun.slice(0, 2), { run: { entry_point: 'big', args: [], capture } }])
    const done = await results(requester, activityId, batchId)
    assert.deepEqual(
      done.map(r => r.result),
      ['Ok', 'Ok', 'Ok'],
      JSON.stringify(done.map(r => r.message))
    )
    const stdout: string = done.at(-1).stdout
    assert.equal(stdout.length, BIG_OUTPUT_BYTES)
    assert.equal(/^x+$/.test(stdout), true)

    const streamed = await exec(requester, activityId, [
      { run: { entry_point: 'big', args: [], capture: { stdout: { stream: { limit: 12 * 1024 * 1024, format: 'str' } } } } }
    ])
    const response = await fetch(`${requester.client.url}${API}/activity/${activityId}/exec/${streamed}`, {
      headers: { authorization: `Bearer ${requester.client.key}`, accept: 'text/event-stream' }
    })
    const events = runtimeEvents(await response.text())
    const text = events
      .filter(e => 'stdout' in e.kind)
      .map(e => e.kind.stdout)
      .join('')
    assert.equal(text.length, BIG_OUTPUT_BYTES)
    assert.ok(events.some(e => 'finished' in e.kind))
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

    const bad = await requester.client.call('POST', `${API}/activity/${activityId}/exec`, {
      text: JSON.stringify([{ deploy: {} }, { run: { entry_point: 7 } }])
    })
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
    const state = await eventually(
      'the activity to be Terminated',
      async () => {
        const current = await requester.client.expect<any>(200, 'GET', `${API}/activity/${activityId}/state`)
        return current.state[0] === 'Terminated' && current
      },
      5_000
    )
    assert.equal(state.state[0], 'Terminated')
    assert.match(state.reason ?? '', /agreement terminated/)
    assert.equal((await requester.client.call('POST', `${API}/activity`, { agreementId })).status, 409)
  })

  it('transfers files from the requester into the sandbox and back, in chunks, and to no one else', async () => {
    const upload = async (name: string, body: Buffer): Promise<any> => {
      const response = await fetch(`${requester.client.url}/agora-api/v1/transfers/offered/${name}`, {
        method: 'PUT',
        body,
        headers: { authorization: `Bearer ${requester.client.key}`, 'content-type': 'application/octet-stream' }
      })
      assert.equal(response.status, 201)
      return await response.json()
    }
    const big = randomBytes(2 * 1024 * 1024 + 12345)
    assert.equal((await upload('big.bin', big)).url, 'agora-requester:big.bin')
    await upload('input.txt', Buffer.from('from the requester\n'))

    const agreementId = await agreement(readFilePackage)
    const { activityId } = await requester.client.expect<{ activityId: string }>(201, 'POST', `${API}/activity`, { agreementId })
    const batchId = await exec(requester, activityId, [
      { deploy: {} },
      { start: { args: [] } },
      { transfer: { from: 'agora-requester:input.txt', to: 'container:/work/input.txt' } },
      { run: { entry_point: 'read-file', args: [] } },
      { transfer: { from: 'agora-requester:big.bin', to: 'container:/work/big.bin' } },
      { transfer: { from: 'container:/work/big.bin', to: 'agora-requester:big-back.bin' } }
    ])
    const done = await results(requester, activityId, batchId)
    assert.deepEqual(
      done.map(r => r.result),
      ['Ok', 'Ok', 'Ok', 'Ok', 'Ok', 'Ok'],
      JSON.stringify(done)
    )
    assert.equal(done[3].stdout, 'from the requester\n')

    const back = await fetch(`${requester.client.url}/agora-api/v1/transfers/received/big-back.bin`, {
      headers: { authorization: `Bearer ${requester.client.key}` }
    })
    assert.equal(back.status, 200)
    assert.ok(Buffer.from(await back.arrayBuffer()).equals(big))
    const listed = await requester.client.expect(200, 'GET', '/agora-api/v1/transfers/')
    assert.deepEqual(
      listed.received.map((f: any) => [f.name, f.bytes]),
      [['big-back.bin', big.byteLength]]
    )

    // A missing file fails its command with a message, not the daemon.
    const missing = await exec(requester, activityId, [{ transfer: { from: 'agora-requester:absent.txt', to: 'container:/work/x' } }])
    const [failed] = await results(requester, activityId, missing)
    assert.equal(failed.result, 'Error')
    assert.match(failed.message, /absent\.txt/)

    // A node that runs none of the requester's activities reads nothing.
    const outsider = new NetHost({ key: NodeKey.random(), bootstrap: [requester.addresses[0]!] })
    await outsider.start()
    try {
      await assert.rejects(outsider.request(FILES_PROTOCOL, requester.nodeId as never, { op: 'read', name: 'input.txt', offset: 0 }), (err: unknown) => {
        assert.ok(err instanceof RemoteError)
        assert.match(err.message, /providers of this node/)
        return true
      })
    } finally {
      await outsider.stop()
    }
    const badName = await fetch(`${requester.client.url}/agora-api/v1/transfers/offered/..secret`, {
      method: 'PUT',
      body: 'x',
      headers: { authorization: `Bearer ${requester.client.key}`, 'content-type': 'application/octet-stream' }
    })
    assert.equal(badName.status, 400)
  })

  it('refuses a daemon config with a bad activity section, naming the field', async () => {
    await assert.rejects(
      cluster.start({
        configure: (config: any) => {
          config.modules.activity = { limits: { maxActivities: 0 } }
        }
      }),
      /modules\.activity.*maxActivities/
    )
    await assert.rejects(
      cluster.start({
        configure: (config: any) => {
          config.modules.market = { proposalTtlMs: 'soon' }
        }
      }),
      /modules\.market.*proposalTtlMs/
    )
  })
})
