// Rejecting a received debit note or invoice: a reason from the spec's list
// and a message, then a confirmation; sent with the session's CSRF header (api.ts).
import { useState } from 'preact/hooks'
import { post } from '../api.ts'

const PAYMENT = '/payment-api/v1'
// The spec's reasons (RejectionReason in the payment API).
const REASONS = [
  { value: 'BAD_SERVICE', label: 'Bad service' },
  { value: 'INCORRECT_AMOUNT', label: 'Incorrect amount' },
  { value: 'UNSOLICITED_SERVICE', label: 'Unsolicited service' }
] as const

export type DocumentKind = 'debit note' | 'invoice'

const PATHS: Record<DocumentKind, string> = { 'debit note': 'debitNotes', invoice: 'invoices' }

/** Whether the payment API lets this node reject the document now: it received it and has not answered yet. */
export function rejectable(document: { recipientId: string; status: string }, nodeId: string): boolean {
  return document.recipientId.toLowerCase() === nodeId.toLowerCase() && document.status === 'RECEIVED'
}

export function RejectForm({ kind, id, onDone }: { kind: DocumentKind; id: string; onDone: () => void }) {
  const [reason, setReason] = useState<string>(REASONS[0].value)
  const [message, setMessage] = useState('')
  const [problem, setProblem] = useState<string | null>(null)
  const reject = (event: Event) => {
    event.preventDefault()
    if (message.trim() === '') {
      setProblem('Say why: the provider is told this reason.')
      return
    }
    if (!window.confirm(`Reject ${kind} ${id} (${reason}: ${message.trim()})? Nothing of it is paid, and the provider is told.`)) return
    // Nothing of a rejected document is accepted: its total accepted is 0.
    post(`${PAYMENT}/${PATHS[kind]}/${encodeURIComponent(id)}/reject`, { rejectionReason: reason, totalAmountAccepted: '0', message: message.trim() }).then(
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
          Reject {kind}
        </button>
        {problem === null ? null : <p role="alert">{problem}</p>}
      </form>
    </details>
  )
}
