// Two daemons in this process with the real market, activity and payment
// modules, paying on a real dev chain: debit notes, acceptances with vouchers,
// the invoice, the claim, and what restarts and refusals do to them.
import assert from 'node:assert/strict'
import { parseEther } from 'ethers'
import { after, before, describe, it } from 'mocha'
import type { PaymentModule } from '../../daemon/modules/payment-module.ts'
import { NodeKey, signEnvelope } from '../../net/index.ts'
import { devNetworkConfig, formatAmount, PAYMENT_MESSAGES, PaymentError, paymentTermsOf } from '../../payment/index.ts'
import { proofWire } from '../../payment/protocol/index.ts'
import type { MarketModule } from '../../daemon/modules/market-module.ts'
import type { DebitNoteEvent, InvoiceEvent, PaymentApi } from '../../payment/index.ts'
import { Cluster } from '../helpers/cluster.ts'
import type { NodeOptions, TestNode } from '../helpers/cluster.ts'
import { mined, party } from '../helpers/contracts.ts'
import { devChainFixture } from '../helpers/dev-chain.ts'
import { approvedAgreement } from '../helpers/negotiation.ts'
import type { Negotiated } from '../helpers/negotiation.ts'
import { settlementWorld } from '../helpers/settlement.ts'
import type { SettlementWorld } from '../helpers/settlement.ts'

const PLATFORM = 'erc20-holesky-tglm'
const WAIT_MS = 60_000

function paymentOf(node: TestNode): PaymentApi {
  return (node.modules.find(m => m.name === 'payment') as PaymentModule).api
}

/** Collects events until one matches (a long poll per round, resumed after the last date seen). */
async function nextEvent<E extends DebitNoteEvent | InvoiceEvent>(poll: (after: number | undefined) => Promise<E[]>, test: (event: E) => boolean): Promise<E> {
  let after: number | undefined
  const deadline = Date.now() + WAIT_MS
  while (Date.now() < deadline) {
    const events = await poll(after)
    const found = events.find(test)
    if (found !== undefined) return found
    if (events.length > 0) after = events.at(-1)!.eventDate
  }
  throw new Error('no such event in time')
}

function debitNoteEvent(api: PaymentApi, type: DebitNoteEvent['eventType'], test: (e: DebitNoteEvent) => boolean = () => true): Promise<DebitNoteEvent> {
  return nextEvent(
    after => api.debitNoteEvents({ timeoutMs: 5_000, maxEvents: 100, ...(after === undefined ? {} : { afterTimestamp: after }) }),
    e => e.eventType === type && test(e)
  )
}

function invoiceEvent(api: PaymentApi, type: InvoiceEvent['eventType'], test: (e: InvoiceEvent) => boolean = () => true): Promise<InvoiceEvent> {
  return nextEvent(
    after => api.invoiceEvents({ timeoutMs: 5_000, maxEvents: 100, ...(after === undefined ? {} : { afterTimestamp: after }) }),
    e => e.eventType === type && test(e)
  )
}

