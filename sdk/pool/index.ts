// Pools of rentals (rentMany): min and max mean exactly that, the budget is
// shared by max rentals, lost providers are replaced.
export { createRentalPool, openManagedPool } from './rental-pool.ts'
export type { ManagedRentalPool, PoolComponents, RentFn } from './rental-pool.ts'
export { shareOfBudget, budgetUnits } from './pool-budget.ts'
export { checkPoolLimits } from './pool-limits.ts'
export { anySignal, onAbort, throwIfAborted } from './aborts.ts'
