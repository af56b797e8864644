// Whether an intent ended without an outcome: the sender gave up waiting
// (stopped, or no node answers), so the intent stays on disk and with the
// sender for the next start, and nothing about it may be concluded yet.
import { ChainError } from '../chain/chain-error.ts'
import { PaymentError } from '../model/payment-error.ts'

export function isUnfinished(err: unknown): boolean {
  return (err instanceof ChainError || err instanceof PaymentError) && (err.code === 'Unavailable' || err.code === 'Timeout')
}
