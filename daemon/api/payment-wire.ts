// The Payment API's wire forms and the payment module's records, both ways:
// amounts as exact decimal strings of whole tokens (bigint base units inside),
// times as RFC 3339 UTC with milliseconds (epoch ms inside). Input is parsed
// strictly and refused with the field it names, before anything is changed.
import { PaymentError, formatAmount, parseAmount } from '../../payment/index.ts'
import type {
  Account,
  Allocation,
  AllocationUpdate,
  ClaimOutcome,
  DebitNote,
  DebitNoteEvent,
  DemandDecoration,
  DepositView,
  Invoice,
  InvoiceEvent,
  InvoiceMandate,
  IssuedEvent,
  NewAllocation,
  NewInvoiceMandate,
  Payment,
  PaymentStatus,
  Rejection,
  RejectionReason
} from '../../payment/index.ts'

/** An RFC 3339 time as the API writes it: UTC, milliseconds ("2026-12-02T01:14:22.123Z"). */
export function formatTime(epochMs: number): string {
  return new Date(epochMs).toISOString()
}

// A date, a time with seconds, an optional fraction of any length, and a zone.
const RFC3339 = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$/

/**
 * An RFC 3339 time in epoch ms; digits below the millisecond are dropped
 * (rounding down, so "strictly after" a time stays strictly after it).
 * Throws BadRequest naming `what`.
 */
export function parseTime(text: string, what: string): number {
  const match = RFC3339.exec(text)
  const ms = match === null ? Number.NaN : Date.parse(`${match[1]}T${match[2]}.${(match[3] ?? '').padEnd(3, '0').slice(0, 3)}${match[4]}`)
  if (!Number.isFinite(ms))
    throw new PaymentError('BadRequest', `${what} must be an RFC 3339 time such as "2026-01-31T12:00:00.000Z", not ${JSON.stringify(text.slice(0, 64))}`)
  return ms
}

/** The spec's PaymentPlatform object form of a platform. */
export interface PlatformParts {
  driver?: string | undefined
  network?: string | undefined
  token?: string | undefined
}

/** A platform given by name or as `{ driver, network, token }`, as its name `driver-network-token`. */
export function platformName(platform: string | PlatformParts): string {
  if (typeof platform === 'string') return platform
  const { driver = 'erc20', network, token } = platform
  if (network === undefined || token === undefined) {
    throw new PaymentError('BadRequest', 'paymentPlatform given as an object needs network and token (driver defaults to erc20)')
  }
  return `${driver}-${network}-${token}`
}

/** What a client may send to create an allocation (golem-js sends the read-only fields too, as empty strings). */
export interface AllocationBody {
  totalAmount: string
  paymentPlatform?: string | PlatformParts
  address?: string
  timeout?: string
  makeDeposit?: boolean
  // Read-only: taken and ignored.
  allocationId?: string
  spentAmount?: string
  remainingAmount?: string
  timestamp?: string
}

export function newAllocationOf(body: AllocationBody): NewAllocation {
  const totalAmount = parseAmount(body.totalAmount, 'totalAmount')
  const paymentPlatform = body.paymentPlatform === undefined ? undefined : platformName(body.paymentPlatform)
  const timeout = body.timeout === undefined ? undefined : parseTime(body.timeout, 'timeout')
  return {
    totalAmount,
    ...(paymentPlatform === undefined ? {} : { paymentPlatform }),
    ...(body.address === undefined ? {} : { address: body.address.toLowerCase() }),
    ...(timeout === undefined ? {} : { timeout }),
    ...(body.makeDeposit === undefined ? {} : { makeDeposit: body.makeDeposit })
  }
}

export function allocationUpdateOf(body: { totalAmount?: string; timeout?: string }): AllocationUpdate {
  const totalAmount = body.totalAmount === undefined ? undefined : parseAmount(body.totalAmount, 'totalAmount')
  const timeout = body.timeout === undefined ? undefined : parseTime(body.timeout, 'timeout')
  return { ...(totalAmount === undefined ? {} : { totalAmount }), ...(timeout === undefined ? {} : { timeout }) }
}

