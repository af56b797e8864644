// A pool's budget covers every rental it may hold at once: `max` equal shares
// in base units, each rental renting with one share, so the pool as a whole
// never spends more than its budget (golem-js budgets a pool for its minimum).
import { parseAmount } from '../../payment/model/amounts.ts'
import { SdkError } from '../errors.ts'

/** Base units of `budget` (token units as a decimal string, or base units). */
export function budgetUnits(budget: string | bigint): bigint {
  if (typeof budget === 'bigint') {
    if (budget < 0n) throw new SdkError('BadRequest', 'budget must not be negative')
    return budget
  }
  try {
    return parseAmount(budget, 'budget')
  } catch (err) {
    // The payment module's error carries a safe message; the SDK's callers get the SDK's class.
    throw new SdkError('BadRequest', (err as Error).message)
  }
}

/**
 * Each rental's share of the pool's budget: floor(budget / max) base units. The remainder (under `max` base
 * units) is never spent. A budget that cannot give each of `max` rentals one base unit is refused.
 */
export function shareOfBudget(budget: string | bigint, max: number): bigint {
  const total = budgetUnits(budget)
  const share = total / BigInt(max)
  if (share === 0n) throw new SdkError('BadRequest', `budget ${total} base units cannot be shared by max ${max} rentals`)
  return share
}
