// An approval the requester has not acknowledged: `approve?timeout=` answers
// 408 when its timeout passes on the provider's clock (a manual one here, so
// the test moves time instead of waiting it out), and the approval, still
// queued, makes the agreement Approved on both sides once the requester is back.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { MarketModule } from '../../daemon/modules/market-module.ts'
import type { NodeId } from '../../net/index.ts'
import { Cluster } from '../helpers/cluster.ts'
import type { TestNode } from '../helpers/cluster.ts'
import { ManualClock } from '../helpers/manual-clock.ts'
import { confirmAgreement, negotiateAgreement } from '../helpers/negotiation.ts'
import { waitFor } from '../helpers/wait.ts'

const M = '/market-api/v1'
const APPROVE_TIMEOUT_MS = 30_000

const marketOf = (node: TestNode): MarketModule => {
  const module = node.modules.find(m => m instanceof MarketModule)
  assert.ok(module instanceof MarketModule)
  return module
}

const agreementEvents = async (node: TestNode, agreementId: string): Promise<any[]> =>
  (await node.client.expect<any[]>(200, 'GET', `${M}/agreementEvents?timeout=0&maxEvents=100`)).filter(e => e.agreementId === agreementId)

describe('market: an approval not yet acknowledged, on a manual clock', function () {
  this.timeout(120_000)
  let clock: ManualClock
  let cluster: Cluster
  let provider: TestNode
  let requester: TestNode

  beforeEach(async () => {
    clock = new ManualClock(Date.now())
    cluster = new Cluster()
    provider = await cluster.start({ clock })
    requester = await cluster.start({ clock })
  })
  afterEach(async () => {
    await cluster.stop()
  })

  /** Approves while the requester is stopped: 408 exactly when the timeout passes on the clock. */
  const approveUnheard = async (agreementId: string): Promise<void> => {
    const startedAt = clock.now()
    const approving = provider.client.call('POST', `${M}/agreements/${agreementId}/approve?timeout=${APPROVE_TIMEOUT_MS / 1000}`)
    await waitFor('the approve call waiting on the clock', () => clock.pending().includes(startedAt + APPROVE_TIMEOUT_MS))
    clock.advance(APPROVE_TIMEOUT_MS)
    const answer = await approving
    assert.equal(answer.status, 408, JSON.stringify(answer.body))
    assert.match(answer.body.message, /stays queued/)
  }

  /** Restarts the requester on the same clock; a retry the provider's outbox then schedules runs at once. */
  const requesterBack = async (requesterDir: string): Promise<void> => {
    const outbox = marketOf(provider).outbox
    const delivered = once(outbox, 'message:delivered')
    requester = await cluster.start({ dataDir: requesterDir, bootstrap: [provider.addresses[0]!], clock })
    // Delivered on the connect; or, if the requester's market was not listening yet, by a retry.
    const retryNow = (event: CustomEvent<{ delayMs: number }>): void => {
      clock.advance(event.detail.delayMs)
    }
    outbox.addEventListener('message:retry', retryNow)
    try {
      const due = outbox.nextAttemptAt(requester.nodeId as NodeId)
      if (due !== undefined && due > clock.now()) clock.advance(due - clock.now())
      if (outbox.pending().length > 0) await delivered
    } finally {
      outbox.removeEventListener('message:retry', retryNow)
    }
  }

  it('approve while the requester is away: 408, then Approved on both sides once it is back', async () => {
    const negotiated = await negotiateAgreement(provider, requester)
    await confirmAgreement(provider, requester, negotiated)
    const { agreementId } = negotiated
    const requesterDir = requester.dataDir
    await requester.stop()
    await approveUnheard(agreementId)
    assert.equal((await provider.client.agreement(agreementId)).state, 'Pending')
    assert.deepEqual(
      marketOf(provider)
        .outbox.pending()
        .map(m => m.kind),
      ['agreement.approval']
    )

    await requesterBack(requesterDir)
    assert.equal((await requester.client.agreement(agreementId)).state, 'Approved')
    assert.equal((await provider.client.agreement(agreementId)).state, 'Approved')
    for (const node of [provider, requester]) {
      assert.deepEqual(
        (await agreementEvents(node, agreementId)).map(e => e.eventType),
        ['AgreementApprovedEvent']
      )
    }
  })

  it('an approval on its way cannot be followed by a rejection', async () => {
    const negotiated = await negotiateAgreement(provider, requester)
    await confirmAgreement(provider, requester, negotiated)
    const { agreementId } = negotiated
    const requesterDir = requester.dataDir
    await requester.stop()
    await approveUnheard(agreementId)
    const reject = await provider.client.call('POST', `${M}/agreements/${agreementId}/reject`, { message: 'too late' })
    assert.equal(reject.status, 409, JSON.stringify(reject.body))
    // Once the requester is back, the approval lands and both hold the agreement Approved.
    await requesterBack(requesterDir)
    for (const node of [provider, requester]) assert.equal((await node.client.agreement(agreementId)).state, 'Approved')
  })
})
