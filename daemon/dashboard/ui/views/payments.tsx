// Debit notes and invoices (live on the payment event streams), the activities
// they bill (listed in activities.tsx), and earnings and spend over time as a chart.
import { allItems } from '../api.ts'
import { when } from '../format.ts'
import { useEventCount, useLoaded } from '../hooks.ts'
import { DocumentLink, Empty, Frame, IdLink } from './common.tsx'
import { DOCUMENT_EVENTS } from './documents.tsx'
import { DepositsSection } from './deposits.tsx'
import { LineChart } from './line-chart.tsx'
import { PagedTable } from './paged-table.tsx'

interface DebitNote {
  debitNoteId: string
  issuerId: string
  recipientId: string
  agreementId: string
  activityId: string
  totalAmountDue: string
  usageCounterVector?: unknown
  timestamp: string
  status: string
}

interface Invoice {
  invoiceId: string
  issuerId: string
  recipientId: string
  agreementId: string
  activityIds?: string[]
  amount: string
  timestamp: string
  status: string
}

interface Payment {
  paymentId: string
  payerId: string
  payeeId: string
  amount: string
  timestamp: string
  agreementPayments: Array<{ agreementId: string; amount: string }>
  /** The transaction hash on chain. */
  details: string
}

interface Documents {
  debitNotes: DebitNote[]
  invoices: Invoice[]
  payments: Payment[]
}

const PAYMENT = '/payment-api/v1'

async function loadDocuments(signal: AbortSignal): Promise<Documents> {
  const [debitNotes, invoices, payments] = await Promise.all([
    allItems<DebitNote>(`${PAYMENT}/debitNotes`, note => note.debitNoteId, signal),
    allItems<Invoice>(`${PAYMENT}/invoices`, invoice => invoice.invoiceId, signal),
    allItems<Payment>(`${PAYMENT}/payments`, payment => payment.paymentId, signal, 'maxEvents')
  ])
  const newestFirst = <T extends { timestamp: string }>(list: T[]): T[] => [...list].sort((a, b) => b.timestamp.localeCompare(a.timestamp))
  return { debitNotes: newestFirst(debitNotes), invoices: newestFirst(invoices), payments: newestFirst(payments) }
}

// The payment events tell a recipient of new documents, but the issuer only of
// the answers to them: Agora's issuedEvents long poll tells of the documents
// this node issues, so nothing here polls on a timer.
export function useDocuments() {
  const changes = useEventCount(DOCUMENT_EVENTS)
  return useLoaded(loadDocuments, [changes])
}

export function PaymentsView({ nodeId }: { nodeId: string }) {
  const loaded = useDocuments()
  const own = nodeId.toLowerCase()
  const direction = (party: string, ours: string, theirs: string): string => (party.toLowerCase() === own ? ours : theirs)
  return (
    <section aria-labelledby="payments-title">
      <h2 id="payments-title">Payments, invoices and debit notes</h2>
      <Frame loaded={loaded}>
        {({ debitNotes, invoices, payments }) => (
          <>
            <h3>Payments</h3>
            <p class="count">A payment record holds its transaction's hash; the block and its confirmations are not recorded.</p>
            {payments.length === 0 ? (
              <Empty what="payments" />
            ) : (
              <PagedTable
                name="payments"
                caption="Payments"
                rows={payments}
                text={payment =>
                  `${payment.details} ${payment.agreementPayments.map(share => share.agreementId).join(' ')} ${direction(payment.payeeId, 'received', 'paid')} ${payment.amount}`
                }
                head={
                  <tr>
                    <th scope="col">Transaction</th>
                    <th scope="col">Agreements</th>
                    <th scope="col">Direction</th>
                    <th scope="col">Amount</th>
                    <th scope="col">When</th>
                  </tr>
                }
                row={payment => (
                  <tr key={payment.paymentId} data-payment-id={payment.paymentId}>
                    <td>
                      <code class="tx-hash">{payment.details}</code>
                    </td>
                    <td>
                      {payment.agreementPayments.map(share => (
                        <IdLink key={share.agreementId} href={`#/agreements/${share.agreementId}`} id={share.agreementId} />
                      ))}
                    </td>
                    <td>{direction(payment.payeeId, 'received', 'paid')}</td>
                    <td class="number">{payment.amount}</td>
                    <td>{when(payment.timestamp)}</td>
                  </tr>
                )}
              />
            )}
            <DepositsSection version={[debitNotes.length, invoices.length, payments.length]} side="Provider" />
            <h3>Invoices</h3>
            {invoices.length === 0 ? (
              <Empty what="invoices" />
            ) : (
              <PagedTable
                name="invoices"
                caption="Invoices"
                rows={invoices}
                text={invoice =>
                  `${invoice.invoiceId} ${invoice.agreementId} ${direction(invoice.issuerId, 'issued', 'received')} ${invoice.amount} ${invoice.status}`
                }
                head={
                  <tr>
                    <th scope="col">Invoice</th>
                    <th scope="col">Agreement</th>
                    <th scope="col">Direction</th>
                    <th scope="col">Amount</th>
                    <th scope="col">Status</th>
                    <th scope="col">Issued</th>
                  </tr>
                }
                row={invoice => (
                  <tr key={invoice.invoiceId} data-invoice-id={invoice.invoiceId}>
                    <td>
                      <DocumentLink kind="invoice" id={invoice.invoiceId} />
                    </td>
                    <td>
                      <IdLink href={`#/agreements/${invoice.agreementId}`} id={invoice.agreementId} />
                    </td>
                    <td>{direction(invoice.issuerId, 'issued', 'received')}</td>
                    <td class="number">{invoice.amount}</td>
                    <td>{invoice.status}</td>
                    <td>{when(invoice.timestamp)}</td>
                  </tr>
                )}
              />
            )}
            <h3>Debit notes</h3>
            {debitNotes.length === 0 ? (
              <Empty what="debit notes" />
            ) : (
              <PagedTable
                name="debit-notes"
                caption="Debit notes"
                rows={debitNotes}
                text={note =>
                  `${note.debitNoteId} ${note.activityId} ${note.agreementId} ${direction(note.issuerId, 'issued', 'received')} ${note.totalAmountDue} ${note.status}`
                }
                head={
                  <tr>
                    <th scope="col">Debit note</th>
                    <th scope="col">Activity</th>
                    <th scope="col">Direction</th>
                    <th scope="col">Total due</th>
                    <th scope="col">Status</th>
                    <th scope="col">Issued</th>
                  </tr>
                }
                row={note => (
                  <tr key={note.debitNoteId} data-debit-note-id={note.debitNoteId}>
                    <td>
                      <DocumentLink kind="debit note" id={note.debitNoteId} />
                    </td>
                    <td>
                      <IdLink href={`#/activities/${note.activityId}`} id={note.activityId} />
                    </td>
                    <td>{direction(note.issuerId, 'issued', 'received')}</td>
                    <td class="number">{note.totalAmountDue}</td>
                    <td>{note.status}</td>
                    <td>{when(note.timestamp)}</td>
                  </tr>
                )}
              />
            )}
          </>
        )}
      </Frame>
    </section>
  )
}

