// The deal keeper watching paid agreements between a provider and a requester
// daemon on a dev chain: an idle agreement ended, the requester that stops
// accepting debit notes, a provider restart mid-agreement, and a requester
// that goes away. The invoice reaches the requester after each end.
import assert from 'node:assert/strict'
import { parseEther } from 'ethers'
import type { PaymentModule } from '../../../daemon/modules/payment-module.ts'
import type { PaymentApi } from '../../../payment/index.ts'
import type { TestNode } from '../../helpers/cluster.ts'
import { requesterDemand } from '../../helpers/golem-terms.ts'
import { ManualClock } from '../../helpers/manual-clock.ts'
import { PAIR_ALIAS, paymentPairFixture } from '../../helpers/payment-pair.ts'
import { agreeOn, attachKeeper, proposeTo, TestSettings } from '../../helpers/agent-deals.ts'
import type { AttachedKeeper, AttachOptions } from '../../helpers/agent-deals.ts'
import { eventually } from '../../helpers/wait.ts'

const INTERVAL = 'golem.com.scheme.payu.debit-note.interval-sec?'
const ACCEPT = 'golem.com.payment.debit-notes.accept-timeout?'
const IDLE_SEC = 600

const paymentOf = (node: TestNode): PaymentApi => (node.modules.find(m => m.name === 'payment') as PaymentModule).api