describe('payment: two daemons on a dev chain', function () {
  this.timeout(180_000)
  const fixture = devChainFixture()
  const cluster = new Cluster()
  let world: SettlementWorld
  let provider: TestNode
  let requester: TestNode

  function options(extra: Record<string, unknown> = {}): NodeOptions {
    return {
      configure: config => {
        const token = String(world.contracts.token.target)
        const network = devNetworkConfig(fixture.chain.rpcUrl, token, {
          escrow: String(world.contracts.escrow.target),
          batchPayout: String(world.contracts.payouts.target)
        })
        config.modules.payment = {
          networks: [network],
          debitNoteIntervalMs: 300,
          outboxMinRetryMs: 50,
          outboxMaxRetryMs: 500,
          chainPollingIntervalMs: 20,
          finalUsageWaitMs: 10_000,
          // Claimed at the agreement's end, not sooner because the gas is cheap.
          claimWorthGasFactor: 1e15,
          directBatchIntervalMs: 200,
          claimWatchIntervalMs: 100,
          ...extra
        }
      }
    }
  }

  async function fund(address: string, tokens: string): Promise<void> {
    const deployer = party(0, fixture.provider).signer
    await mined(deployer.sendTransaction({ to: address, value: parseEther('10') }))
    if (tokens !== '0') await mined(world.contracts.token.mint(address, parseEther(tokens)))
  }

  async function agreementWithActivity(
    demandExtra: Record<string, unknown> = {},
    offerExtra: Record<string, unknown> = {},
    by: TestNode = requester
  ): Promise<Negotiated & { activityId: string }> {
    const negotiated = await approvedAgreement(
      { nodeId: provider.nodeId, client: provider.client },
      { nodeId: by.nodeId, client: by.client },
      {
        // Small activities: the ones of earlier tests may still be ending when the next one starts.
        offerExtra: { 'golem.inf.mem.gib': 0.5, 'golem.inf.storage.gib': 2, ...offerExtra },
        demandExtra: {
          'golem.com.payment.chosen-platform': PLATFORM,
          // Never deployed here: the activity only has to exist and be measured.
          'golem.srv.comp.task_package': 'http://127.0.0.1:9/never-fetched.wasm',
          [`golem.com.payment.platform.${PLATFORM}.address`]: by.nodeId.toLowerCase(),
          ...demandExtra
        }
      }
    )
    // A generous acknowledgement wait: on a loaded machine the provider may take a while to answer a node that just restarted.
    const { activityId } = await by.client.expect<{ activityId: string }>(201, 'POST', '/activity-api/v1/activity?timeout=60', {
      agreementId: negotiated.agreementId
    })
    return { ...negotiated, activityId }
  }

  async function terminate(agreementId: string, by: TestNode = requester): Promise<void> {
    await by.client.expect(204, 'POST', `/market-api/v1/agreements/${agreementId}/terminate`, { message: 'done' })
  }

  before(async function () {
    this.timeout(120_000)
    world = await settlementWorld(fixture)
    provider = await cluster.start(options())
    requester = await cluster.start(options())
    await fund(requester.nodeId, '1000')
    await fund(provider.nodeId, '0')
  })

  after(async () => {
    await cluster.stop()
  })

  it('debit notes accepted with vouchers, the invoice accepted and claimed: SETTLED, balances checked on chain', async () => {
    const token = world.contracts.token
    const before: bigint = await token.balanceOf(provider.nodeId)
    const requesterApi = paymentOf(requester)
    const providerApi = paymentOf(provider)
    const allocation = await requesterApi.createAllocation({ totalAmount: parseEther('50'), paymentPlatform: PLATFORM })
    const { agreementId, activityId } = await agreementWithActivity()

    const received = await debitNoteEvent(requesterApi, 'DebitNoteReceivedEvent', e => requesterApi.debitNote(e.debitNoteId).agreementId === agreementId)
    const note = requesterApi.debitNote(received.debitNoteId)
    assert.equal(note.status, 'RECEIVED')
    assert.equal(note.activityId, activityId)
    assert.equal(note.payeeAddr, provider.nodeId.toLowerCase())
    assert.ok(note.totalAmountDue > 0n)
    assert.equal(note.paymentDueDate, undefined, 'no payment timeout agreed: not payable')
    await requesterApi.acceptDebitNote(note.debitNoteId, { totalAmountAccepted: note.totalAmountDue, allocationId: allocation.allocationId })
    await debitNoteEvent(providerApi, 'DebitNoteAcceptedEvent', e => e.debitNoteId === note.debitNoteId)
    assert.equal(providerApi.debitNote(note.debitNoteId).status, 'ACCEPTED')
    assert.equal(requesterApi.allocation(allocation.allocationId).spentAmount, note.totalAmountDue)

    await terminate(agreementId)
    const invoiceReceived = await invoiceEvent(requesterApi, 'InvoiceReceivedEvent', e => requesterApi.invoice(e.invoiceId).agreementId === agreementId)
    const invoice = requesterApi.invoice(invoiceReceived.invoiceId)
    assert.deepEqual(invoice.activityIds, [activityId])
    assert.ok(invoice.amount >= note.totalAmountDue)
    await requesterApi.acceptInvoice(invoice.invoiceId, { totalAmountAccepted: invoice.amount, allocationId: allocation.allocationId })
    assert.equal(requesterApi.allocation(allocation.allocationId).spentAmount, invoice.amount)
    const deposit = (await requesterApi.deposits()).find(d => d.agreementIds.includes(agreementId))
    assert.equal(deposit?.reclaim, 'at-deadline', 'the agreement is done: what the deposit still holds goes back after its deadline')

    await invoiceEvent(providerApi, 'InvoiceSettledEvent', e => e.invoiceId === invoice.invoiceId)
    assert.equal(providerApi.invoice(invoice.invoiceId).status, 'SETTLED')
    assert.equal(providerApi.debitNote(note.debitNoteId).status, 'SETTLED')
    // The requester sees the claim on chain too.
    await invoiceEvent(requesterApi, 'InvoiceSettledEvent', e => e.invoiceId === invoice.invoiceId)
    assert.equal(requesterApi.invoice(invoice.invoiceId).status, 'SETTLED')
    assert.equal(requesterApi.debitNote(note.debitNoteId).status, 'SETTLED')
    assert.equal((await token.balanceOf(provider.nodeId)) - before, invoice.amount)
    const payments = providerApi.paymentsOfInvoice(invoice.invoiceId)
    assert.equal(
      payments.reduce((sum, p) => sum + p.amount, 0n),
      invoice.amount
    )
  })

  it('an INCORRECT_AMOUNT rejection reaches the provider; the note is accepted later', async () => {
    const requesterApi = paymentOf(requester)
    const providerApi = paymentOf(provider)
    const allocation = await requesterApi.createAllocation({ totalAmount: parseEther('50') })
    const { agreementId } = await agreementWithActivity({ 'golem.com.scheme.payu.payment-timeout-sec?': 3600 })
    const received = await debitNoteEvent(requesterApi, 'DebitNoteReceivedEvent', e => requesterApi.debitNote(e.debitNoteId).agreementId === agreementId)
    const note = requesterApi.debitNote(received.debitNoteId)
    assert.equal(note.paymentDueDate, note.timestamp + 3_600_000, 'payable: due an hour after issue')
    await requesterApi.rejectDebitNote(note.debitNoteId, { rejectionReason: 'INCORRECT_AMOUNT', totalAmountAccepted: 0n, message: 'not that much' })
    const rejected = await debitNoteEvent(providerApi, 'DebitNoteRejectedEvent', e => e.debitNoteId === note.debitNoteId)
    assert.equal(rejected.rejection?.rejectionReason, 'INCORRECT_AMOUNT')
    assert.equal(providerApi.debitNote(note.debitNoteId).status, 'REJECTED')
    await requesterApi.acceptDebitNote(note.debitNoteId, { totalAmountAccepted: note.totalAmountDue, allocationId: allocation.allocationId })
    await debitNoteEvent(providerApi, 'DebitNoteAcceptedEvent', e => e.debitNoteId === note.debitNoteId)
    assert.equal(providerApi.debitNote(note.debitNoteId).status, 'ACCEPTED')
    await terminate(agreementId)
  })

  it('refuses accepting beyond the allocation, and nothing changes', async () => {
    const requesterApi = paymentOf(requester)
    const allocation = await requesterApi.createAllocation({ totalAmount: 1n })
    const { agreementId } = await agreementWithActivity()
    const received = await debitNoteEvent(requesterApi, 'DebitNoteReceivedEvent', e => requesterApi.debitNote(e.debitNoteId).agreementId === agreementId)
    const note = requesterApi.debitNote(received.debitNoteId)
    assert.ok(note.totalAmountDue > 1n)
    await assert.rejects(
      requesterApi.acceptDebitNote(note.debitNoteId, { totalAmountAccepted: note.totalAmountDue, allocationId: allocation.allocationId }),
      (err: unknown) => err instanceof PaymentError && err.code === 'Conflict'
    )
    assert.equal(requesterApi.debitNote(note.debitNoteId).status, 'RECEIVED')
    assert.equal(requesterApi.allocation(allocation.allocationId).spentAmount, 0n)
    assert.equal(
      (await requesterApi.deposits()).some(d => d.agreementIds.includes(agreementId)),
      false,
      'no deposit was opened'
    )
    await terminate(agreementId)
  })

  it('ends the agreement when a debit note is not accepted within the accept timeout, naming the note', async () => {
    const requesterApi = paymentOf(requester)
    const { agreementId } = await agreementWithActivity({ 'golem.com.payment.debit-notes.accept-timeout?': 1 })
    const received = await debitNoteEvent(requesterApi, 'DebitNoteReceivedEvent', e => requesterApi.debitNote(e.debitNoteId).agreementId === agreementId)
    const terminated = await agreementEvent(requester, e => e.eventType === 'AgreementTerminatedEvent' && e.agreementId === agreementId)
    assert.equal(terminated.terminator, 'Provider')
    assert.match(terminated.reason.message, new RegExp(`debit note ${received.debitNoteId} was not accepted within 1 s`))
    assert.equal(terminated.reason['agora.payment.unaccepted-debit-note'], received.debitNoteId)
    assert.equal(terminated.reason['golem.provider.code'], 'DebitNotesDeadline')
    assert.equal((await requester.client.agreement(agreementId)).state, 'Terminated')
    assert.ok(requesterApi.debitNote(received.debitNoteId).status === 'RECEIVED')
  })

  function ledgerOf(node: TestNode) {
    return (node.modules.find(m => m.name === 'payment') as PaymentModule).ledger
  }

  /** Deposits opened on chain for `agreementId`'s deposit id (as the requester's node sees it). */
  async function depositsOpened(agreementId: string): Promise<number> {
    const deposit = (await paymentOf(requester).deposits()).find(d => d.agreementIds.includes(agreementId))
    assert.ok(deposit !== undefined, 'the agreement has a deposit')
    return (await world.contracts.escrow.queryFilter(world.contracts.escrow.filters.DepositOpened(deposit.depositId))).length
  }

  async function restart(node: TestNode, bootstrap: TestNode): Promise<TestNode> {
    await node.stop()
    return await cluster.start({ ...options(), dataDir: node.dataDir, bootstrap: [bootstrap.addresses[0]!] })
  }

  it('an agreement whose price cannot be read has no payments, and its market and activity work as before', async () => {
    const { agreementId, activityId } = await agreementWithActivity({}, { 'golem.com.pricing.model.linear.coeffs': [-1, 0, 0] })
    assert.equal((await provider.client.agreement(agreementId)).state, 'Approved')
    await requester.client.expect(200, 'GET', `/activity-api/v1/activity/${activityId}/state`)
    await terminate(agreementId)
    assert.equal((await requester.client.agreement(agreementId)).state, 'Terminated')
    const documents = [...paymentOf(provider).debitNotes(), ...paymentOf(provider).invoices()].filter(d => d.agreementId === agreementId)
    assert.deepEqual(documents, [])
  })

  it('an acceptance with no proof, a short voucher or a forged one is refused for good and the note stays ISSUED', async () => {
    const requesterApi = paymentOf(requester)
    const providerApi = paymentOf(provider)
    const module = requester.modules.find(m => m.name === 'payment') as PaymentModule
    await requesterApi.createAllocation({ totalAmount: parseEther('50') })
    const { agreementId } = await agreementWithActivity()
    const received = await debitNoteEvent(requesterApi, 'DebitNoteReceivedEvent', e => requesterApi.debitNote(e.debitNoteId).agreementId === agreementId)
    const note = requesterApi.debitNote(received.debitNoteId)
    const market = (requester.modules.find(m => m.name === 'market') as MarketModule).market
    const record = market.agreementRecord(agreementId)!
    const terms = paymentTermsOf(
      {
        agreementId,
        role: 'Requestor',
        state: record.state,
        requestorId: record.terms.demand.requestorId,
        providerId: record.terms.offer.providerId,
        demandProperties: record.terms.demand.properties,
        offerProperties: record.terms.offer.properties,
        validTo: Date.parse(record.terms.validTo)
      },
      platform => (module.settlement.platforms.has(platform) ? module.settlement.platforms.resolve(platform).platform : undefined),
      { debitNoteIntervalMs: 1, acceptTimeoutMs: 1, paymentTimeoutMs: 3_600_000, settlement: 'escrow' }
    )!
    await module.settlement.requester.prepare(terms.settlement, parseEther('10'))
    const short = await module.settlement.requester.settleAccepted(terms.settlement, 'probe', note.totalAmountDue - 1n)
    assert.equal(short.kind, 'voucher')
    const signature = short.kind === 'voucher' ? short.voucher.signature : ''
    const forgedSignature = `${signature.slice(0, 10)}${signature[10] === '0' ? '1' : '0'}${signature.slice(11)}`
    const acceptance = { documentKind: 'debit-note', documentId: note.debitNoteId, agreementId, totalAmountAccepted: note.totalAmountDue.toString() }
    const attempts: Array<[string, unknown]> = [
      ['no proof', acceptance],
      ['a short voucher', { ...acceptance, proof: proofWire(short) }],
      [
        'a forged voucher',
        {
          ...acceptance,
          proof:
            short.kind === 'voucher'
              ? proofWire({ kind: 'voucher', voucher: { ...short.voucher, cumulative: note.totalAmountDue, signature: forgedSignature } })
              : undefined
        }
      ]
    ]
    for (const [what, payload] of attempts) {
      const dropped = new Promise<string>(resolve => {
        const listener = (event: CustomEvent<{ code: string }>): void => {
          module.outbox.outbox.removeEventListener('message:dropped', listener)
          resolve(event.detail.code)
        }
        module.outbox.outbox.addEventListener('message:dropped', listener)
      })
      await module.outbox.send(provider.nodeId, PAYMENT_MESSAGES.acceptance, payload)
      assert.ok(['Forbidden', 'BadRequest'].includes(await dropped), what)
      assert.equal(providerApi.debitNote(note.debitNoteId).status, 'ISSUED', what)
    }
    // Signed by another key than the sender's, or a note "issued" by the requester: refused for good, nothing stored.
    const fake = { ...note, debitNoteId: 'f'.repeat(32), totalAmountDue: '1', rejection: undefined }
    const { role: _role, status: _status, rejection: _rejection, ...wire } = fake
    const refusals: Array<[string, Promise<void>]> = [
      [
        'Forbidden',
        module.outbox.outbox
          .enqueue(provider.nodeId as never, PAYMENT_MESSAGES.acceptance, signEnvelope(NodeKey.random(), PAYMENT_MESSAGES.acceptance, attempts[1]![1]))
          .then(() => undefined)
      ],
      ['NotFound', module.outbox.send(provider.nodeId, PAYMENT_MESSAGES.debitNote, wire).then(() => undefined)]
    ]
    for (const [expected, sending] of refusals) {
      const dropped = new Promise<string>(resolve => {
        const listener = (event: CustomEvent<{ code: string }>): void => {
          module.outbox.outbox.removeEventListener('message:dropped', listener)
          resolve(event.detail.code)
        }
        module.outbox.outbox.addEventListener('message:dropped', listener)
      })
      await sending
      assert.equal(await dropped, expected)
    }
    assert.throws(
      () => providerApi.debitNote('f'.repeat(32)),
      (err: unknown) => err instanceof PaymentError && err.code === 'NotFound'
    )
    assert.equal(providerApi.debitNote(note.debitNoteId).status, 'ISSUED')
    await terminate(agreementId)
  })

  it('the provider stopped while an acceptance waits for it, and started again: it still verifies the voucher and is paid', async () => {
    const token = world.contracts.token
    const requesterApi = paymentOf(requester)
    const allocation = await requesterApi.createAllocation({ totalAmount: parseEther('50') })
    const { agreementId } = await agreementWithActivity()
    const received = await debitNoteEvent(requesterApi, 'DebitNoteReceivedEvent', e => requesterApi.debitNote(e.debitNoteId).agreementId === agreementId)
    const note = requesterApi.debitNote(received.debitNoteId)
    await provider.stop()
    await requesterApi.acceptDebitNote(note.debitNoteId, { totalAmountAccepted: note.totalAmountDue, allocationId: allocation.allocationId })
    provider = await cluster.start({ ...options(), dataDir: provider.dataDir, bootstrap: [requester.addresses[0]!] })
    const before: bigint = await token.balanceOf(provider.nodeId)
    const providerApi = paymentOf(provider)
    await debitNoteEvent(providerApi, 'DebitNoteAcceptedEvent', e => e.debitNoteId === note.debitNoteId)
    await terminate(agreementId)
    const invoiceReceived = await invoiceEvent(requesterApi, 'InvoiceReceivedEvent', e => requesterApi.invoice(e.invoiceId).agreementId === agreementId)
    const invoice = requesterApi.invoice(invoiceReceived.invoiceId)
    await requesterApi.acceptInvoice(invoice.invoiceId, { totalAmountAccepted: invoice.amount, allocationId: allocation.allocationId })
    await invoiceEvent(providerApi, 'InvoiceSettledEvent', e => e.invoiceId === invoice.invoiceId)
    assert.equal((await token.balanceOf(provider.nodeId)) - before, invoice.amount)
  })

  it('the requester stopped after writing an acceptance and before sending it, and started again: sent once, paid once', async () => {
    const token = world.contracts.token
    const allocation = await paymentOf(requester).createAllocation({ totalAmount: parseEther('50') })
    const { agreementId } = await agreementWithActivity()
    const received = await debitNoteEvent(
      paymentOf(requester),
      'DebitNoteReceivedEvent',
      e => paymentOf(requester).debitNote(e.debitNoteId).agreementId === agreementId
    )
    const note = paymentOf(requester).debitNote(received.debitNoteId)
    // The crash point: the acceptance is on disk, no proof is made and nothing is sent.
    await ledgerOf(requester).accept(note.debitNoteId, note.totalAmountDue, allocation.allocationId)
    requester = await restart(requester, provider)
    const requesterApi = paymentOf(requester)
    const providerApi = paymentOf(provider)
    const before: bigint = await token.balanceOf(provider.nodeId)
    await debitNoteEvent(providerApi, 'DebitNoteAcceptedEvent', e => e.debitNoteId === note.debitNoteId)
    assert.deepEqual(ledgerOf(requester).unsent(), [])
    // Accepting again with the same amount changes nothing and sends nothing.
    const outbox = (requester.modules.find(m => m.name === 'payment') as PaymentModule).outbox.outbox
    let queued = 0
    const count = (): void => {
      queued++
    }
    outbox.addEventListener('message:queued', count)
    await requesterApi.acceptDebitNote(note.debitNoteId, { totalAmountAccepted: note.totalAmountDue, allocationId: allocation.allocationId })
    outbox.removeEventListener('message:queued', count)
    assert.equal(queued, 0, 'nothing queued by the repeated acceptance')
    assert.equal(requesterApi.allocation(allocation.allocationId).spentAmount, note.totalAmountDue)

    await terminate(agreementId)
    const invoiceReceived = await invoiceEvent(requesterApi, 'InvoiceReceivedEvent', e => requesterApi.invoice(e.invoiceId).agreementId === agreementId)
    const invoice = requesterApi.invoice(invoiceReceived.invoiceId)
    await requesterApi.acceptInvoice(invoice.invoiceId, { totalAmountAccepted: invoice.amount, allocationId: allocation.allocationId })
    await invoiceEvent(providerApi, 'InvoiceSettledEvent', e => e.invoiceId === invoice.invoiceId)
    assert.equal((await token.balanceOf(provider.nodeId)) - before, invoice.amount, 'paid exactly the invoice')
    assert.equal(await depositsOpened(agreementId), 1, 'one deposit opened')
    const accepted = (await providerApi.debitNoteEvents({ timeoutMs: 0, maxEvents: 10_000 })).filter(
      e => e.debitNoteId === note.debitNoteId && e.eventType === 'DebitNoteAcceptedEvent'
    )
    assert.equal(accepted.length, 1, 'accepted once at the provider')
  })

  it('direct settlement: accepted notes and the invoice are paid in batches, verified on chain by the provider and SETTLED', async () => {
    const token = world.contracts.token
    const requesterApi = paymentOf(requester)
    const providerApi = paymentOf(provider)
    const before: bigint = await token.balanceOf(provider.nodeId)
    const allocation = await requesterApi.createAllocation({ totalAmount: parseEther('50') })
    const { agreementId } = await agreementWithActivity({ 'agora.com.payment.settlement': 'direct' })
    const received = await debitNoteEvent(requesterApi, 'DebitNoteReceivedEvent', e => requesterApi.debitNote(e.debitNoteId).agreementId === agreementId)
    const note = requesterApi.debitNote(received.debitNoteId)
    await requesterApi.acceptDebitNote(note.debitNoteId, { totalAmountAccepted: note.totalAmountDue, allocationId: allocation.allocationId })
    await debitNoteEvent(providerApi, 'DebitNoteSettledEvent', e => e.debitNoteId === note.debitNoteId)
    assert.equal((await token.balanceOf(provider.nodeId)) - before, note.totalAmountDue)
    assert.equal(
      (await requesterApi.deposits()).some(d => d.agreementIds.includes(agreementId)),
      false,
      'no escrow deposit'
    )
    await terminate(agreementId)
    const invoiceReceived = await invoiceEvent(requesterApi, 'InvoiceReceivedEvent', e => requesterApi.invoice(e.invoiceId).agreementId === agreementId)
    const invoice = requesterApi.invoice(invoiceReceived.invoiceId)
    await requesterApi.acceptInvoice(invoice.invoiceId, { totalAmountAccepted: invoice.amount, allocationId: allocation.allocationId })
    await invoiceEvent(providerApi, 'InvoiceSettledEvent', e => e.invoiceId === invoice.invoiceId)
    assert.equal((await token.balanceOf(provider.nodeId)) - before, invoice.amount, 'paid the invoice in all, the note once')
    // The payer knows its own payments and their transactions, as the payee does.
    await invoiceEvent(requesterApi, 'InvoiceSettledEvent', e => e.invoiceId === invoice.invoiceId)
    const paid = requesterApi.paymentsOfInvoice(invoice.invoiceId)
    const providerPaid = providerApi.paymentsOfInvoice(invoice.invoiceId)
    assert.ok(paid.length > 0, 'the requester lists the payments it made')
    assert.deepEqual(
      paid.map(p => [p.details, p.amount]),
      providerPaid.map(p => [p.details, p.amount])
    )
    assert.equal(
      paid.reduce((sum, p) => sum + p.amount, 0n),
      invoice.amount
    )
    for (const p of paid) assert.match(p.details, /^0x[0-9a-f]{64}$/)
  })

  it('a note accepted and claimed, then an invoice of the same amount: the invoice is SETTLED by the claim already made', async () => {
    const requesterApi = paymentOf(requester)
    const providerApi = paymentOf(provider)
    const allocation = await requesterApi.createAllocation({ totalAmount: parseEther('50'), paymentPlatform: PLATFORM })
    // A start price only: the first note's amount is the whole agreement's, so the invoice adds nothing to it.
    const { agreementId } = await agreementWithActivity({}, { 'golem.com.pricing.model.linear.coeffs': [0, 0, 0.5] })
    const received = await debitNoteEvent(requesterApi, 'DebitNoteReceivedEvent', e => requesterApi.debitNote(e.debitNoteId).agreementId === agreementId)
    const note = requesterApi.debitNote(received.debitNoteId)
    await requesterApi.acceptDebitNote(note.debitNoteId, { totalAmountAccepted: note.totalAmountDue, allocationId: allocation.allocationId })
    await debitNoteEvent(providerApi, 'DebitNoteAcceptedEvent', e => e.debitNoteId === note.debitNoteId)
    const outcome = await providerApi.claim({ all: true })
    assert.ok(outcome.amount >= note.totalAmountDue, 'the note is claimed (with what earlier agreements left unclaimed)')
    await debitNoteEvent(providerApi, 'DebitNoteSettledEvent', e => e.debitNoteId === note.debitNoteId)

    await terminate(agreementId)
    const invoiceReceived = await invoiceEvent(requesterApi, 'InvoiceReceivedEvent', e => requesterApi.invoice(e.invoiceId).agreementId === agreementId)
    const invoice = requesterApi.invoice(invoiceReceived.invoiceId)
    assert.equal(invoice.amount, note.totalAmountDue)
    await requesterApi.acceptInvoice(invoice.invoiceId, { totalAmountAccepted: invoice.amount, allocationId: allocation.allocationId })
    await invoiceEvent(providerApi, 'InvoiceSettledEvent', e => e.invoiceId === invoice.invoiceId)
    assert.equal(providerApi.invoice(invoice.invoiceId).status, 'SETTLED')
    await invoiceEvent(requesterApi, 'InvoiceSettledEvent', e => e.invoiceId === invoice.invoiceId)
    assert.equal(requesterApi.invoice(invoice.invoiceId).status, 'SETTLED')
  })

  it('two agreements under one allocation whose wallet holds just its budget: both deposits open, sharing the budget', async () => {
    // From the provider as it runs now: earlier tests restarted it on another port.
    const renter = await cluster.start({ ...options(), bootstrap: [provider.addresses[0]!] })
    await fund(renter.nodeId, '10')
    const renterApi = paymentOf(renter)
    const providerApi = paymentOf(provider)
    const allocation = await renterApi.createAllocation({ totalAmount: parseEther('10'), paymentPlatform: PLATFORM })
    const first = await agreementWithActivity({}, {}, renter)
    const second = await agreementWithActivity({}, {}, renter)
    for (const { agreementId } of [first, second]) {
      const received = await debitNoteEvent(renterApi, 'DebitNoteReceivedEvent', e => renterApi.debitNote(e.debitNoteId).agreementId === agreementId)
      const note = renterApi.debitNote(received.debitNoteId)
      await renterApi.acceptDebitNote(note.debitNoteId, { totalAmountAccepted: note.totalAmountDue, allocationId: allocation.allocationId })
      await debitNoteEvent(providerApi, 'DebitNoteAcceptedEvent', e => e.debitNoteId === note.debitNoteId)
    }
    const deposits = (await renterApi.deposits()).filter(d => d.agreementIds.some(id => id === first.agreementId || id === second.agreementId))
    assert.equal(deposits.length, 2)
    const locked = deposits.reduce((sum, d) => sum + d.amount, 0n)
    assert.ok(locked <= parseEther('10'), `the deposits lock ${locked}, more than the allocation's budget`)
    for (const d of deposits) assert.ok(d.amount > d.voucherCumulative, 'each deposit keeps room for its next notes')
    await terminate(first.agreementId, renter)
    await terminate(second.agreementId, renter)
  })

  it('an invoice mandate answers the invoice of a client gone: the provider, down at the termination, is paid it when it is back', async () => {
    const token = world.contracts.token
    const requesterApi = paymentOf(requester)
    const allocation = await requesterApi.createAllocation({ totalAmount: parseEther('50'), paymentPlatform: PLATFORM })
    const { agreementId } = await agreementWithActivity()
    const received = await debitNoteEvent(requesterApi, 'DebitNoteReceivedEvent', e => requesterApi.debitNote(e.debitNoteId).agreementId === agreementId)
    const note = requesterApi.debitNote(received.debitNoteId)
    await requesterApi.acceptDebitNote(note.debitNoteId, { totalAmountAccepted: note.totalAmountDue, allocationId: allocation.allocationId })
    await debitNoteEvent(paymentOf(provider), 'DebitNoteAcceptedEvent', e => e.debitNoteId === note.debitNoteId)
    const body = { agreementId, maxAmount: formatAmount(note.totalAmountDue + parseEther('1')), allocationId: allocation.allocationId }
    // Not terminated yet: its usage could still grow. Refused, and nothing changes.
    await requester.client.expect(409, 'POST', '/agora-api/v1/payment/invoice-mandates', body)
    await requester.client.expect(404, 'GET', `/agora-api/v1/payment/invoice-mandates/${agreementId}`)
    assert.equal(requesterApi.allocation(allocation.allocationId).totalAmount, parseEther('50'))

    await provider.stop()
    await terminate(agreementId)
    const expiresAt = new Date(Date.now() + 600_000).toISOString()
    const created = await requester.client.expect<any>(201, 'POST', '/agora-api/v1/payment/invoice-mandates', { ...body, expiresAt })
    assert.equal(created.maxAmount, body.maxAmount)
    assert.equal(created.sourceAllocationId, allocation.allocationId)
    assert.equal(created.expiresAt, expiresAt)
    assert.equal(created.outcome, undefined, 'no invoice yet')
    assert.equal(requesterApi.allocation(allocation.allocationId).totalAmount, parseEther('49'), 'what the invoice may add is carved out')
    assert.equal(requesterApi.allocation(created.allocationId).totalAmount, parseEther('1'))
    // The same mandate again changes nothing.
    const again = await requester.client.expect<any>(201, 'POST', '/agora-api/v1/payment/invoice-mandates', { ...body, expiresAt })
    assert.equal(again.allocationId, created.allocationId)
    // The client goes, releasing its allocation: the mandate's stays.
    await requesterApi.releaseAllocation(allocation.allocationId)

    provider = await cluster.start({ ...options(), dataDir: provider.dataDir, bootstrap: [requester.addresses[0]!] })
    const providerApi = paymentOf(provider)
    const before: bigint = await token.balanceOf(provider.nodeId)
    const accepted = await invoiceEvent(requesterApi, 'InvoiceAcceptedEvent', e => requesterApi.invoice(e.invoiceId).agreementId === agreementId)
    const invoice = requesterApi.invoice(accepted.invoiceId)
    assert.ok(invoice.amount >= note.totalAmountDue && invoice.amount <= note.totalAmountDue + parseEther('1'))
    await invoiceEvent(providerApi, 'InvoiceSettledEvent', e => e.invoiceId === invoice.invoiceId)
    assert.equal((await token.balanceOf(provider.nodeId)) - before, invoice.amount, 'paid exactly the invoice')
    const answered = await requester.client.expect<any>(200, 'GET', `/agora-api/v1/payment/invoice-mandates/${agreementId}`)
    assert.equal(answered.outcome.answer, 'accepted')
    assert.equal(answered.outcome.invoiceId, invoice.invoiceId)
    // What the invoice left of the mandate's allocation is free again.
    await requester.client.expect(410, 'GET', `/payment-api/v1/allocations/${created.allocationId}`)
  })

  it('an invoice mandate below what the invoice asks rejects it at once, saying what it accepts; refused mandates change nothing', async () => {
    const requesterApi = paymentOf(requester)
    const providerApi = paymentOf(provider)
    const allocation = await requesterApi.createAllocation({ totalAmount: parseEther('50'), paymentPlatform: PLATFORM })
    const { agreementId } = await agreementWithActivity()
    await terminate(agreementId)
    const received = await invoiceEvent(requesterApi, 'InvoiceReceivedEvent', e => requesterApi.invoice(e.invoiceId).agreementId === agreementId)
    const invoice = requesterApi.invoice(received.invoiceId)
    assert.ok(invoice.amount > 1n)
    const refused = (code: string) => (err: unknown) => err instanceof PaymentError && err.code === code
    const mandate = { agreementId, maxAmount: 1n, allocationId: allocation.allocationId }
    await assert.rejects(requesterApi.createInvoiceMandate({ ...mandate, allocationId: 'no-such-allocation' }), refused('NotFound'))
    await assert.rejects(requesterApi.createInvoiceMandate({ ...mandate, agreementId: 'no-such-agreement' }), refused('NotFound'))
    await assert.rejects(requesterApi.createInvoiceMandate({ ...mandate, maxAmount: -1n }), refused('BadRequest'))
    await assert.rejects(requesterApi.createInvoiceMandate({ ...mandate, expiresAt: Date.now() - 1 }), refused('BadRequest'))
    await requester.client.expect(400, 'POST', '/agora-api/v1/payment/invoice-mandates', { ...mandate, maxAmount: '0.1.2' })
    await requester.client.expect(400, 'POST', '/agora-api/v1/payment/invoice-mandates', { ...mandate, maxAmount: '1', extra: true })
    assert.equal(requesterApi.allocation(allocation.allocationId).totalAmount, parseEther('50'))
    assert.equal(requesterApi.invoice(invoice.invoiceId).status, 'RECEIVED')

    const made = await requesterApi.createInvoiceMandate(mandate)
    assert.equal(made.outcome?.answer, 'rejected', 'the invoice was here: answered at once')
    assert.equal(requesterApi.invoice(invoice.invoiceId).status, 'REJECTED')
    const rejected = await invoiceEvent(providerApi, 'InvoiceRejectedEvent', e => e.invoiceId === invoice.invoiceId)
    assert.equal(rejected.rejection?.rejectionReason, 'INCORRECT_AMOUNT')
    assert.equal(rejected.rejection?.totalAmountAccepted, 1n)
    assert.match(rejected.rejection?.message ?? '', /mandate .* accepts at most 1$/)
    assert.equal(requesterApi.allocation(allocation.allocationId).totalAmount, parseEther('50') - 1n)
    assert.throws(() => requesterApi.allocation(made.allocationId), refused('Gone'))
    // Answered: another mandate has nothing left to answer.
    await assert.rejects(requesterApi.createInvoiceMandate({ ...mandate, maxAmount: invoice.amount }), refused('Conflict'))
  })

  it('the requester stopped after accepting an invoice under its mandate and before recording it: the mandate shows it after a start, and the provider is paid once', async () => {
    const token = world.contracts.token
    const allocation = await paymentOf(requester).createAllocation({ totalAmount: parseEther('50'), paymentPlatform: PLATFORM })
    const { agreementId } = await agreementWithActivity()
    await terminate(agreementId)
    const received = await invoiceEvent(
      paymentOf(requester),
      'InvoiceReceivedEvent',
      e => paymentOf(requester).invoice(e.invoiceId).agreementId === agreementId
    )
    const invoice = paymentOf(requester).invoice(received.invoiceId)
    // The crash point: the mandate and the acceptance from its allocation are on disk, nothing more.
    const { mandate } = await ledgerOf(requester).createMandate({
      agreementId,
      maxAmount: invoice.amount,
      allocationId: 'mandate-after-crash',
      sourceAllocationId: allocation.allocationId,
      paymentPlatform: invoice.paymentPlatform,
      expiresAt: Date.now() + 600_000
    })
    await ledgerOf(requester).accept(invoice.invoiceId, invoice.amount, mandate.allocationId)
    requester = await restart(requester, provider)
    const before: bigint = await token.balanceOf(provider.nodeId)
    await invoiceEvent(paymentOf(provider), 'InvoiceSettledEvent', e => e.invoiceId === invoice.invoiceId)
    assert.equal((await token.balanceOf(provider.nodeId)) - before, invoice.amount, 'paid exactly the invoice')
    assert.equal(paymentOf(requester).invoiceMandate(agreementId).outcome?.answer, 'accepted')
    const accepted = (await paymentOf(provider).invoiceEvents({ timeoutMs: 0, maxEvents: 10_000 })).filter(
      e => e.invoiceId === invoice.invoiceId && e.eventType === 'InvoiceAcceptedEvent'
    )
    assert.equal(accepted.length, 1, 'accepted once at the provider')
  })

  it('the requester gone for good after accepting: the provider still claims its voucher', async () => {
    const token = world.contracts.token
    const requesterApi = paymentOf(requester)
    const providerApi = paymentOf(provider)
    const allocation = await requesterApi.createAllocation({ totalAmount: parseEther('50') })
    const { agreementId } = await agreementWithActivity()
    const received = await debitNoteEvent(requesterApi, 'DebitNoteReceivedEvent', e => requesterApi.debitNote(e.debitNoteId).agreementId === agreementId)
    const note = requesterApi.debitNote(received.debitNoteId)
    await requesterApi.acceptDebitNote(note.debitNoteId, { totalAmountAccepted: note.totalAmountDue, allocationId: allocation.allocationId })
    await debitNoteEvent(providerApi, 'DebitNoteAcceptedEvent', e => e.debitNoteId === note.debitNoteId)
    await requester.stop()
    const before: bigint = await token.balanceOf(provider.nodeId)
    const outcome = await providerApi.claim({ all: true })
    assert.ok(outcome.txHash !== undefined)
    await debitNoteEvent(providerApi, 'DebitNoteSettledEvent', e => e.debitNoteId === note.debitNoteId)
    assert.equal(providerApi.debitNote(note.debitNoteId).status, 'SETTLED')
    assert.ok((await token.balanceOf(provider.nodeId)) - before >= note.totalAmountDue)
  })
})

/** The requester's next agreement event that matches (Market API long polls). */
async function agreementEvent(node: TestNode, test: (event: any) => boolean): Promise<any> {
  let after: string | undefined
  const deadline = Date.now() + WAIT_MS
  while (Date.now() < deadline) {
    const query = after === undefined ? '' : `&afterTimestamp=${encodeURIComponent(after)}`
    const events = await node.client.expect<any[]>(200, 'GET', `/market-api/v1/agreementEvents?timeout=5${query}`)
    const found = events.find(test)
    if (found !== undefined) return found
    if (events.length > 0) after = events.at(-1).eventDate
  }
  throw new Error('no such agreement event in time')
}
