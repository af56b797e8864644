// The payment of a finished rental as the requester's Payment API shows it:
// the payments of its invoice (or, without one, of its debit notes), waited
// for within a bound; "pending" when none has been made by then.
import { deadlineSignal } from '../../net/kernel.ts'
import type { ApiClient } from '../../sdk/index.ts'

export interface PaymentSeen {
  readonly status: 'paid' | 'pending'
  readonly paymentId?: string
  /** The transaction hash on chain. */
  readonly txHash?: string
  readonly amount?: string
  readonly platform?: string
}

interface PaymentWire {
  paymentId: string
  amount: string
  paymentPlatform: string
  details: string
}

interface DocumentRef {
  path: string
}

const PAYMENT_API = '/payment-api/v1'
/** Each long poll asks the daemon for at most this long, so the bound is kept however slow the chain. */
const POLL_STEP_S = 5

async function documentsOf(api: ApiClient, agreementId: string, invoiceId: string | undefined, signal: AbortSignal): Promise<DocumentRef[]> {
  if (invoiceId !== undefined) return [{ path: `invoices/${invoiceId}` }]
  const notes = await api.call<{ debitNoteId: string; agreementId: string }[]>('GET', `${PAYMENT_API}/debitNotes`, { query: { maxItems: 1000 }, signal })
  return notes.filter(note => note.agreementId === agreementId).map(note => ({ path: `debitNotes/${note.debitNoteId}` }))
}

function eventsOf(documents: DocumentRef[]): string {
  return documents[0]?.path.startsWith('invoices/') === true ? 'invoiceEvents' : 'debitNoteEvents'
}

/** Waits at most `waitMs` for a payment of the rental's documents. */
export async function paymentOf(
  api: ApiClient,
  rental: { readonly agreementId: string; readonly invoiceId?: string | undefined },
  waitMs: number,
  now: () => number = Date.now
): Promise<PaymentSeen> {
  const deadline = now() + waitMs
  const bound = deadlineSignal(Math.max(1, waitMs + 5_000))
  const signal = bound.signal
  try {
    const documents = await documentsOf(api, rental.agreementId, rental.invoiceId, signal)
    if (documents.length === 0) return { status: 'pending' }
    let since = new Date(now()).toISOString()
    for (;;) {
      for (const document of documents) {
        const payments = await api.call<PaymentWire[]>('GET', `${PAYMENT_API}/${document.path}/payments`, { signal })
        const payment = payments.at(-1)
        if (payment !== undefined) {
          return { status: 'paid', paymentId: payment.paymentId, txHash: payment.details, amount: payment.amount, platform: payment.paymentPlatform }
        }
      }
      const left = deadline - now()
      if (left <= 0) return { status: 'pending' }
      // The daemon's own wait: the long poll returns at the next document event (a settlement), or after the step.
      const step = Math.min(POLL_STEP_S, Math.max(1, Math.ceil(left / 1000)))
      const events = await api.call<{ eventDate: string }[]>('GET', `${PAYMENT_API}/${eventsOf(documents)}`, {
        query: { afterTimestamp: since, timeout: step, maxEvents: 100 },
        timeoutMs: step * 1000 + 5_000,
        signal
      })
      since = events.at(-1)?.eventDate ?? since
    }
  } catch {
    // A daemon that does not answer about payments leaves the job's result as it is.
    return { status: 'pending' }
  } finally {
    bound.clear()
  }
}
