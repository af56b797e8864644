// One debit note's or invoice's detail (#/debit-notes/<id>, #/invoices/<id>):
// every field of the Golem document, its rejection with the reason when
// rejected, the payments of its agreement with their transaction hashes, and
// Reject… while this node, its recipient, has not answered it. Live on the
// payment events and the issued-documents poll.
import type { ComponentChildren } from 'preact'
import { useState } from 'preact/hooks'
import { get } from '../api.ts'
import { when } from '../format.ts'
import { useEventCount, useLoaded } from '../hooks.ts'
import { loadRejections, rejectionText } from '../rejections.ts'
import type { Rejection } from '../rejections.ts'
import { DocumentLink, Empty, Frame, IdLink } from './common.tsx'
import { RejectForm, rejectable } from './reject-form.tsx'
import type { DocumentKind } from './reject-form.tsx'

interface Parties {
  issuerId: string
  recipientId: string
  payeeAddr: string
  payerAddr: string
  paymentPlatform: string
  timestamp: string
  agreementId: string
  paymentDueDate?: string
  status: string
}

interface DebitNote extends Parties {
  debitNoteId: string
  previousDebitNoteId?: string
  activityId: string
  totalAmountDue: string
  usageCounterVector: number[]
}

interface Invoice extends Parties {
  invoiceId: string
  activityIds: string[]
  amount: string
}

interface Payment {
  paymentId: string
  amount: string
  timestamp: string
  details: string
  agreementPayments: Array<{ agreementId: string; amount: string }>
}

interface Detail<D> {
  document: D
  payments: Payment[]
  rejection?: Rejection
}

const PAYMENT = '/payment-api/v1'
export const DOCUMENT_EVENTS = [`${PAYMENT}/debitNoteEvents`, `${PAYMENT}/invoiceEvents`, '/agora-api/v1/payment/issuedEvents']

async function loadDetail<D>(path: string, id: string, signal: AbortSignal): Promise<Detail<D>> {
  const at = `${PAYMENT}/${path}/${encodeURIComponent(id)}`
  const [document, payments, rejections] = await Promise.all([get<D>(at, signal), get<Payment[]>(`${at}/payments`, signal), loadRejections(signal)])
  const rejection = rejections.get(id)
  return rejection === undefined ? { document, payments } : { document, payments, rejection }
}

function useDetail<D>(path: string, id: string) {
  const changes = useEventCount(DOCUMENT_EVENTS)
  const [answered, setAnswered] = useState(0)
  const loaded = useLoaded(signal => loadDetail<D>(path, id, signal), [path, id, changes, answered])
  return { loaded, answered: () => setAnswered(n => n + 1) }
}

export function DebitNoteView({ id, nodeId }: { id: string; nodeId: string }) {
  const { loaded, answered } = useDetail<DebitNote>('debitNotes', id)
  return (
    <DocumentFrame kind="debit note" id={id} back={{ href: '#/payments', label: 'Payments' }}>
      <Frame loaded={loaded}>
        {({ document: note, payments, rejection }) => (
          <>
            <dl class="facts" id="document-facts">
              <dt>Total due</dt>
              <dd class="number" id="document-amount">
                {note.totalAmountDue}
              </dd>
              <Common document={note} rejection={rejection} nodeId={nodeId} />
              <dt>Activity</dt>
              <dd>
                <IdLink href={`#/activities/${note.activityId}`} id={note.activityId} />
              </dd>
              <dt>Previous debit note</dt>
              <dd>{note.previousDebitNoteId === undefined ? '—' : <DocumentLink kind="debit note" id={note.previousDebitNoteId} />}</dd>
              <dt>Usage counters</dt>
              <dd id="document-usage">{note.usageCounterVector.length === 0 ? '—' : note.usageCounterVector.join(', ')}</dd>
            </dl>
            {rejectable(note, nodeId) ? <RejectForm kind="debit note" id={note.debitNoteId} onDone={answered} /> : null}
            <Payments payments={payments} />
          </>
        )}
      </Frame>
    </DocumentFrame>
  )
}

