// What the requester's daemon recorded of the run, read over its REST API:
// the agreements, every debit note and invoice, and the payments on chain.
import { parseAmount } from '../../payment/model/amounts.ts'
import type { DemoApi } from './api.ts'

const MARKET = '/market-api/v1'
const PAYMENT = '/payment-api/v1'
const PAGE = 100

export interface AgreementRow {
  readonly agreementId: string
  readonly providerId: string
  readonly state: string
}
export interface DebitNoteRow {
  readonly debitNoteId: string
  readonly agreementId: string
  readonly issuerId: string
  readonly totalAmountDue: string
  readonly status: string
}
export interface InvoiceRow {
  readonly invoiceId: string
  readonly agreementId: string
  readonly issuerId: string
  readonly amount: string
  readonly status: string
}
export interface PaymentRow {
  readonly paymentId: string
  readonly payeeId: string
  readonly amount: string
  /** The transaction hash on chain. */
  readonly details: string
  readonly agreementPayments: readonly { readonly agreementId: string; readonly amount: string }[]
}

export interface Ledger {
  readonly agreements: readonly AgreementRow[]
  readonly debitNotes: readonly DebitNoteRow[]
  readonly invoices: readonly InvoiceRow[]
  readonly payments: readonly PaymentRow[]
}

/** Every item of a list the API pages by timestamp (at most 100 an answer). */
async function all<T extends { timestamp: string }>(api: DemoApi, path: string, id: (item: T) => string, pageParam: string): Promise<T[]> {
  const seen = new Map<string, T>()
  let after: string | undefined
  for (;;) {
    const query = `?${pageParam}=${PAGE}${after === undefined ? '' : `&afterTimestamp=${encodeURIComponent(after)}`}${pageParam === 'maxEvents' ? '&timeout=0' : ''}`
    const page = await api.call<T[]>('GET', `${path}${query}`)
    const fresh = page.filter(item => !seen.has(id(item)))
    for (const item of fresh) seen.set(id(item), item)
    if (page.length < PAGE || fresh.length === 0) return [...seen.values()]
    after = page[page.length - 1]!.timestamp
  }
}

/**
 * What the requester's daemon recorded; the payments as the providers' daemons
 * recorded them too (a provider lists a payment once it has verified it on chain).
 */
export async function readLedger(api: DemoApi, payees: readonly DemoApi[] = []): Promise<Ledger> {
  const entries = await api.call<{ id: string; role: string }[]>('GET', `${MARKET}/agreements`)
  const agreements = await Promise.all(
    entries
      .filter(entry => entry.role === 'Requestor')
      .map(async entry => {
        const agreement = await api.call<{ agreementId: string; state: string; offer: { providerId: string } }>('GET', `${MARKET}/agreements/${entry.id}`)
        return { agreementId: agreement.agreementId, providerId: agreement.offer.providerId, state: agreement.state }
      })
  )
  const [debitNotes, invoices, ...paymentLists] = await Promise.all([
    all<DebitNoteRow & { timestamp: string }>(api, `${PAYMENT}/debitNotes`, note => note.debitNoteId, 'maxItems'),
    all<InvoiceRow & { timestamp: string }>(api, `${PAYMENT}/invoices`, invoice => invoice.invoiceId, 'maxItems'),
    ...[api, ...payees].map(
      async party => await all<PaymentRow & { timestamp: string }>(party, `${PAYMENT}/payments`, payment => payment.paymentId, 'maxEvents')
    )
  ])
  const payments = new Map<string, PaymentRow>()
  for (const list of paymentLists) for (const payment of list) payments.set(payment.paymentId, payment)
  return { agreements, debitNotes, invoices, payments: [...payments.values()] }
}

/** Sum of the invoices' amounts, per issuing provider (base units). */
export function invoicedByProvider(ledger: Ledger): Map<string, bigint> {
  const sums = new Map<string, bigint>()
  for (const invoice of ledger.invoices) {
    const provider = invoice.issuerId.toLowerCase()
    sums.set(provider, (sums.get(provider) ?? 0n) + parseAmount(invoice.amount, 'invoice amount'))
  }
  return sums
}

/** Sum of what was paid on chain, per payee (base units). */
export function paidByProvider(ledger: Ledger): Map<string, bigint> {
  const sums = new Map<string, bigint>()
  for (const payment of ledger.payments) {
    const payee = payment.payeeId.toLowerCase()
    sums.set(payee, (sums.get(payee) ?? 0n) + parseAmount(payment.amount, 'payment amount'))
  }
  return sums
}

/**
 * Waits until every invoice is settled (the payment seen on chain) and each
 * provider's verified payments add up to its invoices: one long poll of the
 * invoice events at a time, until `deadline` (ms, on `now`).
 */
export async function waitForSettlement(api: DemoApi, payees: readonly DemoApi[], now: () => number, deadline: number, signal?: AbortSignal): Promise<Ledger> {
  for (;;) {
    signal?.throwIfAborted()
    const ledger = await readLedger(api, payees)
    const open = ledger.invoices.filter(invoice => invoice.status !== 'SETTLED')
    const paid = paidByProvider(ledger)
    const verified = payees.length === 0 || [...invoicedByProvider(ledger)].every(([provider, amount]) => paid.get(provider) === amount)
    if (open.length === 0 && verified) return ledger
    if (now() > deadline) {
      if (open.length === 0) throw new Error('every invoice is settled, but not every payment was verified by its provider in time')
      throw new Error(`${open.length} invoice(s) not settled in time: ${open.map(invoice => `${invoice.invoiceId} ${invoice.status}`).join(', ')}`)
    }
    await api.call('GET', `${PAYMENT}/invoiceEvents?timeout=2&afterTimestamp=${encodeURIComponent(new Date(now()).toISOString())}`)
  }
}
