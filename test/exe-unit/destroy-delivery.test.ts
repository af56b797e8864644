// A requester's destroy of an activity reaches the provider however long it is
// away: signed, written before the call is answered, delivered through the
// activity outbox (/agora/activity/outbox/1), handled once; and only the
// activity's own requester can destroy it that way. The daemons run on one
// manual clock, so the wait for an acknowledgement ends when the test says.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { ActivityModule } from '../../daemon/modules/activity-module.ts'
import { ACTIVITY_OUTBOX_PROTOCOL } from '../../exe-unit/index.ts'
import { NetHost, NodeKey, signEnvelope } from '../../net/index.ts'
import type { NodeId } from '../../net/index.ts'
import { Cluster } from '../helpers/cluster.ts'
import type { NodeOptions, TestNode } from '../helpers/cluster.ts'
import { ManualClock } from '../helpers/manual-clock.ts'
import { approvedAgreement } from '../helpers/negotiation.ts'
import { waitFor } from '../helpers/wait.ts'
import { publishModule, startFileServer } from './helpers.ts'
import type { FileServer } from './helpers.ts'

const API = '/activity-api/v1'
/** How long a destroy waits for the provider's acknowledgement by default. */
const ACK_MS = 15_000
const offerExtra = { 'golem.inf.mem.gib': 0.5, 'golem.inf.cpu.threads': 1 }
const allowLoopback: NodeOptions = {
  configure: config => {
    config.modules.activity = { allowPrivateNetworks: true }
  }
}

const activityOf = (node: TestNode): ActivityModule => {
  const module = node.modules.find(m => m instanceof ActivityModule)
  assert.ok(module instanceof ActivityModule)
  return module
}

describe('activity destroy: reaches the provider, whenever it is reachable', function () {
  this.timeout(180_000)
  let clock: ManualClock
  let cluster: Cluster
  let provider: TestNode
  let requester: TestNode
  let files: FileServer
  let taskPackage: string

  before(async () => {
    files = await startFileServer()
    taskPackage = await publishModule(files, 'hello')
  })
  after(async () => {
    await files.close()
  })
  beforeEach(async () => {
    clock = new ManualClock(Date.now())
    cluster = new Cluster()
    provider = await cluster.start({ ...allowLoopback, clock })
    requester = await cluster.start({ ...allowLoopback, clock })
  })
  afterEach(async () => {
    await cluster.stop()
  })

  const activity = async (): Promise<{ agreementId: string; activityId: string }> => {
    const { agreementId } = await approvedAgreement(provider, requester, { offerExtra, demandExtra: { 'golem.srv.comp.task_package': taskPackage } })
    const { activityId } = await requester.client.expect<{ activityId: string }>(201, 'POST', `${API}/activity`, { agreementId })
    return { agreementId, activityId }
  }

  /** A DELETE the provider does not acknowledge: 408 exactly when its wait passes on the clock. */
  const destroyUnheard = async (activityId: string): Promise<void> => {
    const startedAt = clock.now()
    const destroying = requester.client.call('DELETE', `${API}/activity/${activityId}`)
    await waitFor('the destroy waiting on the clock', () => clock.pending().includes(startedAt + ACK_MS))
    clock.advance(ACK_MS)
    const answer = await destroying
    assert.equal(answer.status, 408, JSON.stringify(answer.body))
    assert.match(answer.body.message, /did not answer destroy within 15000 ms; the destroy stays queued/)
  }

  it('a destroy while the provider is stopped: 408 and queued, once however often asked, delivered when it is back', async () => {
    const { activityId } = await activity()
    const providerDir = provider.dataDir
    const providerId = provider.nodeId
    await provider.stop()

    await destroyUnheard(activityId)
    const outbox = activityOf(requester).outbox
    assert.deepEqual(
      outbox.pending(providerId).map(m => m.kind),
      ['activity.destroy']
    )
    // No more work goes out under it, and asking again queues nothing new.
    const exec = await requester.client.call('POST', `${API}/activity/${activityId}/exec`, { text: JSON.stringify([{ deploy: {} }]) })
    assert.equal(exec.status, 409, JSON.stringify(exec.body))
    await destroyUnheard(activityId)
    assert.equal(outbox.pending(providerId).length, 1)

    // The provider comes back (joining through the requester); no REST call to anyone.
    const delivered = once(outbox, 'message:delivered')
    provider = await cluster.start({ ...allowLoopback, dataDir: providerDir, bootstrap: [requester.addresses[0]!], clock })
    // Delivered on the connect; or, if the provider's module was not listening yet, by a retry run at once.
    const retryNow = (event: CustomEvent<{ delayMs: number }>): void => {
      clock.advance(event.detail.delayMs)
    }
    outbox.addEventListener('message:retry', retryNow)
    try {
      const due = outbox.nextAttemptAt(providerId as NodeId)
      if (due !== undefined && due > clock.now()) clock.advance(due - clock.now())
      if (outbox.pending().length > 0) await delivered
    } finally {
      outbox.removeEventListener('message:retry', retryNow)
    }
    assert.deepEqual(outbox.pending(), [])
    assert.equal((await requester.client.expect(200, 'GET', `${API}/activity/${activityId}/state`)).state[0], 'Terminated')
  })

  it('a destroy signed by anyone but the requester is refused and changes nothing', async () => {
    const { agreementId, activityId } = await activity()
    const stranger = new NetHost({ key: NodeKey.random() })
    await stranger.start()
    try {
      await stranger.dial(provider.addresses[0]!)
      const forged = signEnvelope(stranger.key, 'activity.destroy', { activityId, agreementId })
      const answer = await stranger.request(ACTIVITY_OUTBOX_PROTOCOL, provider.nodeId, { kind: 'activity.destroy', envelope: forged })
      assert.deepEqual(answer.result === 'refused' && answer.code, 'Forbidden')
      // Someone else's envelope, sent by the stranger: its signer is not its sender.
      const theirs = signEnvelope(NodeKey.random(), 'activity.destroy', { activityId, agreementId })
      const relayed = await stranger.request(ACTIVITY_OUTBOX_PROTOCOL, provider.nodeId, { kind: 'activity.destroy', envelope: theirs })
      assert.deepEqual(relayed.result === 'refused' && relayed.code, 'BadRequest')
    } finally {
      await stranger.stop()
    }
    assert.notEqual((await provider.client.expect(200, 'GET', `${API}/activity/${activityId}/state`)).state[0], 'Terminated')
    // Its requester's destroy is taken, once the provider has it.
    await requester.client.expect(200, 'DELETE', `${API}/activity/${activityId}`)
    assert.equal((await provider.client.expect(200, 'GET', `${API}/activity/${activityId}/state`)).state[0], 'Terminated')
  })
})