export function InvoiceView({ id, nodeId }: { id: string; nodeId: string }) {
  const { loaded, answered } = useDetail<Invoice>('invoices', id)
  return (
    <DocumentFrame kind="invoice" id={id} back={{ href: '#/payments', label: 'Payments' }}>
      <Frame loaded={loaded}>
        {({ document: invoice, payments, rejection }) => (
          <>
            <dl class="facts" id="document-facts">
              <dt>Amount</dt>
              <dd class="number" id="document-amount">
                {invoice.amount}
              </dd>
              <Common document={invoice} rejection={rejection} nodeId={nodeId} />
              <dt>Activities</dt>
              <dd>
                {invoice.activityIds.length === 0
                  ? '—'
                  : invoice.activityIds.map(activityId => <IdLink key={activityId} href={`#/activities/${activityId}`} id={activityId} />)}
              </dd>
            </dl>
            {rejectable(invoice, nodeId) ? <RejectForm kind="invoice" id={invoice.invoiceId} onDone={answered} /> : null}
            <Payments payments={payments} />
          </>
        )}
      </Frame>
    </DocumentFrame>
  )
}

function DocumentFrame({ kind, id, back, children }: { kind: DocumentKind; id: string; back: { href: string; label: string }; children: ComponentChildren }) {
  const title = kind === 'invoice' ? 'Invoice' : 'Debit note'
  return (
    <section aria-labelledby="document-title">
      <h2 id="document-title">
        {title} <code>{id}</code>
      </h2>
      <p>
        <a href={back.href}>← {back.label}</a>
      </p>
      {children}
    </section>
  )
}

/** The fields both kinds have, and the rejection when there is one. */
function Common({ document, rejection, nodeId }: { document: Parties; rejection: Rejection | undefined; nodeId: string }) {
  const own = nodeId.toLowerCase()
  return (
    <>
      <dt>Status</dt>
      <dd id="document-status">{document.status}</dd>
      {rejection === undefined ? null : (
        <>
          <dt>Rejected</dt>
          <dd id="document-rejection">
            {rejectionText(rejection)} (accepted instead: {rejection.totalAmountAccepted})
          </dd>
        </>
      )}
      <dt>Direction</dt>
      <dd>{document.issuerId.toLowerCase() === own ? 'issued by this node' : 'received by this node'}</dd>
      <dt>Agreement</dt>
      <dd>
        <IdLink href={`#/agreements/${document.agreementId}`} id={document.agreementId} />
      </dd>
      <dt>Issuer</dt>
      <dd>
        <code>{document.issuerId}</code>
      </dd>
      <dt>Recipient</dt>
      <dd>
        <code>{document.recipientId}</code>
      </dd>
      <dt>Payee address</dt>
      <dd>
        <code>{document.payeeAddr}</code>
      </dd>
      <dt>Payer address</dt>
      <dd>
        <code>{document.payerAddr}</code>
      </dd>
      <dt>Payment platform</dt>
      <dd>{document.paymentPlatform}</dd>
      <dt>Issued</dt>
      <dd>{when(document.timestamp)}</dd>
      <dt>Payment due</dt>
      <dd>{when(document.paymentDueDate)}</dd>
    </>
  )
}

// The payment API links payments to agreements, not documents: these are the payments of the document's agreement.
function Payments({ payments }: { payments: Payment[] }) {
  return (
    <>
      <h3>Payments of its agreement</h3>
      {payments.length === 0 ? (
        <Empty what="payments" />
      ) : (
        <table id="document-payments">
          <caption class="visually-hidden">Payments of its agreement</caption>
          <thead>
            <tr>
              <th scope="col">Transaction</th>
              <th scope="col">Amount</th>
              <th scope="col">When</th>
            </tr>
          </thead>
          <tbody>
            {payments.map(payment => (
              <tr key={payment.paymentId}>
                <td>
                  <code class="tx-hash">{payment.details}</code>
                </td>
                <td class="number">{payment.amount}</td>
                <td>{when(payment.timestamp)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  )
}
