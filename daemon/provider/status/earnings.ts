// The provider's earnings per agreement, read from the payment ledger: the
// latest total its debit notes and invoice asked, what the requester accepted
// and what was paid (verified on chain), in base units.
import type { Ledger } from '../../../payment/index.ts'

export interface AgreementEarnings {
  readonly requested: bigint
  readonly accepted: bigint
  readonly paid: bigint
}

export function earningsOf(ledger: Ledger): AgreementEarnings[] {
  const agreementIds = new Set(
    ledger.documents
      .all()
      .filter(record => record.role === 'Provider')
      .map(record => record.document.agreementId)
  )
  return [...agreementIds].map(agreementId => {
    let requested = 0n
    for (const record of ledger.documents.ofAgreement(agreementId, 'Provider')) {
      // Each note states the agreement's cumulative total: the largest is the latest.
      const amount = BigInt(record.kind === 'invoice' ? record.document.amount : record.document.totalAmountDue)
      if (amount > requested) requested = amount
    }
    return { requested, accepted: ledger.documents.acceptedTotal(agreementId, 'Provider'), paid: ledger.settledTotal(agreementId, 'Provider') }
  })
}
