// The SDK's money: allocations (budgets reserved on the daemon) and the guard
// that checks every debit note and invoice of a rental before it is accepted.
export { createAllocation } from './allocation.ts'
export type { AllocationOptions } from './allocation.ts'
export { createPaymentGuard } from './guard.ts'
export type { GuardRejection, PaymentGuardOptions } from './guard.ts'
export { DEFAULT_SLACK } from './usage-checks.ts'
export type { UsageSlack } from './usage-checks.ts'
export type { AllocationHandle, GuardedAgreement, PaymentGuard } from './payment-guard.ts'
