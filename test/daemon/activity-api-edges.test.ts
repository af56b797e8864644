import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Level } from 'level'
import type { FastifyInstance } from 'fastify'
import { parseDocument } from 'yaml'
import { NetHost, NodeKey } from '../../net/index.ts'
import type { NodeId } from '../../net/index.ts'
import { ACTIVITY_PROTOCOL, ActivityClient, ActivityDesk, ProviderEventLog, activityOutbox } from '../../exe-unit/index.ts'
import type { ActivityOutbox } from '../../exe-unit/index.ts'
import type { AgreementLookup } from '../../exe-unit/index.ts'
import { activityRoutes } from '../../daemon/api/activity-routes.ts'
import { createApiServer } from '../../daemon/index.ts'
import { OPENAPI_PATH } from '../../daemon/api/openapi.ts'
import { Cluster } from '../helpers/cluster.ts'
import type { TestNode } from '../helpers/cluster.ts'
import { MarketClient } from '../helpers/market-client.ts'
import { approvedAgreement } from '../helpers/negotiation.ts'
import { publishModule, startExeUnit, startFileServer } from '../exe-unit/helpers.ts'
import type { FileServer, TestExeUnit } from '../exe-unit/helpers.ts'

const API = '/activity-api/v1'
const SPECS = new URL('../fixtures/ya-client-specs/', import.meta.url)

/**
 * A ya-client spec as data. Two of its multi-line descriptions are indented
 * less than strict YAML wants (yagna's tooling reads them anyway); the parser
 * flags those scalars and reads the rest whole.
 */
async function readSpec(name: string): Promise<any> {
  return parseDocument(await readFile(new URL(name, SPECS), 'utf8')).toJS()
}

interface SseEvent {
  event: string
  data: string
  id: string
}

/** Reads a text/event-stream body to its end as the EventSource algorithm does (WHATWG HTML, server-sent events). */
async function readEventStream(response: Response): Promise<SseEvent[]> {
  const events: SseEvent[] = []
  let event = ''
  let data: string[] = []
  let lastId = ''
  const field = (line: string): void => {
    if (line === '') {
      if (data.length > 0) events.push({ event: event === '' ? 'message' : event, data: data.join('\n'), id: lastId })
      event = ''
      data = []
      return
    }
    if (line.startsWith(':')) return
    const colon = line.indexOf(':')
    const name = colon < 0 ? line : line.slice(0, colon)
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '')
    if (name === 'event') event = value
    else if (name === 'data') data.push(value)
    else if (name === 'id' && !value.includes('\0')) lastId = value
  }
  const decoder = new TextDecoder()
  let buffered = ''
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffered += decoder.decode(chunk, { stream: true })
    const lines = buffered.split(/\r\n|\r|\n/)
    buffered = lines.pop() ?? ''
    for (const line of lines) field(line)
  }
  return events
}

/** The media types a spec operation gives for a status (`[]`: no body), with `$ref`s (local or to common.yaml) followed. */
function specMediaTypes(spec: any, common: any, path: string, method: string, status: number): string[] {
  let response = spec.paths[path]?.[method]?.responses?.[status]
  assert.ok(response !== undefined, `the spec has ${method.toUpperCase()} ${path} → ${status}`)
  if (typeof response.$ref === 'string') {
    const [file, pointer] = response.$ref.split('#/') as [string, string]
    response = pointer.split('/').reduce((node: any, key: string) => node[key], file === '' ? spec : common)
    assert.ok(response !== undefined, `${method.toUpperCase()} ${path} → ${status}: ${file}#/${pointer} resolves`)
  }
  return Object.keys(response.content ?? {}).sort()
}

function mediaTypeOf(response: Response): string | null {
  return response.headers.get('content-type')?.split(';')[0]?.trim() ?? null
}

