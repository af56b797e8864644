// A payment guard for the rental tests: it accepts every debit note and
// invoice of the agreements it watches at the amount due, from the
// rental's allocation. It checks nothing; the SDK's own guard is tested on its own.
import type { ApiClient } from '../../sdk/index.ts'
import { parseAmount } from '../../payment/index.ts'
import type { GuardedAgreement, PaymentGuard } from '../../sdk/payments/payment-guard.ts'
import type { RentalReport } from '../../sdk/types.ts'

interface Document {
  readonly agreementId: string
  readonly status: string
  readonly debitNoteId?: string
  readonly invoiceId?: string
  readonly totalAmountDue?: string
  readonly amount?: string
}

export function honestAcceptor(api: ApiClient): PaymentGuard {
  const watched = new Map<string, GuardedAgreement>()
  const accepted = new Map<string, bigint>()
  const invoices = new Map<string, string>()
  const answered = new Set<string>()
  let running = true

  const acceptAll = async (): Promise<void> => {
    for (const [kind, path] of [
      ['debitNote', 'debitNotes'],
      ['invoice', 'invoices']
    ] as const) {
      const documents = await api.call<Document[]>('GET', `/payment-api/v1/${path}`, { query: { maxItems: 1000 } })
      for (const document of documents) {
        const guarded = watched.get(document.agreementId)
        const id = kind === 'debitNote' ? document.debitNoteId : document.invoiceId
        if (guarded === undefined || id === undefined || answered.has(id) || document.status !== 'RECEIVED') continue
        answered.add(id)
        const amount = (kind === 'debitNote' ? document.totalAmountDue : document.amount) ?? '0'
        await api.call('POST', `/payment-api/v1/${path}/${id}/accept`, { body: { totalAmountAccepted: amount, allocationId: guarded.allocationId } })
        const total = parseAmount(amount, 'amount')
        accepted.set(document.agreementId, total)
        if (kind === 'invoice') invoices.set(document.agreementId, id)
        guarded.onAccepted?.(total, id)
      }
    }
  }

  const loop = (async () => {
    while (running) {
      await acceptAll().catch(() => {})
      await new Promise(resolve => setTimeout(resolve, 100))
    }
  })()

  return {
    watch: agreement => {
      watched.set(agreement.agreement.agreementId, agreement)
    },
    acceptedTotal: agreementId => accepted.get(agreementId) ?? 0n,
    settle: async (agreementId, options): Promise<RentalReport> => {
      const deadline = Date.now() + options.timeoutMs
      while (!invoices.has(agreementId) && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 100))
      const guarded = watched.get(agreementId)
      const invoiceId = invoices.get(agreementId)
      return {
        agreementId,
        providerId: guarded?.agreement.offer.providerId ?? '',
        cost: accepted.get(agreementId) ?? 0n,
        ...(invoiceId === undefined ? {} : { invoiceId }),
        rejected: []
      }
    },
    close: async () => {
      running = false
      await loop
    }
  }
}
