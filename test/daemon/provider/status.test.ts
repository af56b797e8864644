import assert from 'node:assert/strict'
import { parseEther } from 'ethers'
import type { TestNode } from '../../helpers/cluster.ts'
import { PAIR_ALIAS, paymentPairFixture } from '../../helpers/payment-pair.ts'

const P = '/payment-api/v1'
const STATUS = '/agora-api/v1/provider/status'

async function eventOn(node: TestNode, kind: 'debitNoteEvents' | 'invoiceEvents', test: (e: any) => boolean): Promise<any> {
  let after: string | undefined
  for (let round = 0; round < 60; round++) {
    const since = after === undefined ? '' : `&afterTimestamp=${encodeURIComponent(after)}`
    const events = await node.client.expect<any[]>(200, 'GET', `${P}/${kind}?timeout=5&maxEvents=100${since}`)
    const found = events.find(test)
    if (found !== undefined) return found
    if (events.length > 0) after = events.at(-1).eventDate
  }
  throw new Error(`no such event in ${kind}`)
}

describe('provider agent: status after a paid job', function () {
  this.timeout(180_000)
  const pair = paymentPairFixture()

  it('counts the agreement, its activity, and the earnings accepted, paid and pending, in tokens from the ledger', async () => {
    const { provider, requester } = pair
    const before = await provider.client.expect(200, 'GET', STATUS)
    assert.deepEqual(before.earnings, { requested: '0', accepted: '0', paid: '0', pending: '0' })
    assert.equal(before.offering, false)
    assert.match(before.reason, /does not offer/)

    const allocation = await requester.client.expect(201, 'POST', `${P}/allocations`, { totalAmount: '50', paymentPlatform: PAIR_ALIAS })
    const { agreementId } = await pair.agreementWithActivity()
    const running = await provider.client.expect(200, 'GET', STATUS)
    assert.equal(running.agreements.Approved, 1)
    assert.equal(running.activitiesRunning, 1)

    // A debit note accepted: accepted and not yet paid (escrow vouchers are claimed at the agreement's end).
    const noteEvent = await eventOn(requester, 'debitNoteEvents', e => e.eventType === 'DebitNoteReceivedEvent')
    const note = await requester.client.expect(200, 'GET', `${P}/debitNotes/${noteEvent.debitNoteId}`)
    await requester.client.expect(200, 'POST', `${P}/debitNotes/${note.debitNoteId}/accept?timeout=30`, {
      totalAmountAccepted: note.totalAmountDue,
      allocationId: allocation.allocationId
    })
    await eventOn(provider, 'debitNoteEvents', e => e.eventType === 'DebitNoteAcceptedEvent' && e.debitNoteId === note.debitNoteId)
    const accepted = await provider.client.expect(200, 'GET', STATUS)
    assert.ok(parseEther(accepted.earnings.accepted) >= parseEther(note.totalAmountDue))
    assert.equal(parseEther(accepted.earnings.pending), parseEther(accepted.earnings.accepted) - parseEther(accepted.earnings.paid))
    assert.ok(parseEther(accepted.earnings.requested) >= parseEther(accepted.earnings.accepted))

    await requester.client.expect(204, 'POST', `/market-api/v1/agreements/${agreementId}/terminate`, { message: 'done' })
    const received = await eventOn(requester, 'invoiceEvents', e => e.eventType === 'InvoiceReceivedEvent')
    const invoice = await requester.client.expect(200, 'GET', `${P}/invoices/${received.invoiceId}`)
    await requester.client.expect(200, 'POST', `${P}/invoices/${invoice.invoiceId}/accept`, {
      totalAmountAccepted: invoice.amount,
      allocationId: allocation.allocationId
    })
    await eventOn(provider, 'invoiceEvents', e => e.eventType === 'InvoiceSettledEvent' && e.invoiceId === invoice.invoiceId)
    const paid = await provider.client.expect(200, 'GET', STATUS)
    assert.equal(paid.agreements.Terminated, 1)
    assert.equal(paid.agreements.Approved, undefined)
    assert.equal(paid.activitiesRunning, 0)
    assert.deepEqual(paid.earnings, { requested: invoice.amount, accepted: invoice.amount, paid: invoice.amount, pending: '0' })
  })
})
