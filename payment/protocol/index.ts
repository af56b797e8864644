// The messages between the two daemons of an agreement, over the payment outbox.
export { PaymentOutbox, PAYMENT_FINAL_CODES } from './payment-outbox.ts'
export type { PaymentOutboxOptions, Received } from './payment-outbox.ts'
export { PAYMENT_MESSAGES, proofOf, proofWire, payoutOf, payoutWire } from './messages.ts'
export type { AcceptancePayload, RejectionPayload, PayoutPayload, PaymentMessageKind } from './messages.ts'
