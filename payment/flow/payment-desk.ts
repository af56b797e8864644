// PaymentApi over the ledger, both sides of the flow and the settlement: what
// the REST routes and the CLI call. Every input is checked before anything
// changes.
import { randomBytes } from 'node:crypto'
import { PaymentError } from '../model/payment-error.ts'
import type {
  Account,
  Allocation,
  AllocationUpdate,
  DebitNote,
  DebitNoteEvent,
  DepositView,
  Invoice,
  InvoiceEvent,
  InvoiceMandate,
  IssuedEvent,
  NewAllocation,
  NewInvoiceMandate,
  Payment,
  PaymentRole,
  PaymentStatus,
  Rejection
} from '../model/documents.ts'
import type { Acceptance, ClaimOutcome, DemandDecoration, EventQuery, ListFilter, PaymentApi } from '../model/payment-api.ts'
import { debitNoteOf, invoiceOf } from '../ledger/index.ts'
import type { Ledger } from '../ledger/index.ts'
import type { SettlementService } from '../settlement/settlement.ts'
import type { Clock } from '../../net/index.ts'
import type { RequesterFlow } from './requester-flow.ts'

export interface PaymentDeskComponents {
  readonly ledger: Ledger
  readonly requester: RequesterFlow
  readonly settlement: SettlementService
  readonly clock: Clock
  /** This node's address (lower case): it pays and is paid there. */
  readonly address: string
  /** The platform an allocation without one is made on (a name or alias), if any. */
  readonly defaultPlatform?: string | undefined
  readonly allocationTimeoutMs: number
}

const ALLOCATION_ID = /^[A-Za-z0-9_-]{1,128}$/

export class PaymentDesk implements PaymentApi {
  readonly #c: PaymentDeskComponents

  constructor(components: PaymentDeskComponents) {
    this.#c = components
  }

  // ---- allocations ----

