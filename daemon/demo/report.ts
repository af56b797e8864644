// The demo's closing report: agreements, debit notes, invoices, the payment
// transactions, and every party's token balance before and after.
import { formatAmount } from '../../payment/model/amounts.ts'
import { table } from '../cli/table.ts'
import type { Ledger } from './ledger.ts'
import type { Party } from './marketplace.ts'
import type { Balances } from './money.ts'
import { signedAmount } from './money.ts'

function short(id: string): string {
  return id.length > 14 ? `${id.slice(0, 12)}…` : id
}

export function ledgerReport(ledger: Ledger, parties: readonly Party[]): string {
  const nameOf = (nodeId: string): string => parties.find(party => party.nodeId.toLowerCase() === nodeId.toLowerCase())?.name ?? short(nodeId)
  const sections = [
    `Agreements (${ledger.agreements.length}):`,
    table(
      ['AGREEMENT', 'PROVIDER', 'STATE'],
      ledger.agreements.map(agreement => [short(agreement.agreementId), nameOf(agreement.providerId), agreement.state])
    ),
    `Debit notes (${ledger.debitNotes.length}):`,
    table(
      ['DEBIT NOTE', 'AGREEMENT', 'FROM', 'TOTAL DUE', 'STATUS'],
      ledger.debitNotes.map(note => [short(note.debitNoteId), short(note.agreementId), nameOf(note.issuerId), note.totalAmountDue, note.status])
    ),
    `Invoices (${ledger.invoices.length}):`,
    table(
      ['INVOICE', 'AGREEMENT', 'FROM', 'AMOUNT', 'STATUS'],
      ledger.invoices.map(invoice => [short(invoice.invoiceId), short(invoice.agreementId), nameOf(invoice.issuerId), invoice.amount, invoice.status])
    ),
    `Payments on chain (${ledger.payments.length}):`,
    table(
      ['PAYMENT', 'TO', 'AMOUNT', 'AGREEMENTS', 'TRANSACTION'],
      ledger.payments.map(payment => [
        short(payment.paymentId),
        nameOf(payment.payeeId),
        payment.amount,
        String(payment.agreementPayments.length),
        payment.details
      ])
    )
  ]
  return sections.join('\n')
}

export function balanceReport(parties: readonly Party[], before: Balances, after: Balances): string {
  const rows = parties.map(party => {
    const was = before.get(party.name)
    const is = after.get(party.name)
    if (was === undefined || is === undefined) return [party.name, party.nodeId, '-', '-', '-', '-']
    return [party.name, party.nodeId, formatAmount(was.token), formatAmount(is.token), signedAmount(is.token - was.token), signedAmount(is.gas - was.gas)]
  })
  return `Token balances on chain:\n${table(['PARTY', 'ADDRESS', 'BEFORE', 'AFTER', 'CHANGE', 'GAS CHANGE'], rows)}`
}