describe('provider deals: agreements watched while they are paid', function () {
  this.timeout(240_000)
  const pair = paymentPairFixture('1000')
  let agent: AttachedKeeper | undefined

  afterEach(async () => {
    await agent?.stop()
    agent = undefined
  })

  const demandOf = (requester: TestNode, extra: Record<string, unknown>) =>
    requesterDemand({
      'golem.com.payment.chosen-platform': PAIR_ALIAS,
      [`golem.com.payment.platform.${PAIR_ALIAS}.address`]: requester.nodeId.toLowerCase(),
      'golem.srv.comp.task_package': 'http://127.0.0.1:9/never-fetched.wasm',
      ...extra
    })

  /** An agreement the keeper approved, from the requester's demand with `extra`. */
  async function approvedWith(options: AttachOptions, extra: Record<string, unknown>): Promise<string> {
    agent = await attachKeeper(pair.provider, options)
    const { answer } = await proposeTo(pair.requester, pair.provider, agent.offerName, demandOf(pair.requester, extra))
    assert.equal(answer.eventType, 'ProposalEvent', JSON.stringify(answer))
    const { agreementId, status } = await agreeOn(pair.requester, answer.proposal.proposalId)
    assert.equal(status, 204)
    const keeperMarket = agent.market
    await eventually('Approved at the provider', async () => keeperMarket.getAgreement(agreementId).state === 'Approved')
    return agreementId
  }

  const terminationSeenBy = async (node: TestNode, agreementId: string): Promise<any> =>
    await eventually(
      'the termination reason',
      async () => {
        const reply = await node.client.call('POST', `/market-api/v1/agreements/${agreementId}/terminate/reason`)
        return reply.status === 200 ? reply.body : undefined
      },
      60_000
    )

  const invoiceAt = async (node: TestNode, agreementId: string) =>
    await eventually(
      'the invoice',
      async () =>
        paymentOf(node)
          .invoices()
          .find(invoice => invoice.agreementId === agreementId),
      60_000
    )

  const createActivity = async (requester: TestNode, agreementId: string): Promise<string> =>
    (await requester.client.expect<{ activityId: string }>(201, 'POST', '/activity-api/v1/activity?timeout=60', { agreementId })).activityId

  it('an Approved agreement with no activity for the idle time is ended with NoActivity, and the requester gets the invoice', async () => {
    const clock = new ManualClock(Date.now())
    const agreementId = await approvedWith({ clock, settings: new TestSettings({ idleAgreementSec: IDLE_SEC }) }, {})
    clock.advance(IDLE_SEC * 1000 - 60_000)
    // Nothing ends before the idle time: the next look a minute before it leaves the agreement Approved.
    await agent!.keeper.watchNow()
    assert.equal(agent!.market.getAgreement(agreementId).state, 'Approved')
    clock.advance(120_000)
    await agent!.keeper.watchNow()
    const terminated = await terminationSeenBy(pair.requester, agreementId)
    assert.equal(terminated.terminator, 'Provider')
    assert.equal(terminated.reason['golem.provider.code'], 'NoActivity')
    const invoice = await invoiceAt(pair.requester, agreementId)
    assert.equal(invoice.amount, 0n, 'nothing ran: nothing owed')
  })

  it('a requester that stops accepting debit notes: ended with DebitNotesDeadline, which the requester sees', async () => {
    const settings = new TestSettings({ acceptTimeout: { minSec: 1, maxSec: 900, preferredSec: 240 } })
    const agreementId = await approvedWith({ settings }, { [INTERVAL]: 1, [ACCEPT]: 1 })
    await createActivity(pair.requester, agreementId)
    const terminated = await terminationSeenBy(pair.requester, agreementId)
    assert.equal(terminated.reason['golem.provider.code'], 'DebitNotesDeadline')
    assert.ok(typeof terminated.reason['agora.payment.unaccepted-debit-note'] === 'string')
    const invoice = await invoiceAt(pair.requester, agreementId)
    assert.ok(invoice.amount > 0n)
  })

  it('a requester that cannot be reached for the configured time: ended with RequestorUnreachable', async () => {
    const agreementId = await approvedWith({ init: { unreachableAfterMs: 1_500, watchIntervalMs: 100 } }, { [INTERVAL]: 1 })
    await createActivity(pair.requester, agreementId)
    await eventually(
      'a debit note',
      async () =>
        paymentOf(pair.requester)
          .debitNotes()
          .find(note => note.agreementId === agreementId),
      60_000
    )
    await pair.requester.stop()
    const market = agent!.market
    await eventually('Terminated at the provider', async () => market.getAgreement(agreementId).state === 'Terminated', 60_000)
    const reason = market.terminationReason(agreementId).reason as Record<string, unknown>
    assert.equal(reason['golem.provider.code'], 'RequestorUnreachable')
    // Back again, the requester is told why its agreement ended (the termination waited in the outbox).
    const back = await pair.restartRequester()
    const seen = await terminationSeenBy(back, agreementId)
    assert.equal(seen.reason['golem.provider.code'], 'RequestorUnreachable')
  })

  it('a provider restart mid-agreement: the agreement stays watched, debit notes continue under a new activity, and it is paid', async () => {
    const requesterApi = paymentOf(pair.requester)
    const allocation = await requesterApi.createAllocation({ totalAmount: parseEther('50'), paymentPlatform: PAIR_ALIAS })
    const agreementId = await approvedWith({}, { [INTERVAL]: 1 })
    await createActivity(pair.requester, agreementId)
    const first = await eventually('a debit note', async () => requesterApi.debitNotes().find(note => note.agreementId === agreementId), 60_000)
    await requesterApi.acceptDebitNote(first.debitNoteId, { totalAmountAccepted: first.totalAmountDue, allocationId: allocation.allocationId })

    const { offerId, offerName } = agent!
    await agent!.stop()
    const restarted = await pair.restartProvider()
    const clock = new ManualClock(Date.now())
    agent = await attachKeeper(restarted, { offerId, offerName, clock, settings: new TestSettings({ idleAgreementSec: IDLE_SEC }) })
    assert.equal(agent.market.getAgreement(agreementId).state, 'Approved')

    // The activity ended with the restart; a new one is metered and billed again.
    const second = await createActivity(pair.requester, agreementId)
    const next = await eventually('a debit note of the new activity', async () => requesterApi.debitNotes().find(note => note.activityId === second), 60_000)
    await requesterApi.acceptDebitNote(next.debitNoteId, { totalAmountAccepted: next.totalAmountDue, allocationId: allocation.allocationId })
    await pair.requester.client.expect(200, 'DELETE', `/activity-api/v1/activity/${second}?timeout=30`)

    // Watched after the restart from what is stored: idle since the new activity ended.
    clock.advance(IDLE_SEC * 1000 + 60_000)
    await agent.keeper.watchNow()
    const terminated = await terminationSeenBy(pair.requester, agreementId)
    assert.equal(terminated.reason['golem.provider.code'], 'NoActivity')
    const invoice = await invoiceAt(pair.requester, agreementId)
    assert.ok(invoice.amount >= next.totalAmountDue)
    await requesterApi.acceptInvoice(invoice.invoiceId, { totalAmountAccepted: invoice.amount, allocationId: allocation.allocationId })
    await eventually('the invoice accepted at the provider', async () => paymentOf(restarted).invoice(invoice.invoiceId).status !== 'ISSUED', 60_000)
  })
})
