// A PaymentApi held in memory, for testing the REST layer on its own: it keeps
// allocations, documents and events as the payment module's contract says
// (amounts checked against the allocation, events strictly after a time,
// waits that end on an event, their timeout or their signal), and records
// every call that reaches it, so a test can tell that a refused request
// changed nothing.
import { PaymentError } from '../../payment/index.ts'
import type {
  Account,
  Acceptance,
  Allocation,
  AllocationUpdate,
  ClaimOutcome,
  DebitNote,
  DebitNoteEvent,
  DemandDecoration,
  DepositView,
  EventQuery,
  Invoice,
  InvoiceEvent,
  ListFilter,
  NewAllocation,
  Payment,
  PaymentApi,
  PaymentRole,
  PaymentStatus,
  Rejection
} from '../../payment/index.ts'

export const MEMORY_PLATFORM = 'erc20-dev-agt'
export const MEMORY_ADDRESS = '0x00000000000000000000000000000000000000aa'
const FUNDS = 100n * 10n ** 18n

interface Waiter {
  wake: () => void
}

export class MemoryPaymentApi implements PaymentApi {
  /** Every call that reached this api, by method name. */
  readonly calls: string[] = []
  /** The signals of the waits begun, to tell when they were ended. */
  readonly waits: AbortSignal[] = []
  readonly allocationsById = new Map<string, Allocation & { released?: boolean }>()
  readonly debitNotesById = new Map<string, DebitNote>()
  readonly invoicesById = new Map<string, Invoice>()
  readonly paymentsById = new Map<string, Payment>()
  readonly debitNoteEventLog: DebitNoteEvent[] = []
  readonly invoiceEventLog: InvoiceEvent[] = []
  readonly depositViews: DepositView[] = []
  #waiters = new Set<Waiter>()
  #lastEventDate = 0
  #nextId = 1
  #now: () => number

  constructor(now: () => number = Date.now) {
    this.#now = now
  }

