import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { createLogger, OPENAPI_PATH } from '../../daemon/index.ts'
import { SCAN_LIMITS } from '../../market/index.ts'
import { MarketClient } from '../helpers/market-client.ts'
import { startProbedNode } from '../helpers/probed-node.ts'
import type { ProbedNode } from '../helpers/probed-node.ts'

const M = '/market-api/v1'
const MAX_SUBSCRIPTIONS = 40

describe('market API edges: capacity under concurrency, shares, closed bodies, bounded logs', function () {
  this.timeout(180_000)
  let dir: string
  let node: ProbedNode
  const logLines: Array<Record<string, unknown>> = []

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agora-edges-'))
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n')) if (line !== '') logLines.push(JSON.parse(line) as Record<string, unknown>)
        done()
      }
    })
    node = await startProbedNode(join(dir, 'node'), [], {
      configure: config => {
        config.modules.market = { maxSubscriptions: MAX_SUBSCRIPTIONS }
      },
      logger: createLogger('info', sink)
    })
  })
  after(async () => {
    await node.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('holds maxSubscriptions exactly when many subscribe at once', async () => {
    const replies = await Promise.all(
      Array.from(
        { length: 3 * MAX_SUBSCRIPTIONS },
        async (_, i) =>
          await node.client.call('POST', `${M}/${i % 2 === 0 ? 'offers' : 'demands'}`, { properties: { 'golem.inf.mem.gib': i }, constraints: '' })
      )
    )
    const statuses = replies.map(r => r.status)
    assert.equal(statuses.filter(s => s === 201).length, MAX_SUBSCRIPTIONS)
    assert.equal(statuses.filter(s => s === 409).length, 2 * MAX_SUBSCRIPTIONS)
    const live = (await node.client.expect<any[]>(200, 'GET', `${M}/offers`)).length + (await node.client.expect<any[]>(200, 'GET', `${M}/demands`)).length
    assert.equal(live, MAX_SUBSCRIPTIONS)
    // Room again once some end.
    const offers = await node.client.expect<any[]>(200, 'GET', `${M}/offers`)
    await node.client.expect(204, 'DELETE', `${M}/offers/${offers[0].offerId as string}`)
    await node.client.subscribe('offer', {}, '')
  })

  it('gives each app-key a share of the scan slots and caps the scan timeout', async () => {
    const created = await node.admin('POST', '/app-keys', { name: 'scanner' })
    const greedy = new MarketClient(node.client.url, created.body.key)
    const scans: string[] = []
    for (let i = 0; i < SCAN_LIMITS.maxScansPerOwner; i++) scans.push(await greedy.expect<string>(201, 'POST', `${M}/scan`, { type: 'offer', timeout: 60 }))
    const refused = await greedy.call('POST', `${M}/scan`, { type: 'offer' })
    assert.equal(refused.status, 409)
    assert.match(refused.body.message, new RegExp(`scans of this app-key \\(${SCAN_LIMITS.maxScansPerOwner}\\)`))
    // Another client still gets a slot.
    const other = await node.client.expect<string>(201, 'POST', `${M}/scan`, { type: 'offer' })
    await node.client.call('DELETE', `${M}/scan/${other}`)
    // Ending one frees one.
    await greedy.call('DELETE', `${M}/scan/${scans.pop()!}`)
    scans.push(await greedy.expect<string>(201, 'POST', `${M}/scan`, { type: 'offer' }))
    for (const scan of scans) await greedy.call('DELETE', `${M}/scan/${scan}`)
    const tooLong = await node.client.call('POST', `${M}/scan`, { type: 'offer', timeout: SCAN_LIMITS.maxTimeoutMs / 1000 + 1 })
    assert.equal(tooLong.status, 400)
    assert.match(tooLong.body.message, /timeout/)
  })

  it('refuses unknown body fields on every route, as the docs say', async () => {
    const refusals: Array<[string, string, unknown]> = [
      ['POST', `${M}/offers`, { properties: {}, constraints: '', extra: 1 }],
      ['POST', `${M}/demands`, { properties: {}, constraints: '', extra: 1 }],
      ['POST', `${M}/agreements`, { proposalId: 'a'.repeat(64), validTo: new Date(Date.now() + 60_000).toISOString(), extra: 1 }],
      ['POST', `${M}/scan`, { type: 'offer', extra: 1 }],
      ['POST', '/activity-api/v1/activity', { agreementId: 'a'.repeat(64), extra: 1 }]
    ]
    const before = await node.dump()
    // A reason the wire could not carry is refused at the door, before any lookup.
    const id = 'a'.repeat(64)
    for (const path of [
      `${M}/demands/${id}/proposals/${id}/reject`,
      `${M}/agreements/${id}/terminate`,
      `${M}/agreements/${id}/reject`,
      `${M}/agreements/${id}/cancel`
    ]) {
      const reply = await node.client.call('POST', path, { message: 'x'.repeat(5000) })
      assert.equal(reply.status, 400, path)
      assert.match(reply.body.message, /message must NOT have more than 4096 characters/, path)
    }
    for (const [method, path, body] of refusals) {
      const reply = await node.client.call(method, path, body)
      assert.equal(reply.status, 400, `${method} ${path}`)
      assert.match(reply.body.message, /must NOT have additional properties|additional/i, `${method} ${path}`)
    }
    assert.deepEqual(await node.dump(), before)

    // And the document says so for every object body, but ya-client's open Reason.
    const document = await node.client.expect<any>(200, 'GET', OPENAPI_PATH)
    const open: string[] = []
    for (const [path, item] of Object.entries<any>(document.paths)) {
      for (const [method, operation] of Object.entries<any>(item)) {
        const schema = operation.requestBody?.content?.['application/json']?.schema
        for (const variant of schema === undefined ? [] : (schema.anyOf ?? [schema])) {
          const isReason = variant.properties?.message !== undefined && Object.keys(variant.properties).length === 1
          if (variant.type === 'object' && variant.additionalProperties !== false && !isReason) open.push(`${method.toUpperCase()} ${path}`)
        }
      }
    }
    assert.deepEqual(open, [])
  })

  it('logs a request with a 10 KB id with its url cut short', async () => {
    const longId = 'a'.repeat(10_000)
    const reply = await node.client.call('GET', `/activity-api/v1/activity/${longId}/state`)
    assert.equal(reply.status, 414)
    assert.deepEqual(reply.body, { code: 'BadRequest', message: 'a path parameter is longer than 256 characters' })
    // An id just past what the schema takes is the schema's to refuse, naming the field.
    const schemaRefused = await node.client.call('GET', `/activity-api/v1/activity/${'a'.repeat(129)}/state`)
    assert.equal(schemaRefused.status, 400)
    assert.match(schemaRefused.body.message, /activityId/)
    const logged = logLines.filter(
      line => typeof (line.req as { url?: string } | undefined)?.url === 'string' && (line.req as { url: string }).url.includes('aaaa')
    )
    assert.ok(logged.length > 0, `the request was not logged: ${JSON.stringify(logLines.slice(-3)).slice(0, 1500)}`)
    for (const line of logged) assert.ok((line.req as { url: string }).url.length < 400, `logged url of ${(line.req as { url: string }).url.length} characters`)
    assert.ok(
      logLines.every(line => JSON.stringify(line).length < 2000),
      'a log line carries the whole id'
    )
  })
})