describe('activity and version API against the ya-client specs', function () {
  this.timeout(180_000)
  const cluster = new Cluster()
  let provider: TestNode
  let requester: TestNode
  let files: FileServer
  let hello: string
  let failing: string
  let specs: { activity: any; version: any; common: any }
  const offerExtra = {
    'golem.inf.mem.gib': 0.5,
    'golem.inf.cpu.threads': 1,
    'golem.com.usage.vector': ['golem.usage.cpu_sec', 'golem.usage.duration_sec', 'golem.usage.gib']
  }
  const allowLoopback = {
    configure: (config: any) => {
      config.modules.activity = { allowPrivateNetworks: true }
    }
  }

  before(async () => {
    provider = await cluster.start(allowLoopback)
    requester = await cluster.start(allowLoopback)
    files = await startFileServer()
    hello = await publishModule(files, 'hello')
    failing = await publishModule(files, 'stderr-exit')
    specs = { activity: await readSpec('activity-api.yaml'), version: await readSpec('version-api.yaml'), common: await readSpec('common.yaml') }
  })
  after(async () => {
    await cluster.stop()
    await files.close()
  })

  const newActivity = async (pkg = hello): Promise<{ agreementId: string; activityId: string }> => {
    const { agreementId } = await approvedAgreement(provider, requester, { offerExtra, demandExtra: { 'golem.srv.comp.task_package': pkg } })
    const { activityId } = await requester.client.expect<{ activityId: string }>(201, 'POST', `${API}/activity`, { agreementId })
    return { agreementId, activityId }
  }
  const call = async (node: TestNode, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> =>
    await fetch(`${node.client.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${node.client.key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers
      },
      body: body === undefined ? null : JSON.stringify(body)
    })
  const exec = async (activityId: string, script: unknown[]): Promise<string> =>
    await requester.client.expect<string>(200, 'POST', `${API}/activity/${activityId}/exec`, { text: JSON.stringify(script) })
  const stream = async (activityId: string, batchId: string, lastEventId?: string): Promise<Response> =>
    await call(requester, 'GET', `${API}/activity/${activityId}/exec/${batchId}`, undefined, {
      accept: 'text/event-stream',
      ...(lastEventId === undefined ? {} : { 'last-event-id': lastEventId })
    })
  const run = (entryPoint: string): unknown => ({ run: { entry_point: entryPoint, args: [], capture: { stdout: { stream: {} }, stderr: { stream: {} } } } })

  it('answers every activity and version route with the content type its spec gives, as the API document says too', async () => {
    const document = await requester.client.expect<any>(200, 'GET', OPENAPI_PATH)
    const checked: string[] = []
    /** Checks one answer against the spec and the generated document; returns its body text. */
    const check = async (response: Response, spec: any, prefix: string, path: string, method: string): Promise<string> => {
      const text = await response.text()
      const expected = specMediaTypes(spec, specs.common, path, method, response.status)
      if (expected.length === 0) assert.equal(text, '', `${method} ${path} has no body`)
      else assert.deepEqual([mediaTypeOf(response)], expected, `${method} ${path} → ${response.status}`)
      const documented = document.paths[`${prefix}${path}`]?.[method]?.responses?.[response.status]
      assert.ok(documented !== undefined, `the document has ${method} ${prefix}${path} → ${response.status}`)
      assert.deepEqual(Object.keys(documented.content ?? {}).sort(), expected, `the document's ${method} ${prefix}${path} → ${response.status}`)
      checked.push(`${method} ${path}`)
      return text
    }
    const activity = specs.activity

    const { agreementId } = await approvedAgreement(provider, requester, { offerExtra, demandExtra: { 'golem.srv.comp.task_package': hello } })
    const created = await check(await call(requester, 'POST', `${API}/activity`, agreementId), activity, API, '/activity', 'post')
    const activityId = JSON.parse(created) as string
    assert.match(activityId, /^[0-9a-f]{32}$/)

    // The batch id is a JSON string: parsed, it is the id the next call takes.
    const execText = await check(
      await call(requester, 'POST', `${API}/activity/${activityId}/exec`, { text: JSON.stringify([{ deploy: {} }, { start: { args: [] } }, run('hello')]) }),
      activity,
      API,
      '/activity/{activityId}/exec',
      'post'
    )
    const batchId = JSON.parse(execText) as string
    assert.match(batchId, /^[A-Za-z0-9_-]+$/)
    const results = JSON.parse(
      await check(
        await call(requester, 'GET', `${API}/activity/${activityId}/exec/${batchId}?timeout=30&commandIndex=2`),
        activity,
        API,
        '/activity/{activityId}/exec/{batchId}',
        'get'
      )
    )
    assert.deepEqual(
      results.map((r: any) => r.result),
      ['Ok', 'Ok', 'Ok']
    )
    const streamed = await stream(activityId, batchId)
    assert.equal(streamed.status, 200)
    assert.equal(mediaTypeOf(streamed), 'text/event-stream')
    await streamed.body?.cancel()

    assert.equal(
      JSON.parse(
        await check(await call(requester, 'GET', `${API}/activity/${activityId}/agreement`), activity, API, '/activity/{activityId}/agreement', 'get')
      ),
      agreementId
    )
    for (const part of ['state', 'usage', 'command']) {
      await check(await call(requester, 'GET', `${API}/activity/${activityId}/${part}`), activity, API, `/activity/{activityId}/${part}`, 'get')
    }
    await check(await call(provider, 'GET', `${API}/events?timeout=0`), activity, API, '/events', 'get')
    await check(await call(requester, 'DELETE', `${API}/activity/${activityId}`), activity, API, '/activity/{activityId}', 'delete')
    // Errors are JSON too.
    await check(await call(requester, 'GET', `${API}/activity/${activityId}/exec/nosuchbatch`), activity, API, '/activity/{activityId}/exec/{batchId}', 'get')
    await check(await fetch(`${requester.client.url}/version/get`), specs.version, '', '/version/get', 'get')

    // Every operation of the activity spec that Agora serves was checked (callEncrypted and SetActivityState are not served).
    const served = Object.entries(activity.paths as Record<string, Record<string, unknown>>)
      .flatMap(([path, methods]) => Object.keys(methods).map(method => `${method} ${path}`))
      .filter(operation => document.paths[`${API}${operation.split(' ')[1]}`]?.[operation.split(' ')[0]!] !== undefined)
    assert.deepEqual([...new Set(checked.filter(c => c !== 'get /version/get'))].sort(), served.sort())
  })

  it('streams runtime events as yagna does: event: runtime, both field spellings, a message on failure, ids to resume from', async () => {
    const { activityId } = await newActivity(failing)
    const batchId = await exec(activityId, [{ deploy: {} }, { start: { args: [] } }, run('stderr-exit')])
    const response = await stream(activityId, batchId)
    assert.equal(response.status, 200)
    const events = await readEventStream(response)
    assert.ok(events.length >= 6, JSON.stringify(events))
    assert.deepEqual(new Set(events.map(e => e.event)), new Set(['runtime']))
    assert.deepEqual(
      events.map(e => e.id),
      events.map((_, i) => String(i + 1))
    )
    const data = events.map(e => JSON.parse(e.data))
    for (const event of data) {
      assert.equal(event.batchId, batchId)
      assert.equal(event.batch_id, batchId)
      assert.equal(Number.isInteger(event.index), true)
      assert.equal(Number.isNaN(Date.parse(event.timestamp)), false, event.timestamp)
      assert.equal(Object.keys(event.kind).length, 1, JSON.stringify(event.kind))
      assert.ok(['started', 'stdout', 'stderr', 'finished'].includes(Object.keys(event.kind)[0]!), JSON.stringify(event.kind))
    }
    const finished = data.filter(e => 'finished' in e.kind).map(e => ({ index: e.index, ...e.kind.finished }))
    assert.deepEqual(
      finished.map(f => [f.index, f.returnCode, f.return_code]),
      [
        [0, 0, 0],
        [1, 0, 0],
        [2, 3, 3]
      ]
    )
    assert.equal('message' in finished[1]!, false, 'no message where there is none')
    assert.match(finished[2]!.message, /exited with code 3/)
    const stderr = data.find(e => e.index === 2 && 'stderr' in e.kind)
    assert.match(JSON.stringify(stderr?.kind.stderr), /oops/)

    // A reconnecting EventSource sends the last id it saw, and hears only what came after.
    const resumed = await readEventStream(await stream(activityId, batchId, events[2]!.id))
    assert.deepEqual(
      resumed.map(e => [e.id, e.data]),
      events.slice(3).map(e => [e.id, e.data])
    )
    const bad = await stream(activityId, batchId, 'x')
    assert.equal(bad.status, 400)
    assert.match(((await bad.json()) as { message: string }).message, /last-event-id/)
  })

  it("refuses with 403 the provider's own calls to control an activity it runs for another requestor, and lets it watch", async () => {
    const { agreementId, activityId } = await newActivity()
    const batchId = await exec(activityId, [{ deploy: {} }])
    for (const [method, path, body] of [
      ['POST', `${API}/activity/${activityId}/exec`, { text: '[]' }],
      ['GET', `${API}/activity/${activityId}/exec/${batchId}`, undefined],
      ['DELETE', `${API}/activity/${activityId}`, undefined]
    ] as const) {
      const refused = await provider.client.call(method, path, body)
      assert.equal(refused.status, 403, `${method} ${path}`)
      assert.match(refused.body.message, /another requestor/)
    }
    assert.equal((await call(provider, 'GET', `${API}/activity/${activityId}/exec/${batchId}`, undefined, { accept: 'text/event-stream' })).status, 403)
    assert.equal(await provider.client.expect(200, 'GET', `${API}/activity/${activityId}/agreement`), agreementId)
    assert.equal((await provider.client.expect(200, 'GET', `${API}/activity/${activityId}/usage`)).currentUsage.length, 3)
    // Its refusals changed nothing: the requestor still controls the activity.
    await requester.client.expect(200, 'DELETE', `${API}/activity/${activityId}`)
    assert.equal((await provider.client.expect(200, 'GET', `${API}/activity/${activityId}/state`)).state[0], 'Terminated')
  })

  it('lists the batches the requester sent to an activity, with their commands; 403 to its provider, 404 for an unknown one', async () => {
    const { activityId } = await newActivity()
    const first = await exec(activityId, [{ deploy: {} }])
    const second = await exec(activityId, [{ start: { args: [] } }, run('hello')])
    const listed = await requester.client.expect<Array<{ batchId: string; sentAt: string; commands: string[] }>>(
      200,
      'GET',
      `/agora-api/v1/activity/${activityId}/batches`
    )
    assert.deepEqual(
      listed.map(batch => ({ batchId: batch.batchId, commands: batch.commands })),
      [
        { batchId: first, commands: ['deploy'] },
        { batchId: second, commands: ['start', 'run'] }
      ]
    )
    assert.ok(listed.every(batch => !Number.isNaN(Date.parse(batch.sentAt))))
    assert.equal((await provider.client.call('GET', `/agora-api/v1/activity/${activityId}/batches`)).status, 403)
    assert.equal((await requester.client.call('GET', '/agora-api/v1/activity/no-such-activity/batches')).status, 404)
    await requester.client.expect(200, 'DELETE', `${API}/activity/${activityId}`)
  })

  it('takes the spec timeout on createActivity and DestroyActivity, within bounds', async () => {
    const { agreementId } = await approvedAgreement(provider, requester, { offerExtra, demandExtra: { 'golem.srv.comp.task_package': hello } })
    for (const timeout of ['-1', '301', 'soon']) {
      const refused = await requester.client.call('POST', `${API}/activity?timeout=${timeout}`, { agreementId })
      assert.equal(refused.status, 400, timeout)
      assert.match(refused.body.message, /timeout/)
    }
    const { activityId } = await requester.client.expect<{ activityId: string }>(201, 'POST', `${API}/activity?timeout=60`, { agreementId })
    assert.equal((await requester.client.call('DELETE', `${API}/activity/${activityId}?timeout=-1`)).status, 400)
    assert.equal((await requester.client.expect(200, 'GET', `${API}/activity/${activityId}/state`)).state[0] === 'Terminated', false)
    await requester.client.expect(200, 'DELETE', `${API}/activity/${activityId}?timeout=0`)
    assert.equal((await requester.client.expect(200, 'GET', `${API}/activity/${activityId}/state`)).state[0], 'Terminated')
  })
})

