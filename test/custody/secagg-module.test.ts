import assert from 'node:assert/strict'
import type { CustodyModule } from '../../daemon/modules/custody-module.ts'
import { Cluster } from '../helpers/cluster.ts'
import type { TestNode } from '../helpers/cluster.ts'
import { fixedSum, vectors } from './secagg-helpers.ts'

const SESSIONS = '/agora-api/v1/custody/secagg/sessions'

function custodyOf(node: TestNode): CustodyModule {
  return node.modules.find(module => module.name === 'custody') as CustodyModule
}

describe('secure aggregation through the custody module (REST session on the requester, contributors on three owners)', function () {
  this.timeout(240_000)
  const cluster = new Cluster()
  let requester: TestNode
  let owners: TestNode[]

  before(async () => {
    requester = await cluster.start()
    owners = await cluster.startMany(3)
  })

  after(async () => {
    await cluster.stop()
  })

  it('opens a session, takes the owners’ masked inputs and answers the exact sum', async () => {
    const participants = owners.map(owner => owner.nodeId)
    const created = await requester.client.expect<{ sessionId: string; url: string }>(201, 'POST', SESSIONS, {
      participants,
      threshold: 2,
      length: 5,
      fractionalBits: 20
    })
    assert.match(created.sessionId, /^[0-9a-f]{32}$/)
    assert.equal(created.url, `agora-secagg:${requester.nodeId}/${created.sessionId}`)
    const open = await requester.client.expect(200, 'GET', `${SESSIONS}/${created.sessionId}`)
    assert.equal(open.state, 'Open')
    const inputs = vectors(3, 5, 21)
    await Promise.all(
      owners.map(
        async (owner, i) =>
          await custodyOf(owner).secagg.contribute({
            url: created.url,
            requesterId: requester.nodeId,
            dataset: 'census',
            values: inputs[i]!,
            signal: AbortSignal.timeout(120_000)
          })
      )
    )
    const done = await requester.client.expect(200, 'GET', `${SESSIONS}/${created.sessionId}?timeout=120`)
    assert.equal(done.state, 'Done', done.error)
    assert.equal(done.fractionalBits, 20)
    assert.deepEqual(done.sumFixed, fixedSum(inputs, 20))
    assert.deepEqual([...done.survivors].sort(), [...participants].sort())
    assert.deepEqual(done.dropped, [])
    for (let i = 0; i < 5; i++) assert.ok(Math.abs(done.sum[i] - (inputs[0]![i]! + inputs[1]![i]! + inputs[2]![i]!)) < 1e-5)
  })

  it('refuses a bad session request with a clear 400, and an unknown session with 404', async () => {
    const participants = owners.map(owner => owner.nodeId)
    const minority = await requester.client.call('POST', SESSIONS, { participants, threshold: 1, length: 5 })
    assert.equal(minority.status, 400)
    const notMajority = await requester.client.call('POST', SESSIONS, { participants: [...participants, owners[0]!.nodeId], threshold: 3, length: 5 })
    assert.equal(notMajority.status, 400)
    assert.match(notMajority.body.message, /listed twice/)
    const itself = await requester.client.call('POST', SESSIONS, { participants: [...participants, requester.nodeId], threshold: 3, length: 5 })
    assert.equal(itself.status, 400)
    assert.match(itself.body.message, /aggregator cannot be one of the participants/)
    const tooLong = await requester.client.call('POST', SESSIONS, { participants, threshold: 2, length: 100_001 })
    assert.equal(tooLong.status, 400)
    const missing = await requester.client.call('GET', `${SESSIONS}/${'0'.repeat(32)}`)
    assert.equal(missing.status, 404)
  })
})
