// Agora's payment routes about documents, on a real provider and requester
// daemon on the dev chain: the long poll of the documents a node issues
// (GET /agora-api/v1/payment/issuedEvents) wakes when the provider issues a
// debit note and when it issues the invoice, ends empty at its timeout, and
// is refused without an app-key or with a malformed query; the rejections
// (GET /agora-api/v1/payment/rejections) give a rejected document's reason
// on both sides.
import assert from 'node:assert/strict'
import type { TestNode } from '../helpers/cluster.ts'
import { PAIR_ALIAS as ALIAS, paymentPairFixture } from '../helpers/payment-pair.ts'
import { eventually } from '../helpers/wait.ts'

const P = '/payment-api/v1'
const X = '/agora-api/v1/payment'
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/

describe("Agora's routes about a node's debit notes and invoices", function () {
  this.timeout(180_000)
  const pair = paymentPairFixture()
  let provider: TestNode
  let requester: TestNode

  before(() => {
    provider = pair.provider
    requester = pair.requester
  })

  /** The date of the newest issued event so far: a poll after it waits for new ones. */
  async function lastIssuedDate(node: TestNode): Promise<string | undefined> {
    let after: string | undefined
    for (;;) {
      const query = after === undefined ? '' : `&afterTimestamp=${encodeURIComponent(after)}`
      const events = await node.client.expect<any[]>(200, 'GET', `${X}/issuedEvents?timeout=0&maxEvents=100${query}`)
      if (events.length === 0) return after
      after = events.at(-1).eventDate
    }
  }

  const afterQuery = (date: string | undefined): string => (date === undefined ? '' : `&afterTimestamp=${encodeURIComponent(date)}`)

  it('wakes a waiting poll when the provider issues a debit note, then its invoice; the recipient hears of neither', async () => {
    await requester.client.expect(201, 'POST', `${P}/allocations`, { totalAmount: '50', paymentPlatform: ALIAS })
    const since = await lastIssuedDate(provider)
    const requesterSince = await lastIssuedDate(requester)
    const polled = provider.client.call('GET', `${X}/issuedEvents?timeout=120&maxEvents=1${afterQuery(since)}`)
    const { agreementId } = await pair.agreementWithActivity()

    const reply = await polled
    assert.equal(reply.status, 200)
    assert.equal(reply.body.length, 1)
    const [issued] = reply.body
    assert.equal(issued.eventType, 'DebitNoteIssuedEvent')
    assert.match(issued.eventDate, ISO)
    assert.equal(issued.agreementId, agreementId)
    const note = await provider.client.expect(200, 'GET', `${P}/debitNotes/${issued.debitNoteId}`)
    assert.equal(note.issuerId, provider.nodeId)
    assert.equal(note.agreementId, agreementId)

    // The invoice comes at termination: a poll after the last issued event wakes with it.
    const lastNote = await lastIssuedDate(provider)
    const invoicePolled = (async () => {
      let date = lastNote
      for (let round = 0; round < 60; round++) {
        const events = await provider.client.expect<any[]>(200, 'GET', `${X}/issuedEvents?timeout=5&maxEvents=100${afterQuery(date)}`)
        const invoice = events.find(e => e.eventType === 'InvoiceIssuedEvent')
        if (invoice !== undefined) return invoice
        if (events.length > 0) date = events.at(-1).eventDate
      }
      throw new Error('no InvoiceIssuedEvent')
    })()
    await requester.client.expect(204, 'POST', `/market-api/v1/agreements/${agreementId}/terminate`, { message: 'done' })
    const invoiceEvent = await invoicePolled
    assert.equal(invoiceEvent.agreementId, agreementId)
    assert.equal(invoiceEvent.debitNoteId, undefined)
    const invoice = await provider.client.expect(200, 'GET', `${P}/invoices/${invoiceEvent.invoiceId}`)
    assert.equal(invoice.issuerId, provider.nodeId)

    // The requester received these documents and issued none.
    assert.deepEqual(await requester.client.expect(200, 'GET', `${X}/issuedEvents?timeout=0${afterQuery(requesterSince)}`), [])
  })

  it('ends a poll empty when its timeout passes, and resumes exactly after the last event seen', async () => {
    const since = await lastIssuedDate(provider)
    assert.notEqual(since, undefined)
    assert.deepEqual(await provider.client.expect(200, 'GET', `${X}/issuedEvents?timeout=0.2${afterQuery(since)}`), [])
    const all = await provider.client.expect<any[]>(200, 'GET', `${X}/issuedEvents?timeout=0&maxEvents=100`)
    assert.ok(all.length >= 2)
    const dates = all.map(e => e.eventDate)
    assert.deepEqual([...dates].sort(), dates)
    assert.equal(new Set(dates).size, dates.length)
    const rest = await provider.client.expect<any[]>(200, 'GET', `${X}/issuedEvents?timeout=0&maxEvents=100${afterQuery(all[0].eventDate)}`)
    assert.deepEqual(rest, all.slice(1))
  })

  it('refuses a poll without an app-key (401) and a malformed one (400)', async () => {
    const anonymous = await provider.client.call('GET', `${X}/issuedEvents?timeout=0`, undefined, null)
    assert.equal(anonymous.status, 401)
    const wrongKey = await provider.client.call('GET', `${X}/issuedEvents?timeout=0`, undefined, 'not-an-app-key-of-this-node')
    assert.equal(wrongKey.status, 401)
    for (const query of ['maxEvents=0', 'maxEvents=101', 'timeout=-1', 'afterTimestamp=yesterday']) {
      const reply = await provider.client.call('GET', `${X}/issuedEvents?${query}`)
      assert.equal(reply.status, 400, query)
      assert.deepEqual(Object.keys(reply.body).sort(), ['code', 'message'], query)
    }
  })

  it('gives the reason of a rejected debit note to the requester that rejected it and to the provider that issued it', async () => {
    assert.deepEqual(await requester.client.expect(200, 'GET', `${X}/rejections`), [])
    const since = await lastIssuedDate(provider)
    const { agreementId } = await pair.agreementWithActivity()
    const issued = await eventually('a debit note of the new agreement issued', async () => {
      const events = await provider.client.expect<any[]>(200, 'GET', `${X}/issuedEvents?timeout=5&maxEvents=100${afterQuery(since)}`)
      return events.find(e => e.agreementId === agreementId && e.debitNoteId !== undefined)
    })
    const noteId: string = issued.debitNoteId
    await eventually('the debit note received', async () => {
      const reply = await requester.client.call('GET', `${P}/debitNotes/${noteId}`)
      return reply.status === 200 && reply.body.status === 'RECEIVED'
    })
    const rejection = { rejectionReason: 'BAD_SERVICE', totalAmountAccepted: '0', message: 'nothing ran' }
    await requester.client.expect(200, 'POST', `${P}/debitNotes/${noteId}/reject`, rejection)

    assert.deepEqual(await requester.client.expect(200, 'GET', `${X}/rejections`), [{ debitNoteId: noteId, rejection }])
    const onProvider = await eventually('the rejection reached the provider', async () => {
      const listed = await provider.client.expect<any[]>(200, 'GET', `${X}/rejections`)
      return listed.find(entry => entry.debitNoteId === noteId)
    })
    assert.deepEqual(onProvider, { debitNoteId: noteId, rejection })
    assert.equal((await provider.client.expect(200, 'GET', `${P}/debitNotes/${noteId}`)).status, 'REJECTED')
    assert.equal((await provider.client.call('GET', `${X}/rejections`, undefined, null)).status, 401)
    await requester.client.expect(204, 'POST', `/market-api/v1/agreements/${agreementId}/terminate`, { message: 'done' })
    // Its invoice ends what the provider issues for it.
    await eventually('the invoice issued', async () => {
      const events = await provider.client.expect<any[]>(200, 'GET', `${X}/issuedEvents?timeout=5&maxEvents=100${afterQuery(issued.eventDate)}`)
      return events.some(e => e.agreementId === agreementId && e.invoiceId !== undefined)
    })
  })

  it('is rebuilt from the issued documents when the daemon starts again', async () => {
    const before = await provider.client.expect<any[]>(200, 'GET', `${X}/issuedEvents?timeout=0&maxEvents=100`)
    const restarted = await pair.restartProvider()
    const again = await restarted.client.expect<any[]>(200, 'GET', `${X}/issuedEvents?timeout=0&maxEvents=100`)
    // The same events, with the same dates: each is its document's issue time (made strictly increasing).
    assert.deepEqual(again, before)
    provider = restarted
  })
})