export function allocationWire(allocation: Allocation) {
  return {
    allocationId: allocation.allocationId,
    address: allocation.address,
    paymentPlatform: allocation.paymentPlatform,
    totalAmount: formatAmount(allocation.totalAmount),
    spentAmount: formatAmount(allocation.spentAmount),
    remainingAmount: formatAmount(allocation.remainingAmount),
    timestamp: formatTime(allocation.timestamp),
    ...(allocation.timeout === undefined ? {} : { timeout: formatTime(allocation.timeout) }),
    makeDeposit: allocation.makeDeposit
  }
}

export function debitNoteWire(note: DebitNote) {
  return {
    debitNoteId: note.debitNoteId,
    issuerId: note.issuerId,
    recipientId: note.recipientId,
    payeeAddr: note.payeeAddr,
    payerAddr: note.payerAddr,
    paymentPlatform: note.paymentPlatform,
    ...(note.previousDebitNoteId === undefined ? {} : { previousDebitNoteId: note.previousDebitNoteId }),
    timestamp: formatTime(note.timestamp),
    agreementId: note.agreementId,
    activityId: note.activityId,
    totalAmountDue: formatAmount(note.totalAmountDue),
    usageCounterVector: [...note.usageCounterVector],
    ...(note.paymentDueDate === undefined ? {} : { paymentDueDate: formatTime(note.paymentDueDate) }),
    status: note.status
  }
}

export function invoiceWire(invoice: Invoice) {
  return {
    invoiceId: invoice.invoiceId,
    issuerId: invoice.issuerId,
    recipientId: invoice.recipientId,
    payeeAddr: invoice.payeeAddr,
    payerAddr: invoice.payerAddr,
    paymentPlatform: invoice.paymentPlatform,
    timestamp: formatTime(invoice.timestamp),
    agreementId: invoice.agreementId,
    activityIds: [...invoice.activityIds],
    amount: formatAmount(invoice.amount),
    paymentDueDate: formatTime(invoice.paymentDueDate),
    status: invoice.status
  }
}

export function rejectionWire(rejection: Rejection) {
  return {
    rejectionReason: rejection.rejectionReason,
    totalAmountAccepted: formatAmount(rejection.totalAmountAccepted),
    ...(rejection.message === undefined ? {} : { message: rejection.message })
  }
}

export function rejectionOf(body: { rejectionReason: RejectionReason; totalAmountAccepted: string; message?: string }): Rejection {
  return {
    rejectionReason: body.rejectionReason,
    totalAmountAccepted: parseAmount(body.totalAmountAccepted, 'totalAmountAccepted'),
    ...(body.message === undefined ? {} : { message: body.message })
  }
}

export function debitNoteEventWire(event: DebitNoteEvent) {
  return {
    eventType: event.eventType,
    eventDate: formatTime(event.eventDate),
    debitNoteId: event.debitNoteId,
    ...(event.rejection === undefined ? {} : { rejection: rejectionWire(event.rejection) })
  }
}

export function issuedEventWire(event: IssuedEvent) {
  const common = { eventType: event.eventType, eventDate: formatTime(event.eventDate), agreementId: event.agreementId }
  return event.eventType === 'InvoiceIssuedEvent' ? { ...common, invoiceId: event.invoiceId } : { ...common, debitNoteId: event.debitNoteId }
}

/** The rejections of the documents now REJECTED (either role), as the page and scripts read them. */
export function rejectionsWire(debitNotes: readonly DebitNote[], invoices: readonly Invoice[]) {
  const rejected = <T extends { status: string; rejection?: Rejection }>(documents: readonly T[]) =>
    documents.filter((d): d is T & { rejection: Rejection } => d.status === 'REJECTED' && d.rejection !== undefined)
  return [
    ...rejected(debitNotes).map(note => ({ debitNoteId: note.debitNoteId, rejection: rejectionWire(note.rejection) })),
    ...rejected(invoices).map(invoice => ({ invoiceId: invoice.invoiceId, rejection: rejectionWire(invoice.rejection) }))
  ]
}

export function invoiceEventWire(event: InvoiceEvent) {
  return {
    eventType: event.eventType,
    eventDate: formatTime(event.eventDate),
    invoiceId: event.invoiceId,
    ...(event.rejection === undefined ? {} : { rejection: rejectionWire(event.rejection) })
  }
}

