import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import pino from 'pino'
import Type from 'typebox'
import { ERROR_CODES, LongPollQueue } from '../../net/index.ts'
import type { ErrorCode } from '../../net/index.ts'
import { ApiError, AppKeys, clientGone, createApiServer, DEFAULT_BODY_LIMIT, OPENAPI_PATH, Store } from '../../daemon/index.ts'
import type { TypeBoxPlugin } from '../../daemon/index.ts'
import semver from 'semver'
import { YAGNA_API_VERSION } from '../../daemon/api/version-routes.ts'
import pkg from '../../package.json' with { type: 'json' }
import { MarketClient } from '../helpers/market-client.ts'
import type { Reply } from '../helpers/market-client.ts'

const NODE_ID = '0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A'

const Thing = Type.Object(
  {
    properties: Type.Object({}, { additionalProperties: true }),
    constraints: Type.String({ example: '(golem.inf.cpu.threads>=2)' }),
    count: Type.Optional(Type.Integer({ minimum: 0 }))
  },
  { additionalProperties: false }
)

// A route plugin like the ones modules provide: typebox schemas, typed handlers.
const thingRoutes: TypeBoxPlugin = async app => {
  app.post('/things', { schema: { body: Thing, response: { 201: Type.Object({ id: Type.String() }) } } }, async (request, reply) => {
    const count: number | undefined = request.body.count
    return reply.code(201).send({ id: `${request.body.constraints}:${count ?? 0}` })
  })
  app.get(
    '/echo',
    {
      schema: { querystring: Type.Object({ timeout: Type.Optional(Type.Number()), maxEvents: Type.Optional(Type.Integer()) }, { additionalProperties: false }) }
    },
    async request => request.query
  )
  app.get('/fail/:code', { schema: { params: Type.Object({ code: Type.String() }) } }, async request => {
    throw new ApiError(request.params.code as ErrorCode, `failed with ${request.params.code}`)
  })
  app.get('/full', async () => {
    throw Object.assign(new Error("ENOSPC: no space left on device, write '/var/lib/agora/db/000042.log'"), { code: 'ENOSPC', errno: -28 })
  })
  app.get('/crash', async () => {
    throw new Error("ENOENT: no such file or directory, open '/var/lib/agora/secret.json'")
  })
}

// A long poll over the shared queue, as the market's event routes do; `onPoll` is told when one begins.
function pollRoutes(queue: LongPollQueue<string>, onPoll: () => void = () => {}): FastifyPluginAsync {
  return async app => {
    app.get('/events', async (_request, reply) => {
      onPoll()
      return await queue.take(10, 60_000, clientGone(reply))
    })
  }
}

