// Debit notes and invoices this node received, with their state and, for a
// rejected one, the reason; a received debit note can be rejected here, with
// a reason and after a confirmation.
import { useState } from 'preact/hooks'
import { allEvents, get, post } from '../api.ts'
import type { TimedEvent } from '../api.ts'
import { when } from '../format.ts'
import { useLoaded } from '../hooks.ts'
import { Empty, Frame, IdLink } from './common.tsx'
import { PagedTable } from './paged-table.tsx'

interface Rejection {
  rejectionReason: string
  totalAmountAccepted: string
  message?: string
}

interface RejectionEvent extends TimedEvent {
  eventType: string
  debitNoteId?: string
  invoiceId?: string
  rejection?: Rejection
}

interface Received {
  kind: 'debit note' | 'invoice'
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
// The spec's reasons (RejectionReason in the payment API).
const REASONS = [
  { value: 'BAD_SERVICE', label: 'Bad service' },
  { value: 'INCORRECT_AMOUNT', label: 'Incorrect amount' },
  { value: 'UNSOLICITED_SERVICE', label: 'Unsolicited service' }
] as const

/** The received documents, newest first; a document's rejection is read from its Rejected event (the document itself does not carry it). */
async function loadReceived(nodeId: string, signal: AbortSignal): Promise<Received[]> {
  const own = nodeId.toLowerCase()
  const [notes, invoices, noteEvents, invoiceEvents] = await Promise.all([
    get<DebitNoteWire[]>(`${PAYMENT}/debitNotes`, signal),
    get<InvoiceWire[]>(`${PAYMENT}/invoices`, signal),
    allEvents<RejectionEvent>(`${PAYMENT}/debitNoteEvents`, signal),
    allEvents<RejectionEvent>(`${PAYMENT}/invoiceEvents`, signal)
  ])
  const rejections = new Map<string, Rejection>()
  for (const event of [...noteEvents, ...invoiceEvents]) {
    const id = event.debitNoteId ?? event.invoiceId
    if (event.rejection !== undefined && id !== undefined) rejections.set(id, event.rejection)
  }
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
                `${row.id} ${row.kind} ${row.agreementId} ${row.activityId ?? ''} ${row.amount} ${row.status} ${row.rejection?.rejectionReason ?? ''} ${row.rejection?.message ?? ''}`
              }
              head={
                <tr>
                  <th scope="col">Document</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Agreement</th>
                  <th scope="col">Amount</th>
                  <th scope="col">Status</th>
                  <th scope="col">Received</th>
                  <th scope="col">Action</th>
                </tr>
              }
              row={row => (
                <tr key={row.id} data-document-id={row.id}>
                  <td>
                    {row.activityId === undefined ? (
                      <code title={row.id}>{row.id.slice(0, 12)}</code>
                    ) : (
                      <a href={`#/activities/${row.activityId}`} title={`${row.id}, for activity ${row.activityId}`}>
                        <code>{row.id.slice(0, 12)}</code>
                      </a>
                    )}
                  </td>
                  <td>{row.kind}</td>
                  <td>
                    <IdLink href={`#/agreements/${row.agreementId}`} id={row.agreementId} />
                  </td>
                  <td class="number">{row.amount}</td>
                  <td class="status">
                    {row.status}
                    {row.rejection === undefined ? null : (
                      <span class="rejection">
                        {' '}
                        ({row.rejection.rejectionReason}
                        {row.rejection.message === undefined ? '' : `: ${row.rejection.message}`})
                      </span>
                    )}
                  </td>
                  <td>{when(row.timestamp)}</td>
                  <td>{row.kind === 'debit note' && row.status === 'RECEIVED' ? <RejectForm id={row.id} onDone={() => setAnswered(n => n + 1)} /> : null}</td>
                </tr>
              )}
            />
          )
        }
      </Frame>
    </>
  )
}

function RejectForm({ id, onDone }: { id: string; onDone: () => void }) {
  const [reason, setReason] = useState<string>(REASONS[0].value)
  const [message, setMessage] = useState('')
  const [problem, setProblem] = useState<string | null>(null)
  const reject = (event: Event) => {
    event.preventDefault()
    if (message.trim() === '') {
      setProblem('Say why: the provider is told this reason.')
      return
    }
    if (!window.confirm(`Reject debit note ${id} (${reason}: ${message.trim()})? Nothing of it is paid, and the provider is told.`)) return
    // Nothing of a rejected debit note is accepted: its total accepted is 0.
    post(`${PAYMENT}/debitNotes/${encodeURIComponent(id)}/reject`, { rejectionReason: reason, totalAmountAccepted: '0', message: message.trim() }).then(
      onDone,
      (err: unknown) => setProblem(err instanceof Error ? err.message : String(err))
    )
  }
  const field = id.slice(0, 12)
  return (
    <details class="reject">
      <summary>Reject…</summary>
      <form onSubmit={reject}>
        <label for={`reason-${field}`}>Reason</label>
        <select id={`reason-${field}`} name="reason" value={reason} onChange={event => setReason(event.currentTarget.value)}>
          {REASONS.map(option => (
            <option key={option.value} value={option.value}>
              {option.label}
            </option>
          ))}
        </select>
        <label for={`message-${field}`}>Why</label>
        <input id={`message-${field}`} name="message" maxLength={1024} value={message} onInput={event => setMessage(event.currentTarget.value)} />
        <button type="submit" class="danger">
          Reject debit note
        </button>
        {problem === null ? null : <p role="alert">{problem}</p>}
      </form>
    </details>
  )
}
