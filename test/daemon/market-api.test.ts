import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { getAddress } from 'ethers'
import { dataDirPaths, Store } from '../../daemon/index.ts'
import { approvedAgreement } from '../helpers/negotiation.ts'
import { startProbedNode } from '../helpers/probed-node.ts'
import type { ProbedNode } from '../helpers/probed-node.ts'
import { SseReader } from '../helpers/sse-reader.ts'
import { eventually } from '../helpers/wait.ts'

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

describe('market API: node ids in lowercase, from records of earlier versions too', function () {
  this.timeout(180_000)
  let dir: string
  let provider: ProbedNode
  let requester: ProbedNode

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agora-market-ids-'))
    provider = await startProbedNode(join(dir, 'provider'))
    requester = await startProbedNode(join(dir, 'requester'), provider.addresses)
  })
  after(async () => {
    await requester.stop()
    await provider.stop()
    await rm(dir, { recursive: true, force: true })
  })

  const LOWER = /^0x[0-9a-f]{40}$/

  it('names nodes in lowercase in /me, offers, proposals and agreements, and takes any case on input', async () => {
    for (const node of [provider, requester]) {
      assert.match(node.nodeId, LOWER)
      assert.equal((await node.client.expect<{ identity: string }>(200, 'GET', '/me')).identity, node.nodeId)
    }
    const negotiated = await approvedAgreement(provider, requester)
    const agreement = await requester.client.expect<any>(200, 'GET', `${M}/agreements/${negotiated.agreementId}`)
    assert.equal(agreement.offer.providerId, provider.nodeId)
    assert.equal(agreement.demand.requestorId, requester.nodeId)
    assert.deepEqual(await provider.client.expect<any>(200, 'GET', `${M}/agreements/${negotiated.agreementId}`), agreement)
    const draft = await requester.client.expect<any>(200, 'GET', `${M}/demands/${negotiated.demandId}/proposals/${negotiated.offerDraftId}`)
    assert.equal(draft.issuerId, provider.nodeId)

    // The scan's peer filter takes the checksum form as well as the lowercase one.
    const scanId = await requester.client.expect<string>(201, 'POST', `${M}/scan`, { type: 'offer' })
    const found = await requester.client.expect<any[]>(200, 'GET', `${M}/scan/${scanId}/events?timeout=0&maxEvents=100&peerId=${getAddress(provider.nodeId)}`)
    assert.ok(found.length > 0)
    for (const offer of found) assert.equal(offer.providerId, provider.nodeId)
    await requester.client.expect(201, 'DELETE', `${M}/scan/${scanId}/events`)
  })

  it('loads agreements and proposals stored with checksum ids in lowercase, and they still work', async () => {
    const negotiated = await approvedAgreement(provider, requester)
    await requester.stop()
    // What an earlier version stored: the checksum form in every id field beside the signed envelopes.
    const store = await Store.open(dataDirPaths(requester.dataDir).db)
    let rewritten = 0
    try {
      const market = store.sublevel<Record<string, any>>('market')
      for await (const [key, value] of market.iterator()) {
        if (/(^|!)agreement:/.test(key)) {
          value.counterpartyId = getAddress(value.counterpartyId)
          value.terms.demand.requestorId = getAddress(value.terms.demand.requestorId)
          value.terms.offer.providerId = getAddress(value.terms.offer.providerId)
        } else if (/(^|!)proposal:/.test(key)) {
          value.issuerId = getAddress(value.issuerId)
          value.counterpartyId = getAddress(value.counterpartyId)
        } else continue
        await market.put(key, value)
        rewritten++
      }
    } finally {
      await store.close()
    }
    assert.ok(rewritten >= 3, `rewrote ${rewritten} records`)

    requester = await startProbedNode(requester.dataDir, provider.addresses)
    const agreement = await requester.client.expect<any>(200, 'GET', `${M}/agreements/${negotiated.agreementId}`)
    assert.equal(agreement.state, 'Approved')
    assert.equal(agreement.offer.providerId, provider.nodeId)
    assert.equal(agreement.demand.requestorId, requester.nodeId)
    const draft = await requester.client.expect<any>(200, 'GET', `${M}/demands/${negotiated.demandId}/proposals/${negotiated.offerDraftId}`)
    assert.equal(draft.issuerId, provider.nodeId)
    // The provider still knows the restarted requester as the same party: the termination is taken.
    await requester.client.expect(204, 'POST', `${M}/agreements/${negotiated.agreementId}/terminate`, { message: 'done' })
    await eventually(
      'Terminated at the provider',
      async () => (await provider.client.expect<any>(200, 'GET', `${M}/agreements/${negotiated.agreementId}`)).state === 'Terminated'
    )
  })
})
