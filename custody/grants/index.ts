// The grants of datasets to activities: the ActivityCustody the custody module hands the exe-unit.
export { CustodyGrants } from './activity-custody.ts'
export type { ActivityCustodyOptions } from './activity-custody.ts'