describe('REST API frame', () => {
  let dir: string
  let store: Store
  let keys: AppKeys
  let key: string
  let app: FastifyInstance
  let base: string
  const queue = new LongPollQueue<string>()
  // The daemon's log, as JSON lines.
  const logLines: Array<Record<string, any>> = []
  const logSink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') logLines.push(JSON.parse(line))
      done()
    }
  })

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agora-api-'))
    store = await Store.open(join(dir, 'db'))
    keys = await AppKeys.open(store.sublevel('appkeys'))
    key = (await keys.create('tester')).key
    app = await createApiServer({
      appKeys: keys,
      identity: { nodeId: NODE_ID },
      logger: pino({ level: 'error' }, logSink),
      routes: [
        { prefix: '/test-api/v1', plugin: thingRoutes },
        { prefix: '/poll-api/v1', plugin: pollRoutes(queue) }
      ]
    })
    base = await app.listen({ host: '127.0.0.1', port: 0 })
  })
  after(async () => {
    await app.close()
    await store.close()
    await rm(dir, { recursive: true, force: true })
  })

  const get = async (path: string, appKey: string | null = key): Promise<Reply> => await new MarketClient(base, key).call('GET', path, undefined, appKey)
  const post = async (path: string, body: unknown): Promise<Reply> => await new MarketClient(base, key).call('POST', path, body)
  // What no well-behaved client sends: a malformed header, a body that is not JSON.
  const raw = async (path: string, init: RequestInit): Promise<Reply> => {
    const response = await fetch(base + path, init)
    return { status: response.status, body: await response.json() }
  }

  it('refuses calls without a valid app-key', async () => {
    for (const path of ['/me', '/test-api/v1/echo']) {
      const missing = await get(path, null)
      assert.equal(missing.status, 401)
      assert.match(missing.body.message, /missing app-key/)
      const wrong = await get(path, 'f'.repeat(64))
      assert.deepEqual(wrong, { status: 401, body: { code: 'Unauthorized', message: 'invalid app-key' } })
    }
    const malformed = await raw('/me', { headers: { authorization: `Basic ${key}` } })
    assert.equal(malformed.status, 401)
  })

  it('accepts the key as a bearer token or as ?authToken=, and hides the latter from handlers', async () => {
    assert.equal((await get('/me')).status, 200)
    const viaQuery = await get(`/test-api/v1/echo?authToken=${key}&timeout=2`, null)
    assert.deepEqual(viaQuery, { status: 200, body: { timeout: 2 } })
  })

  it('stops honouring a dropped key', async () => {
    const temporary = await keys.create('temporary')
    assert.equal((await get('/me', temporary.key)).status, 200)
    await keys.drop('temporary')
    assert.equal((await get('/me', temporary.key)).status, 401)
  })

  it('GET /me names the node and the app-key', async () => {
    assert.deepEqual(await get('/me'), { status: 200, body: { identity: NODE_ID, name: 'tester', role: 'manager' } })
  })

  it("GET /version/get follows version-api.yaml: no app-key, a yagna version golem-js accepts, Agora's own beside it", async () => {
    // golem-js 3.x calls it without a key and refuses a yagna below 0.15.2.
    for (const appKey of [null, key, 'f'.repeat(64)]) {
      const { status, body } = await get('/version/get', appKey)
      assert.equal(status, 200)
      assert.equal(body.current.version, YAGNA_API_VERSION)
      assert.equal(semver.gte(body.current.version, '0.15.2'), true)
      assert.equal(body.current.agora, pkg.version)
      assert.match(body.current.name, new RegExp(`agora ${pkg.version.replaceAll('.', '\\.')}`))
      assert.equal(typeof body.current.seen, 'boolean')
      assert.equal(typeof body.current.releaseTs, 'string')
    }
    const document = await get(OPENAPI_PATH, null)
    assert.deepEqual(document.body.paths['/version/get'].get.security, [])
    assert.deepEqual(document.body.paths['/me'].get.security, undefined)
  })

  it('answers unknown routes with 404 and a message', async () => {
    const { status, body } = await get('/market-api/v1/nowhere?authToken=abc')
    assert.equal(status, 404)
    assert.equal(body.message, 'no such route: GET /market-api/v1/nowhere')
    assert.equal(body.code, 'NotFound')
  })

  it('validates bodies exactly: 400 naming the field, no coercion, no stripping', async () => {
    assert.deepEqual(await post('/test-api/v1/things', { properties: {}, constraints: '(a=1)', count: 3 }), { status: 201, body: { id: '(a=1):3' } })
    const wrongType = await post('/test-api/v1/things', { properties: 'x', constraints: '' })
    assert.deepEqual(wrongType, { status: 400, body: { code: 'BadRequest', message: 'body/properties must be object' } })
    const missing = await post('/test-api/v1/things', { properties: {} })
    assert.equal(missing.status, 400)
    assert.match(missing.body.message, /^body must have required property 'constraints'/)
    const extra = await post('/test-api/v1/things', { properties: {}, constraints: '', bogus: 1 })
    assert.equal(extra.status, 400)
    assert.match(extra.body.message, /additional properties/)
    const coercible = await post('/test-api/v1/things', { properties: {}, constraints: '', count: '3' })
    assert.deepEqual(coercible, { status: 400, body: { code: 'BadRequest', message: 'body/count must be integer' } })
  })

  it('coerces querystrings and path parameters', async () => {
    assert.deepEqual(await get('/test-api/v1/echo?timeout=0.5&maxEvents=4'), { status: 200, body: { timeout: 0.5, maxEvents: 4 } })
    const bad = await get('/test-api/v1/echo?maxEvents=many')
    assert.deepEqual(bad, { status: 400, body: { code: 'BadRequest', message: 'querystring/maxEvents must be integer' } })
  })

  it('takes JSON bodies only, up to the limit', async () => {
    const text = await raw('/test-api/v1/things', { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'text/plain' }, body: 'hello' })
    assert.equal(text.status, 415)
    assert.equal(typeof text.body.message, 'string')
    assert.equal(text.body.code, 'UnsupportedMediaType')
    const broken = await raw('/test-api/v1/things', {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: '{"properties":'
    })
    assert.equal(broken.status, 400)
    assert.equal(broken.body.code, 'BadRequest')
    const huge = await post('/test-api/v1/things', { properties: { blob: 'x'.repeat(DEFAULT_BODY_LIMIT) }, constraints: '' })
    assert.equal(huge.status, 413)
    assert.equal(typeof huge.body.message, 'string')
    assert.equal(huge.body.code, 'PayloadTooLarge')
  })

  it('maps an ApiError to the status of its code', async () => {
    for (const code of ['BadRequest', 'Forbidden', 'NotFound', 'Timeout', 'Conflict', 'Gone', 'PayloadTooLarge', 'RateLimited'] as const) {
      assert.deepEqual(await get(`/test-api/v1/fail/${code}`), { status: ERROR_CODES[code].status, body: { code, message: `failed with ${code}` } })
    }
    // A 5xx keeps its own words and adds the reference of its log line.
    const unavailable = await get('/test-api/v1/fail/Unavailable')
    assert.equal(unavailable.status, 503)
    assert.equal(unavailable.body.code, 'Unavailable')
    assert.equal(unavailable.body.message, `failed with Unavailable (ref ${unavailable.body.correlationId})`)
    assert.ok(logLines.some(line => line.correlationId === unavailable.body.correlationId))
  })

  it('answers a full disk with 507 in its own words, not the path', async () => {
    const full = await get('/test-api/v1/full')
    assert.equal(full.status, 507)
    assert.equal(full.body.message, `the node's disk is full (ref ${full.body.correlationId})`)
    assert.ok(logLines.some(line => line.correlationId === full.body.correlationId && /000042\.log/.test(line.err?.message)))
  })

  it('answers a fault of its own with 500 and a correlation id that keys the log line holding the real error', async () => {
    const crash = await get('/test-api/v1/crash')
    assert.equal(crash.status, 500)
    const { correlationId } = crash.body
    assert.match(correlationId, /^[0-9a-f]{16}$/)
    assert.deepEqual(crash.body, { code: 'Internal', message: `internal error (ref ${correlationId})`, correlationId })
    const logged = logLines.filter(line => line.correlationId === correlationId)
    assert.equal(logged.length, 1)
    assert.match(logged[0]?.err?.message, /secret\.json/)
    // An Internal CodedError's own words stay in the log too.
    const internal = await get('/test-api/v1/fail/Internal')
    assert.deepEqual(internal.body, {
      code: 'Internal',
      message: `internal error (ref ${internal.body.correlationId})`,
      correlationId: internal.body.correlationId
    })
    assert.notEqual(internal.body.correlationId, correlationId)
  })

  it('serves an OpenAPI document of the routes and their schemas, without an app-key', async () => {
    const { status, body } = await get(OPENAPI_PATH, null)
    assert.equal(status, 200)
    assert.match(body.openapi, /^3\./)
    assert.equal(body.info.version, pkg.version)
    assert.deepEqual(Object.keys(body.components.securitySchemes).sort(), ['app_key', 'app_key_param'])
    for (const path of ['/me', '/version/get', '/test-api/v1/things', '/test-api/v1/echo', '/test-api/v1/fail/{code}']) {
      assert.ok(body.paths[path] !== undefined, `${path} is documented`)
    }
    assert.equal(body.paths[OPENAPI_PATH], undefined)
    const thing = body.paths['/test-api/v1/things'].post
    const schema = thing.requestBody.content['application/json'].schema
    assert.deepEqual(schema.required, ['properties', 'constraints'])
    assert.equal(schema.properties.properties.type, 'object')
    assert.deepEqual(Object.keys(thing.responses).sort(), ['201', '400', '401', '500'])
    assert.deepEqual(body.paths['/me'].get.responses['200'].content['application/json'].schema.required, ['identity', 'name', 'role'])
    assert.ok(body.paths['/test-api/v1/echo'].get.parameters.some((p: { name: string; in: string }) => p.name === 'maxEvents' && p.in === 'query'))
  })

  it('ends long polls when the server closes', async () => {
    const waiting = get('/poll-api/v1/events')
    queue.push('first')
    assert.deepEqual(await waiting, { status: 200, body: ['first'] })
    const polled = Promise.withResolvers<void>()
    const server = await createApiServer({
      appKeys: keys,
      identity: { nodeId: NODE_ID },
      routes: [{ prefix: '/poll-api/v1', plugin: pollRoutes(new LongPollQueue<string>(), polled.resolve) }]
    })
    const url = await server.listen({ host: '127.0.0.1', port: 0 })
    const polling = fetch(`${url}/poll-api/v1/events`, { headers: { authorization: `Bearer ${key}` } })
    await polled.promise
    // The poll would wait 60 s, past mocha's timeout: a close that waited it out fails the test.
    await server.close()
    const response = await polling
    assert.equal(response.status, 200)
    assert.deepEqual(await response.json(), [])
  })
})
