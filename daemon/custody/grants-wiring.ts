// The grants the exe-unit asks for at every activity on a dataset: the
// owner's registered datasets, its policies in force and its audit log, with
// the ε ledger and the secure-aggregation contributor where the daemon has them.
import { CustodyGrants } from '../../custody/index.ts'
import type { AuditSink, DatasetCatalog, PolicyJudge, PrivacyLedger, SecaggContributor } from '../../custody/index.ts'
import type { ActivityCustody } from '../../exe-unit/index.ts'
import type { Clock, Logger } from '../../net/index.ts'

export function activityGrants(parts: {
  catalog: DatasetCatalog
  judge: PolicyJudge
  audit: AuditSink
  clock: Clock
  logger: Logger
  ledger?: PrivacyLedger | undefined
  secagg?: SecaggContributor | undefined
}): ActivityCustody {
  const { ledger, secagg, ...required } = parts
  return new CustodyGrants({ ...required, ...(ledger === undefined ? {} : { ledger }), ...(secagg === undefined ? {} : { secagg }) })
}