describe('activity API: the acknowledgement timeout against a provider that does not answer', function () {
  this.timeout(120_000)
  const KEY = 'edge-test-app-key-000001'
  const AGREEMENT = 'ab'.repeat(32)
  let holding: NetHost
  let requesterNet: NetHost
  let unit: TestExeUnit
  let api: FastifyInstance
  let client: MarketClient
  let dir: string
  let db: Level<string, unknown>
  let outbox: ActivityOutbox

  before(async () => {
    // A provider that takes every activity call and never answers, until the caller gives up.
    holding = new NetHost({ key: NodeKey.random(), listen: ['/ip4/127.0.0.1/tcp/0'] })
    await holding.start()
    await holding.handle(ACTIVITY_PROTOCOL, async (_request, context) => {
      await new Promise(resolve => context.signal.addEventListener('abort', resolve, { once: true }))
      throw new Error('the caller gave up')
    })
    requesterNet = new NetHost({ key: NodeKey.random(), listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [holding.addresses()[0]!] })
    await requesterNet.start()
    const lookup: AgreementLookup = agreementId =>
      agreementId === AGREEMENT
        ? { agreementId, role: 'Requestor', state: 'Approved', requestorId: requesterNet.nodeId, providerId: holding.nodeId, properties: {} }
        : undefined
    dir = await mkdtemp(join(tmpdir(), 'agora-activity-edges-'))
    db = new Level(join(dir, 'requester'), { valueEncoding: 'json' })
    outbox = activityOutbox({ host: requesterNet, db })
    await outbox.start()
    const activityClient = new ActivityClient(requesterNet, db, lookup, outbox)
    unit = await startExeUnit()
    const desk = new ActivityDesk(activityClient, unit.exeUnit, new ProviderEventLog())
    api = await createApiServer({
      appKeys: { verify: key => (key === KEY ? { name: 'edge', id: '0000000000000001', createdAt: new Date(0).toISOString() } : null) },
      identity: { nodeId: requesterNet.nodeId as NodeId },
      routes: [{ prefix: API, plugin: activityRoutes(desk) }]
    })
    client = new MarketClient(await api.listen({ host: '127.0.0.1', port: 0 }), KEY)
  })
  after(async () => {
    await api?.close()
    await unit?.close()
    await outbox?.stop()
    await db?.close()
    await requesterNet?.stop()
    await holding?.stop()
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  it('answers 408 once the asked-for timeout passes, naming it, and records no activity', async () => {
    const created = await client.call('POST', `${API}/activity?timeout=1`, { agreementId: AGREEMENT })
    assert.equal(created.status, 408, JSON.stringify(created.body))
    assert.match(created.body.message, /did not answer create within 1000 ms/)
    assert.deepEqual(await db.keys().all(), [])
  })

  it('answers 408 on a destroy whose acknowledgement does not come within its timeout', async () => {
    await db.put('activity:held', { activityId: 'held', agreementId: AGREEMENT, providerId: holding.nodeId })
    const destroyed = await client.call('DELETE', `${API}/activity/held?timeout=1.5`)
    assert.equal(destroyed.status, 408, JSON.stringify(destroyed.body))
    assert.match(destroyed.body.message, /did not answer destroy within 1500 ms/)
  })
})
