// The reasons of rejected documents. The Golem document carries only its
// state, and reading them from the payment event logs costs the whole log each
// time (it only grows), so the page reads Agora's
// GET /agora-api/v1/payment/rejections: one entry per document now REJECTED,
// as the ledger holds it.
import { get } from './api.ts'

export interface Rejection {
  rejectionReason: string
  totalAmountAccepted: string
  message?: string
}

interface RejectionEntry {
  debitNoteId?: string
  invoiceId?: string
  rejection: Rejection
}

/** Document id → its rejection. */
export async function loadRejections(signal: AbortSignal): Promise<Map<string, Rejection>> {
  const entries = await get<RejectionEntry[]>('/agora-api/v1/payment/rejections', signal)
  const byId = new Map<string, Rejection>()
  for (const entry of entries) {
    const id = entry.debitNoteId ?? entry.invoiceId
    if (id !== undefined) byId.set(id, entry.rejection)
  }
  return byId
}

export function rejectionText(rejection: Rejection): string {
  return `${rejection.rejectionReason}${rejection.message === undefined ? '' : `: ${rejection.message}`}`
}