interface ActivityRow {
  activityId: string
  agreementId: string
  notes: number
  lastDue: string
  lastAt: string
}

/** The activities the debit notes bill: one row each, with its latest total. */
export function activitiesOf(debitNotes: DebitNote[]): ActivityRow[] {
  const rows = new Map<string, ActivityRow>()
  for (const note of [...debitNotes].sort((a, b) => a.timestamp.localeCompare(b.timestamp))) {
    const row = rows.get(note.activityId)
    if (row === undefined)
      rows.set(note.activityId, { activityId: note.activityId, agreementId: note.agreementId, notes: 1, lastDue: note.totalAmountDue, lastAt: note.timestamp })
    else Object.assign(row, { notes: row.notes + 1, lastDue: note.totalAmountDue, lastAt: note.timestamp })
  }
  return [...rows.values()].sort((a, b) => b.lastAt.localeCompare(a.lastAt))
}

/**
 * Earned and spent over time: at each document's time, the sum over agreements
 * of the invoice's amount once there is one, else of its activities' latest
 * debit-note totals (a debit note carries the activity's running total).
 */
export function seriesOf(documents: Documents, nodeId: string): [number[], number[], number[]] {
  type Doc = { at: number; agreementId: string; activityId: string | null; amount: number; mine: boolean }
  const own = nodeId.toLowerCase()
  const docs: Doc[] = [
    ...documents.debitNotes.map(note => ({
      at: Date.parse(note.timestamp) / 1000,
      agreementId: note.agreementId,
      activityId: note.activityId,
      amount: Number(note.totalAmountDue),
      mine: note.issuerId.toLowerCase() === own
    })),
    ...documents.invoices.map(invoice => ({
      at: Date.parse(invoice.timestamp) / 1000,
      agreementId: invoice.agreementId,
      activityId: null,
      amount: Number(invoice.amount),
      mine: invoice.issuerId.toLowerCase() === own
    }))
  ].sort((a, b) => a.at - b.at)
  const byAgreement = new Map<string, { mine: boolean; invoiced: number | null; activities: Map<string, number> }>()
  const times: number[] = []
  const earned: number[] = []
  const spent: number[] = []
  for (const doc of docs) {
    const entry = byAgreement.get(doc.agreementId) ?? { mine: doc.mine, invoiced: null, activities: new Map<string, number>() }
    byAgreement.set(doc.agreementId, entry)
    if (doc.activityId === null) entry.invoiced = doc.amount
    else entry.activities.set(doc.activityId, doc.amount)
    let e = 0
    let s = 0
    for (const agreement of byAgreement.values()) {
      const total = agreement.invoiced ?? [...agreement.activities.values()].reduce((sum, value) => sum + value, 0)
      if (agreement.mine) e += total
      else s += total
    }
    times.push(doc.at)
    earned.push(e)
    spent.push(s)
  }
  return [times, earned, spent]
}

export function EarningsView({ nodeId }: { nodeId: string }) {
  const loaded = useDocuments()
  return (
    <section aria-labelledby="earnings-title">
      <h2 id="earnings-title">Earnings and spend over time</h2>
      <Frame loaded={loaded}>
        {documents => {
          const series = seriesOf(documents, nodeId)
          if (series[0].length === 0) return <Empty what="debit notes or invoices to chart" />
          return <Chart series={series} />
        }}
      </Frame>
    </section>
  )
}

const EARNINGS_LINES = [
  { label: 'Earned', stroke: '#1b7f3b' },
  { label: 'Spent', stroke: '#b3261e' }
]

function Chart({ series }: { series: [number[], number[], number[]] }) {
  const [times, earned, spent] = series
  return (
    <LineChart times={times} lines={EARNINGS_LINES} values={[earned, spent]} label="Cumulative earned and spent tokens over time" unit="tokens" height={300} />
  )
}
