import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startProbedNode } from '../helpers/probed-node.ts'
import type { ProbedNode } from '../helpers/probed-node.ts'
import { SseReader } from '../helpers/sse-reader.ts'

const M = '/market-api/v1'

describe('market API: scans as Server-Sent Events, endScan at both paths', function () {
  this.timeout(60_000)
  let dir: string
  let node: ProbedNode

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agora-market-api-'))
    node = await startProbedNode(join(dir, 'node'))
  })
  after(async () => {
    await node.stop()
    await rm(dir, { recursive: true, force: true })
  })

  async function openStream(scanId: string): Promise<Response> {
    return await fetch(`${node.client.url}${M}/scan/${scanId}/events`, {
      headers: { authorization: `Bearer ${node.client.key}`, accept: 'text/event-stream' }
    })
  }

  it('streams `event: offer` for known offers and for new arrivals, and ends the stream when the scan ends', async () => {
    const first = await node.client.subscribe('offer', { 'golem.inf.mem.gib': 1, 'test.scan': 'sse' }, '')
    const scanId = await node.client.expect<string>(201, 'POST', `${M}/scan`, { type: 'offer', constraints: '(test.scan=sse)' })
    const response = await openStream(scanId)
    assert.equal(response.status, 200)
    assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/)
    const reader = new SseReader(response.body!)
    try {
      const known = await reader.next()
      assert.equal(known?.event, 'offer')
      const offer = JSON.parse(known!.data)
      assert.equal(offer.offerId, first)
      assert.equal(offer.properties['golem.inf.mem.gib'], 1)
      assert.equal(typeof offer.providerId, 'string')

      // An offer published while the stream is open arrives on it; one the filter refuses does not.
      await node.client.subscribe('offer', { 'golem.inf.mem.gib': 3, 'test.scan': 'other' }, '')
      const second = await node.client.subscribe('offer', { 'golem.inf.mem.gib': 2, 'test.scan': 'sse' }, '')
      const arrival = await reader.next()
      assert.equal(arrival?.event, 'offer')
      assert.equal(JSON.parse(arrival!.data).offerId, second)

      await node.client.expect(201, 'DELETE', `${M}/scan/${scanId}/events`)
      assert.equal(await reader.next(), null, 'the stream ends with the scan')
    } finally {
      await reader.cancel()
    }
    const ended = await node.client.call('GET', `${M}/scan/${scanId}/events?timeout=0`)
    assert.equal(ended.status, 404)
  })

  it('answers the JSON array without the event-stream Accept, and 404 in JSON for an unknown scan either way', async () => {
    const offerId = await node.client.subscribe('offer', { 'test.scan': 'json' }, '')
    const scanId = await node.client.expect<string>(201, 'POST', `${M}/scan`, { type: 'offer', constraints: '(test.scan=json)' })
    const items = await node.client.expect<any[]>(200, 'GET', `${M}/scan/${scanId}/events?timeout=0`)
    assert.deepEqual(
      items.map(item => item.offerId),
      [offerId]
    )
    // The kept path ends a scan too.
    await node.client.expect(201, 'DELETE', `${M}/scan/${scanId}`)
    assert.equal((await node.client.call('DELETE', `${M}/scan/${scanId}/events`)).status, 404)

    const unknown = await openStream('f'.repeat(64))
    assert.equal(unknown.status, 404)
    assert.match(unknown.headers.get('content-type') ?? '', /^application\/json/)
    assert.match(((await unknown.json()) as { message: string }).message, /no scan/)
  })

  it('streams `event: demand` for a scan of broadcast demands', async () => {
    const demandId = await node.client.subscribe('demand', { 'test.scan': 'demand', 'agora.demand.broadcast': true }, '')
    const scanId = await node.client.expect<string>(201, 'POST', `${M}/scan`, { type: 'demand', constraints: '(test.scan=demand)' })
    const reader = new SseReader((await openStream(scanId)).body!)
    try {
      const event = await reader.next()
      assert.equal(event?.event, 'demand')
      assert.equal(JSON.parse(event!.data).demandId, demandId)
    } finally {
      await reader.cancel()
      await node.client.call('DELETE', `${M}/scan/${scanId}/events`)
    }
  })
})
