// What a caller of this node's API learns when the other node fails on its own
// side: the other node's code read through the one vocabulary, its reference
// passed on, and none of its internals.
import assert from 'node:assert/strict'
import { ActivityClient, ACTIVITY_PROTOCOL } from '../../exe-unit/index.ts'
import { MARKET_PROTOCOL, marketNetOver } from '../../market/index.ts'
import { MarketError } from '../../market/errors.ts'
import { NetHost, NodeKey, statusOf, signEnvelope } from '../../net/index.ts'
import { ActivityCallError } from '../../exe-unit/network/activity-client.ts'

const SECRET = '/var/lib/agora/provider/keys/node.json'

describe('failures of the other node, as this node reports them', () => {
  let provider: NetHost
  let requester: NetHost

  before(async () => {
    provider = new NetHost({ key: NodeKey.random() })
    // Both handlers fail as a careless implementation would: with a raw error carrying a path.
    await provider.handle(MARKET_PROTOCOL, async () => {
      throw new Error(`EACCES: permission denied, open '${SECRET}'`)
    })
    await provider.handle(ACTIVITY_PROTOCOL, async () => {
      throw new Error(`EACCES: permission denied, open '${SECRET}'`)
    })
    await provider.start()
    requester = new NetHost({ key: NodeKey.random(), bootstrap: provider.addresses() })
    await requester.start()
  })

  after(async () => {
    await requester?.stop()
    await provider?.stop()
  })

  it("the market reads a peer's Internal as PeerInternal (502), with the peer's reference and no path", async () => {
    const net = marketNetOver(requester)
    const envelope = signEnvelope(requester.key, 'market.proposal', { any: 'thing' })
    await assert.rejects(net.send(provider.nodeId, { kind: 'proposal', envelope }), (err: unknown) => {
      assert.ok(err instanceof MarketError, String(err))
      assert.equal(err.code, 'PeerInternal')
      assert.equal(statusOf(err.code), 502)
      assert.match(err.message, /internal error \(ref [0-9a-f]{16}\)$/)
      assert.doesNotMatch(err.message, /EACCES|provider\/keys/)
      return true
    })
  })

  it('the activity client does the same', async () => {
    const agreementId = 'ab'.repeat(32)
    const records = new Map<string, unknown>()
    const client = new ActivityClient(
      requester,
      {
        get: async key => records.get(key),
        put: async (key, value) => {
          records.set(key, value)
        }
      },
      () => ({ agreementId, role: 'Requestor', state: 'Approved', requestorId: requester.nodeId, providerId: provider.nodeId, properties: {} }),
      // Only a destroy queues a message, and this test makes none.
      {
        enqueue: async () => {
          throw new Error('no message is queued here')
        },
        settled: async () => 'pending' as const
      }
    )
    await assert.rejects(client.create(agreementId), (err: unknown) => {
      assert.ok(err instanceof ActivityCallError, String(err))
      assert.equal(err.code, 'PeerInternal')
      assert.match(err.message, new RegExp(`^provider ${provider.nodeId}: internal error \\(ref [0-9a-f]{16}\\)$`))
      return true
    })
    assert.equal(records.size, 0)
  })
})
