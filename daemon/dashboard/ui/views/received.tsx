// Debit notes and invoices this node received, with their state and, for a
// rejected one, the reason; one not yet answered can be rejected here, with a
// reason and after a confirmation.
import { useState } from 'preact/hooks'
import { allItems } from '../api.ts'
import { when } from '../format.ts'
import { useLoaded } from '../hooks.ts'
import { loadRejections, rejectionText } from '../rejections.ts'
import type { Rejection } from '../rejections.ts'
import { DocumentLink, Empty, Frame, IdLink } from './common.tsx'
import { PagedTable } from './paged-table.tsx'
import { RejectForm } from './reject-form.tsx'
import type { DocumentKind } from './reject-form.tsx'

interface Received {
  kind: DocumentKind
  id: string
  agreementId: string
  activityId?: string
  amount: string
  status: string
  timestamp: string
  rejection?: Rejection
}

interface DebitNoteWire {
  debitNoteId: string
  recipientId: string
  agreementId: string
  activityId: string
  totalAmountDue: string
  status: string
  timestamp: string
}

interface InvoiceWire {
  invoiceId: string
  recipientId: string
  agreementId: string
  amount: string
  status: string
  timestamp: string
}

const PAYMENT = '/payment-api/v1'

/** The received documents, newest first, each rejected one with its rejection (see rejections.ts). */
async function loadReceived(nodeId: string, signal: AbortSignal): Promise<Received[]> {
  const own = nodeId.toLowerCase()
  const [notes, invoices, rejections] = await Promise.all([
    allItems<DebitNoteWire>(`${PAYMENT}/debitNotes`, note => note.debitNoteId, signal),
    allItems<InvoiceWire>(`${PAYMENT}/invoices`, invoice => invoice.invoiceId, signal),
    loadRejections(signal)
  ])
  const withRejection = (row: Received): Received => {
    const rejection = row.status === 'REJECTED' ? rejections.get(row.id) : undefined
    return rejection === undefined ? row : { ...row, rejection }
  }
  return [
    ...notes
      .filter(note => note.recipientId.toLowerCase() === own)
      .map(note =>
        withRejection({
          kind: 'debit note',
          id: note.debitNoteId,
          agreementId: note.agreementId,
          activityId: note.activityId,
          amount: note.totalAmountDue,
          status: note.status,
          timestamp: note.timestamp
        })
      ),
    ...invoices
      .filter(invoice => invoice.recipientId.toLowerCase() === own)
      .map(invoice =>
        withRejection({
          kind: 'invoice',
          id: invoice.invoiceId,
          agreementId: invoice.agreementId,
          amount: invoice.amount,
          status: invoice.status,
          timestamp: invoice.timestamp
        })
      )
  ].sort((a, b) => b.timestamp.localeCompare(a.timestamp))
}

export function ReceivedSection({ nodeId, version }: { nodeId: string; version: unknown[] }) {
  const [answered, setAnswered] = useState(0)
  const loaded = useLoaded(signal => loadReceived(nodeId, signal), [nodeId, ...version, answered])
  return (
    <>
      <h3 id="received-title">Debit notes and invoices received</h3>
      <Frame loaded={loaded}>
        {rows =>
          rows.length === 0 ? (
            <Empty what="debit notes or invoices received" />
          ) : (
            <PagedTable
              name="received"
              caption="Debit notes and invoices received"
              rows={rows}
              text={row =>
                `${row.id} ${row.kind} ${row.agreementId} ${row.activityId ?? ''} ${row.amount} ${row.status} ${row.rejection === undefined ? '' : rejectionText(row.rejection)}`
              }
              head={
                <tr>
                  <th scope="col">Document</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Agreement</th>
                  <th scope="col">Activity</th>
                  <th scope="col">Amount</th>
                  <th scope="col">Status</th>
                  <th scope="col">Received</th>
                  <th scope="col">Action</th>
                </tr>
              }
              row={row => (
                <tr key={row.id} data-document-id={row.id}>
                  <td>
                    <DocumentLink kind={row.kind} id={row.id} />
                  </td>
                  <td>{row.kind}</td>
                  <td>
                    <IdLink href={`#/agreements/${row.agreementId}`} id={row.agreementId} />
                  </td>
                  <td>{row.activityId === undefined ? '—' : <IdLink href={`#/activities/${row.activityId}`} id={row.activityId} />}</td>
                  <td class="number">{row.amount}</td>
                  <td class="status">
                    {row.status}
                    {row.rejection === undefined ? null : <span class="rejection"> ({rejectionText(row.rejection)})</span>}
                  </td>
                  <td>{when(row.timestamp)}</td>
                  <td>{row.status === 'RECEIVED' ? <RejectForm kind={row.kind} id={row.id} onDone={() => setAnswered(n => n + 1)} /> : null}</td>
                </tr>
              )}
            />
          )
        }
      </Frame>
    </>
  )
}
