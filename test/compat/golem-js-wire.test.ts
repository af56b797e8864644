// The smaller things golem-js 3.x relies on, each checked on its own against a
// real daemon in this process: what its market scan sends, and that a client
// that ends its event polls leaves nothing that holds the daemon's stop.
import assert from 'node:assert/strict'
import { YagnaApi } from '@golem-sdk/golem-js'
import { Cluster, TEST_APP_KEY } from '../helpers/cluster.ts'
import type { TestNode } from '../helpers/cluster.ts'
import { recordFetch } from '../helpers/http-recorder.ts'
import { waitFor } from '../helpers/wait.ts'

describe('what golem-js 3.x sends an Agora daemon', function () {
  this.timeout(60_000)
  let cluster: Cluster
  let node: TestNode

  beforeEach(async () => {
    cluster = new Cluster()
    node = await cluster.start()
  })

  afterEach(async () => {
    await cluster.stop()
  })

  it('begins a scan from its demand-shaped body (an empty properties object); refuses properties in it', async () => {
    // golem-js's MarketApiAdapter.scan posts { type, constraints, properties: {} }.
    const scanId = await node.client.expect<string>(201, 'POST', '/market-api/v1/scan', { type: 'offer', constraints: '(&)', properties: {} })
    assert.match(scanId, /^\S+$/)
    const refused = await node.client.call('POST', '/market-api/v1/scan', { type: 'offer', properties: { 'golem.inf.mem.gib': 1 } })
    assert.equal(refused.status, 400)
    assert.match(refused.body.message, /properties/)
  })

  it('stops promptly after a golem-js client ended its event polls (its keep-alive connections are closed)', async () => {
    const recorder = recordFetch(node.client.url)
    try {
      const yagna = new YagnaApi({ apiKey: TEST_APP_KEY, basePath: node.client.url })
      // What connect() starts after its version check: long polls of agreement, debit note and invoice events.
      ;(yagna as unknown as { startPollingEvents: () => void }).startPollingEvents()
      const answered = (path: string): boolean => recorder.calls.some(call => call.path === path && call.status !== 'failed')
      await waitFor('the payment event polls to be answered', () => answered('/payment-api/v1/debitNoteEvents') && answered('/payment-api/v1/invoiceEvents'))
      await yagna.disconnect()
    } finally {
      recorder.restore()
    }
    // Before the fix the server waited on the connections the client kept, and this stop did not end.
    await node.stop()
    await assert.rejects(fetch(`${node.client.url}/me`), 'the API is closed')
  })
})
