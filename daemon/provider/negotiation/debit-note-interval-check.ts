// How often debit notes come (golem.com.scheme.payu.debit-note.interval-sec?).
import { PAYMENT_PROPERTIES } from '../../../payment/index.ts'
import type { NegotiationCheck } from './check.ts'
import { negotiateRange } from './negotiated-range.ts'

export const debitNoteIntervalCheck: NegotiationCheck = {
  name: 'debit-note-interval',
  check: input =>
    negotiateRange(
      { property: PAYMENT_PROPERTIES.debitNoteInterval, code: 'DebitNoteInterval', whenAbsent: 'preferred' },
      input.settings.debitNoteInterval,
      input
    )
}