  #called(name: string): void {
    this.calls.push(name)
  }

  /** Adds an event with a date strictly after every earlier one, and wakes the waits. */
  addDebitNoteEvent(event: Omit<DebitNoteEvent, 'eventDate'>): DebitNoteEvent {
    const added = { ...event, eventDate: this.#eventDate() }
    this.debitNoteEventLog.push(added)
    this.#wake()
    return added
  }

  addInvoiceEvent(event: Omit<InvoiceEvent, 'eventDate'>): InvoiceEvent {
    const added = { ...event, eventDate: this.#eventDate() }
    this.invoiceEventLog.push(added)
    this.#wake()
    return added
  }

  #eventDate(): number {
    this.#lastEventDate = Math.max(this.#now(), this.#lastEventDate + 1)
    return this.#lastEventDate
  }

  #wake(): void {
    for (const waiter of this.#waiters) waiter.wake()
  }

  async createAllocation(input: NewAllocation): Promise<Allocation> {
    this.#called('createAllocation')
    const platform = input.paymentPlatform ?? MEMORY_PLATFORM
    if (platform !== MEMORY_PLATFORM && platform !== 'erc20-holesky-tglm') throw new PaymentError('NotFound', `no payment platform ${platform} on this node`)
    if (input.address !== undefined && input.address !== MEMORY_ADDRESS) throw new PaymentError('BadRequest', `address ${input.address} is not this node's`)
    const held = [...this.allocationsById.values()].filter(a => a.released !== true).reduce((sum, a) => sum + a.remainingAmount, 0n)
    if (input.totalAmount > FUNDS - held) throw new PaymentError('Conflict', 'the balance does not cover the allocation')
    const allocation: Allocation = {
      allocationId: `alloc${this.#nextId++}`,
      address: MEMORY_ADDRESS,
      paymentPlatform: MEMORY_PLATFORM,
      totalAmount: input.totalAmount,
      spentAmount: 0n,
      remainingAmount: input.totalAmount,
      timestamp: this.#now(),
      ...(input.timeout === undefined ? {} : { timeout: input.timeout }),
      makeDeposit: input.makeDeposit ?? false
    }
    this.allocationsById.set(allocation.allocationId, allocation)
    return allocation
  }

  #live(allocationId: string): Allocation {
    const allocation = this.allocationsById.get(allocationId)
    if (allocation === undefined) throw new PaymentError('NotFound', `no allocation ${allocationId}`)
    if (allocation.released === true) throw new PaymentError('Gone', `allocation ${allocationId} is released`)
    return allocation
  }

  allocation(allocationId: string): Allocation {
    this.#called('allocation')
    return this.#live(allocationId)
  }

  allocations(): Allocation[] {
    this.#called('allocations')
    return [...this.allocationsById.values()].filter(a => a.released !== true)
  }

  async amendAllocation(allocationId: string, update: AllocationUpdate): Promise<Allocation> {
    this.#called('amendAllocation')
    const allocation = this.#live(allocationId)
    const totalAmount = update.totalAmount ?? allocation.totalAmount
    if (totalAmount < allocation.spentAmount) throw new PaymentError('Conflict', 'below what was spent')
    const amended = {
      ...allocation,
      totalAmount,
      remainingAmount: totalAmount - allocation.spentAmount,
      ...(update.timeout === undefined ? {} : { timeout: update.timeout })
    }
    this.allocationsById.set(allocationId, amended)
    return amended
  }

  async releaseAllocation(allocationId: string): Promise<void> {
    this.#called('releaseAllocation')
    const allocation = this.#live(allocationId)
    this.allocationsById.set(allocationId, { ...allocation, released: true })
  }

  demandDecoration(allocationIds: readonly string[]): DemandDecoration {
    this.#called('demandDecoration')
    for (const id of allocationIds) this.#live(id)
    const property = `golem.com.payment.platform.${MEMORY_PLATFORM}.address`
    return { properties: { [property]: MEMORY_ADDRESS, 'golem.com.payment.chosen-platform': MEMORY_PLATFORM }, constraints: [`(${property}=*)`] }
  }

  debitNote(debitNoteId: string): DebitNote {
    this.#called('debitNote')
    const note = this.debitNotesById.get(debitNoteId)
    if (note === undefined) throw new PaymentError('NotFound', `no debit note ${debitNoteId}`)
    return note
  }

  debitNotes(filter: ListFilter = {}): DebitNote[] {
    this.#called('debitNotes')
    return listed([...this.debitNotesById.values()], filter)
  }

  async debitNoteEvents(query: EventQuery): Promise<DebitNoteEvent[]> {
    this.#called('debitNoteEvents')
    return await this.#wait(() => this.debitNoteEventLog, query)
  }

  #accept<T extends DebitNote | Invoice>(document: T, due: bigint, acceptance: Acceptance): T {
    if (document.role !== 'Requestor') throw new PaymentError('Forbidden', 'only the requester accepts a document')
    if (document.status !== 'RECEIVED') throw new PaymentError('Conflict', `the document is ${document.status}`)
    if (acceptance.totalAmountAccepted !== due) throw new PaymentError('BadRequest', 'totalAmountAccepted must be the amount due')
    const allocation = this.#live(acceptance.allocationId)
    if (due > allocation.remainingAmount) throw new PaymentError('Conflict', `the allocation holds ${allocation.remainingAmount} base units, less than ${due}`)
    this.allocationsById.set(allocation.allocationId, {
      ...allocation,
      spentAmount: allocation.spentAmount + due,
      remainingAmount: allocation.remainingAmount - due
    })
    return { ...document, status: 'ACCEPTED' }
  }

  async acceptDebitNote(debitNoteId: string, acceptance: Acceptance): Promise<void> {
    this.#called('acceptDebitNote')
    const note = this.debitNote(debitNoteId)
    this.debitNotesById.set(debitNoteId, this.#accept(note, note.totalAmountDue, acceptance))
    this.addDebitNoteEvent({ eventType: 'DebitNoteAcceptedEvent', debitNoteId })
  }

  async rejectDebitNote(debitNoteId: string, rejection: Rejection): Promise<void> {
    this.#called('rejectDebitNote')
    const note = this.debitNote(debitNoteId)
    this.debitNotesById.set(debitNoteId, { ...note, status: 'REJECTED', rejection })
    this.addDebitNoteEvent({ eventType: 'DebitNoteRejectedEvent', debitNoteId, rejection })
  }

  invoice(invoiceId: string): Invoice {
    this.#called('invoice')
    const invoice = this.invoicesById.get(invoiceId)
    if (invoice === undefined) throw new PaymentError('NotFound', `no invoice ${invoiceId}`)
    return invoice
  }

  invoices(filter: ListFilter = {}): Invoice[] {
    this.#called('invoices')
    return listed([...this.invoicesById.values()], filter)
  }

  async invoiceEvents(query: EventQuery): Promise<InvoiceEvent[]> {
    this.#called('invoiceEvents')
    return await this.#wait(() => this.invoiceEventLog, query)
  }

  async acceptInvoice(invoiceId: string, acceptance: Acceptance): Promise<void> {
    this.#called('acceptInvoice')
    const invoice = this.invoice(invoiceId)
    this.invoicesById.set(invoiceId, this.#accept(invoice, invoice.amount, acceptance))
    this.addInvoiceEvent({ eventType: 'InvoiceAcceptedEvent', invoiceId })
  }

  async rejectInvoice(invoiceId: string, rejection: Rejection): Promise<void> {
    this.#called('rejectInvoice')
    const invoice = this.invoice(invoiceId)
    this.invoicesById.set(invoiceId, { ...invoice, status: 'REJECTED', rejection })
    this.addInvoiceEvent({ eventType: 'InvoiceRejectedEvent', invoiceId, rejection })
  }

  payments(filter: ListFilter & { readonly role?: PaymentRole } = {}): Payment[] {
    this.#called('payments')
    return listed([...this.paymentsById.values()], filter)
  }

  payment(paymentId: string): Payment {
    this.#called('payment')
    const payment = this.paymentsById.get(paymentId)
    if (payment === undefined) throw new PaymentError('NotFound', `no payment ${paymentId}`)
    return payment
  }

  paymentsOfDebitNote(debitNoteId: string): Payment[] {
    this.#called('paymentsOfDebitNote')
    const note = this.debitNote(debitNoteId)
    return [...this.paymentsById.values()].filter(payment => payment.activityPayments.some(share => share.activityId === note.activityId))
  }

  paymentsOfInvoice(invoiceId: string): Payment[] {
    this.#called('paymentsOfInvoice')
    const invoice = this.invoice(invoiceId)
    return [...this.paymentsById.values()].filter(payment => payment.agreementPayments.some(share => share.agreementId === invoice.agreementId))
  }

  accounts(role: PaymentRole): Account[] {
    this.#called('accounts')
    return [
      {
        platform: MEMORY_PLATFORM,
        address: MEMORY_ADDRESS,
        driver: 'erc20',
        network: 'dev',
        token: 'agt',
        send: role === 'Requestor',
        receive: role === 'Provider'
      }
    ]
  }

  async status(query: { readonly platform?: string; readonly address?: string }): Promise<PaymentStatus> {
    this.#called('status')
    if (query.platform !== undefined && query.platform !== MEMORY_PLATFORM)
      throw new PaymentError('NotFound', `no payment platform ${query.platform} on this node`)
    const zero = { accepted: 0n, confirmed: 0n, requested: 0n }
    return {
      amount: FUNDS,
      reserved: 0n,
      outgoing: zero,
      incoming: zero,
      driver: 'erc20',
      network: 'dev',
      token: 'agt',
      tokenBalance: FUNDS,
      gasBalance: 10n ** 18n
    }
  }

  async deposits(): Promise<DepositView[]> {
    this.#called('deposits')
    return this.depositViews
  }

  async claim(options: { readonly depositIds?: readonly string[]; readonly all?: boolean }): Promise<ClaimOutcome> {
    this.#called('claim')
    const known = new Set(this.depositViews.map(deposit => deposit.depositId))
    for (const id of options.depositIds ?? []) if (!known.has(id)) throw new PaymentError('NotFound', `no deposit ${id}`)
    return { depositIds: options.depositIds ?? [], amount: 0n }
  }

  async fund(options: { readonly platform?: string }): Promise<{ readonly token: bigint; readonly gas: bigint; readonly txHashes: readonly string[] }> {
    this.#called('fund')
    if (options.platform !== undefined && options.platform !== MEMORY_PLATFORM) throw new PaymentError('NotFound', `no payment platform ${options.platform}`)
    return { token: 1000n * 10n ** 18n, gas: 10n ** 18n, txHashes: [`0x${'ab'.repeat(32)}`] }
  }

  /** Events strictly after the query's time, in its app session; waits for a first one up to the timeout or the signal. */
  async #wait<E extends { eventDate: number; appSessionId?: string }>(log: () => E[], query: EventQuery): Promise<E[]> {
    const matching = (): E[] =>
      log()
        .filter(
          event =>
            (query.afterTimestamp === undefined || event.eventDate > query.afterTimestamp) &&
            (query.appSessionId === undefined || event.appSessionId === query.appSessionId)
        )
        .slice(0, query.maxEvents)
    const now = matching()
    if (now.length > 0 || query.timeoutMs === 0) return now
    if (query.signal !== undefined) this.waits.push(query.signal)
    return await new Promise<E[]>(resolve => {
      const done = (): void => {
        clearTimeout(timer)
        this.#waiters.delete(waiter)
        query.signal?.removeEventListener('abort', done)
        resolve(matching())
      }
      const waiter: Waiter = {
        wake: () => {
          if (matching().length > 0) done()
        }
      }
      const timer = setTimeout(done, query.timeoutMs)
      this.#waiters.add(waiter)
      query.signal?.addEventListener('abort', done, { once: true })
      if (query.signal?.aborted === true) done()
    })
  }
}

function listed<T extends { timestamp: number }>(records: T[], filter: ListFilter): T[] {
  return records.filter(record => filter.afterTimestamp === undefined || record.timestamp > filter.afterTimestamp).slice(0, filter.maxItems ?? records.length)
}