  async createAllocation(input: NewAllocation): Promise<Allocation> {
    const platform = this.#platform(input.paymentPlatform)
    const address = this.#ownAddress(input.address)
    if (input.totalAmount < 0n) throw new PaymentError('BadRequest', 'totalAmount must not be negative')
    const now = this.#c.clock.now()
    const timeout = input.timeout ?? now + this.#c.allocationTimeoutMs
    if (!Number.isSafeInteger(timeout) || timeout <= now) throw new PaymentError('BadRequest', 'timeout must be a time in the future')
    const { token } = await this.#c.settlement.balances(platform, address)
    return await this.#c.ledger.createAllocation({
      allocationId: randomBytes(16).toString('hex'),
      paymentPlatform: platform,
      address,
      totalAmount: input.totalAmount,
      timeout,
      makeDeposit: input.makeDeposit ?? false,
      balance: token
    })
  }

  allocation(allocationId: string): Allocation {
    return this.#c.ledger.allocations.get(checkedId(allocationId))
  }

  allocations(filter: ListFilter = {}): Allocation[] {
    return this.#c.ledger.allocations.list(filter)
  }

  async amendAllocation(allocationId: string, update: AllocationUpdate): Promise<Allocation> {
    const current = this.allocation(allocationId)
    if (update.totalAmount !== undefined && update.totalAmount < 0n) throw new PaymentError('BadRequest', 'totalAmount must not be negative')
    return await this.#c.ledger.amendAllocation(
      allocationId,
      update,
      async () => (await this.#c.settlement.balances(current.paymentPlatform, current.address)).token
    )
  }

  async releaseAllocation(allocationId: string): Promise<void> {
    await this.#c.ledger.releaseAllocation(checkedId(allocationId))
  }

  demandDecoration(allocationIds: readonly string[]): DemandDecoration {
    const properties: Record<string, string> = {}
    const constraints: string[] = []
    for (const id of allocationIds) {
      const allocation = this.allocation(id)
      const key = `golem.com.payment.platform.${allocation.paymentPlatform}.address`
      if (properties[key] !== undefined) continue
      properties[key] = allocation.address
      constraints.push(`(${key}=*)`)
    }
    return { properties, constraints }
  }

  // ---- documents ----

  debitNote(debitNoteId: string): DebitNote {
    return debitNoteOf(this.#c.ledger.documents.debitNoteRecord(checkedId(debitNoteId)))
  }

  debitNotes(filter: ListFilter = {}): DebitNote[] {
    return this.#c.ledger.documents.debitNotes(filter)
  }

  async debitNoteEvents(query: EventQuery): Promise<DebitNoteEvent[]> {
    return await this.#c.ledger.events.debitNoteEvents(query)
  }

  async acceptDebitNote(debitNoteId: string, acceptance: Acceptance): Promise<void> {
    await this.#c.requester.accept(checkedId(debitNoteId), 'debit-note', acceptance)
  }

  async rejectDebitNote(debitNoteId: string, rejection: Rejection): Promise<void> {
    await this.#c.requester.reject(checkedId(debitNoteId), 'debit-note', rejection)
  }

  invoice(invoiceId: string): Invoice {
    return invoiceOf(this.#c.ledger.documents.invoiceRecord(checkedId(invoiceId)))
  }

  invoices(filter: ListFilter = {}): Invoice[] {
    return this.#c.ledger.documents.invoices(filter)
  }

  async invoiceEvents(query: EventQuery): Promise<InvoiceEvent[]> {
    return await this.#c.ledger.events.invoiceEvents(query)
  }

  async acceptInvoice(invoiceId: string, acceptance: Acceptance): Promise<void> {
    await this.#c.requester.accept(checkedId(invoiceId), 'invoice', acceptance)
  }

  async rejectInvoice(invoiceId: string, rejection: Rejection): Promise<void> {
    await this.#c.requester.reject(checkedId(invoiceId), 'invoice', rejection)
  }

  async createInvoiceMandate(input: NewInvoiceMandate): Promise<InvoiceMandate> {
    return await this.#c.requester.mandates.create({ ...input, agreementId: checkedId(input.agreementId), allocationId: checkedId(input.allocationId) })
  }

  invoiceMandate(agreementId: string): InvoiceMandate {
    return this.#c.requester.mandates.get(checkedId(agreementId))
  }

  invoiceMandates(): InvoiceMandate[] {
    return this.#c.requester.mandates.list()
  }

  async issuedEvents(query: EventQuery): Promise<IssuedEvent[]> {
    return await this.#c.ledger.issued.events(query)
  }

  // ---- payments and accounts ----

  payments(filter: ListFilter & { readonly role?: PaymentRole } = {}): Payment[] {
    return this.#c.ledger.payments(filter)
  }

  payment(paymentId: string): Payment {
    return this.#c.ledger.payment(checkedId(paymentId))
  }

  paymentsOfDebitNote(debitNoteId: string): Payment[] {
    return this.#paymentsOf(this.debitNote(debitNoteId).agreementId)
  }

  paymentsOfInvoice(invoiceId: string): Payment[] {
    return this.#paymentsOf(this.invoice(invoiceId).agreementId)
  }

  accounts(role: PaymentRole): Account[] {
    return this.#c.settlement.platforms.networks.map(network => ({
      platform: network.platform,
      address: this.#c.address,
      driver: 'erc20',
      network: network.name,
      token: network.token.symbol.toLowerCase(),
      send: role === 'Requestor',
      receive: role === 'Provider'
    }))
  }

  async status(query: { readonly platform?: string; readonly address?: string }): Promise<PaymentStatus> {
    const platform = this.#platform(query.platform)
    const address = this.#ownAddress(query.address)
    const network = this.#c.settlement.platforms.resolve(platform)
    const { token, gas } = await this.#c.settlement.balances(platform, address)
    const sums = { outgoing: { accepted: 0n, confirmed: 0n, requested: 0n }, incoming: { accepted: 0n, confirmed: 0n, requested: 0n } }
    const agreements = new Map<string, PaymentRole>()
    for (const record of this.#c.ledger.documents.all()) {
      if (record.document.paymentPlatform === platform) agreements.set(record.document.agreementId, record.role)
    }
    for (const [agreementId, role] of agreements) {
      const side = role === 'Requestor' ? sums.outgoing : sums.incoming
      const documents = this.#c.ledger.documents.ofAgreement(agreementId, role)
      let requested = 0n
      for (const record of documents) {
        const amount = BigInt(record.kind === 'invoice' ? record.document.amount : record.document.totalAmountDue)
        if (amount > requested) requested = amount
      }
      side.requested += requested
      side.accepted += this.#c.ledger.documents.acceptedTotal(agreementId, role)
      side.confirmed += this.#c.ledger.settledTotal(agreementId, role)
    }
    let reserved = 0n
    for (const allocation of this.#c.ledger.allocations.list()) if (allocation.paymentPlatform === platform) reserved += allocation.remainingAmount
    return {
      amount: token,
      reserved,
      ...sums,
      driver: 'erc20',
      network: network.name,
      token: network.token.symbol.toLowerCase(),
      tokenBalance: token,
      gasBalance: gas
    }
  }

  async deposits(): Promise<DepositView[]> {
    return await this.#c.settlement.deposits()
  }

  async claim(options: { readonly depositIds?: readonly string[]; readonly all?: boolean }): Promise<ClaimOutcome> {
    return await this.#c.settlement.claim(options)
  }

  async fund(options: { readonly platform?: string }): Promise<{ readonly token: bigint; readonly gas: bigint; readonly txHashes: readonly string[] }> {
    return await this.#c.settlement.fund(this.#platform(options.platform))
  }

  #paymentsOf(agreementId: string): Payment[] {
    return this.#c.ledger.payments().filter(p => p.agreementPayments.some(a => a.agreementId === agreementId))
  }

  /** The canonical name of `name` (or the default platform); NotFound for one not configured. */
  #platform(name: string | undefined): string {
    const chosen = name ?? this.#c.defaultPlatform ?? this.#c.settlement.platforms.networks[0]?.platform
    if (chosen === undefined) throw new PaymentError('NotFound', 'no payment platform is configured on this node')
    if (!this.#c.settlement.platforms.has(chosen)) throw new PaymentError('NotFound', `payment platform ${chosen.slice(0, 80)} is not configured on this node`)
    return this.#c.settlement.platforms.resolve(chosen).platform
  }

  #ownAddress(address: string | undefined): string {
    if (address === undefined) return this.#c.address
    if (address.toLowerCase() !== this.#c.address) throw new PaymentError('BadRequest', `address must be this node's, ${this.#c.address}`)
    return this.#c.address
  }
}

function checkedId(id: string): string {
  if (!ALLOCATION_ID.test(id)) throw new PaymentError('NotFound', `no record ${JSON.stringify(id.slice(0, 80))}`)
  return id
}