export function paymentWire(payment: Payment) {
  return {
    paymentId: payment.paymentId,
    payerId: payment.payerId,
    payeeId: payment.payeeId,
    payerAddr: payment.payerAddr,
    payeeAddr: payment.payeeAddr,
    paymentPlatform: payment.paymentPlatform,
    amount: formatAmount(payment.amount),
    timestamp: formatTime(payment.timestamp),
    agreementPayments: payment.agreementPayments.map(share => ({ agreementId: share.agreementId, amount: formatAmount(share.amount) })),
    activityPayments: payment.activityPayments.map(share => ({ activityId: share.activityId, amount: formatAmount(share.amount) })),
    details: payment.details
  }
}

export function accountWire(account: Account) {
  return { ...account }
}

export function statusWire(status: PaymentStatus) {
  const flow = (side: PaymentStatus['outgoing']) => ({
    accepted: formatAmount(side.accepted),
    confirmed: formatAmount(side.confirmed),
    requested: formatAmount(side.requested)
  })
  return {
    amount: formatAmount(status.amount),
    reserved: formatAmount(status.reserved),
    outgoing: flow(status.outgoing),
    incoming: flow(status.incoming),
    driver: status.driver,
    network: status.network,
    token: status.token,
    tokenBalance: formatAmount(status.tokenBalance),
    gasBalance: formatAmount(status.gasBalance)
  }
}

/** The spec's MarketDecoration: properties as `{ key, value }` pairs. */
export function decorationWire(decoration: DemandDecoration) {
  return {
    properties: Object.entries(decoration.properties).map(([key, value]) => ({ key, value })),
    constraints: [...decoration.constraints]
  }
}

export function depositWire(deposit: DepositView) {
  return {
    depositId: deposit.depositId,
    role: deposit.role,
    requester: deposit.requester,
    provider: deposit.provider,
    token: deposit.token,
    paymentPlatform: deposit.paymentPlatform,
    agreementIds: [...deposit.agreementIds],
    amount: formatAmount(deposit.amount),
    claimed: formatAmount(deposit.claimed),
    deadline: formatTime(deposit.deadline),
    voucherCumulative: formatAmount(deposit.voucherCumulative),
    ...(deposit.reclaim === undefined ? {} : { reclaim: deposit.reclaim })
  }
}

export function claimWire(outcome: ClaimOutcome) {
  return {
    depositIds: [...outcome.depositIds],
    ...(outcome.txHash === undefined ? {} : { txHash: outcome.txHash }),
    amount: formatAmount(outcome.amount)
  }
}

export function fundWire(funded: { readonly token: bigint; readonly gas: bigint; readonly txHashes: readonly string[] }) {
  return { token: formatAmount(funded.token), gas: formatAmount(funded.gas), txHashes: [...funded.txHashes] }
}

/**
 * The allocation ids of a demandDecorations query: the spec's form
 * (`allocationIds=a,b`, style form, explode false) and ya-ts-client's
 * (`allocationIds=a&allocationIds=b`) both.
 */
export function allocationIdsOf(values: readonly string[]): string[] {
  const ids = values.flatMap(value => value.split(',')).filter(id => id !== '')
  if (ids.length === 0) throw new PaymentError('BadRequest', 'allocationIds must name at least one allocation')
  return [...new Set(ids)]
}

export function newInvoiceMandateOf(body: { agreementId: string; maxAmount: string; allocationId: string; expiresAt?: string }): NewInvoiceMandate {
  const maxAmount = parseAmount(body.maxAmount, 'maxAmount')
  const expiresAt = body.expiresAt === undefined ? undefined : parseTime(body.expiresAt, 'expiresAt')
  return { agreementId: body.agreementId, maxAmount, allocationId: body.allocationId, ...(expiresAt === undefined ? {} : { expiresAt }) }
}

export function invoiceMandateWire(mandate: InvoiceMandate) {
  return {
    agreementId: mandate.agreementId,
    maxAmount: formatAmount(mandate.maxAmount),
    allocationId: mandate.allocationId,
    sourceAllocationId: mandate.sourceAllocationId,
    createdAt: formatTime(mandate.createdAt),
    expiresAt: formatTime(mandate.expiresAt),
    ...(mandate.outcome === undefined ? {} : { outcome: { ...mandate.outcome, at: formatTime(mandate.outcome.at) } })
  }
}
