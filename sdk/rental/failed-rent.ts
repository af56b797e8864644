// A rent that fails after it made an agreement has ended that agreement and
// settled what it owed; the error it throws carries that agreement's report,
// so a pool (or a caller) still accounts for every agreement's cost.
import type { RentalReport } from '../types.ts'

const reports = new WeakMap<object, RentalReport>()

/** `error`, remembered with the report of the agreement the failed rent ended. */
export function withRentReport<E>(error: E, report: RentalReport | undefined): E {
  if (report !== undefined && typeof error === 'object' && error !== null) reports.set(error, report)
  return error
}

/** The report of the agreement a failed rent made and ended (its cost, its invoice), if it made one. */
export function rentReportOf(error: unknown): RentalReport | undefined {
  return typeof error === 'object' && error !== null ? reports.get(error) : undefined
}
