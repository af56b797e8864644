// The owner's ε ledger in the custody module: the sublevel `privacy`, its
// spends and refusals audited; the grants spend from it before an activity's
// contribution to a secure sum gets its noise.
import { openPrivacyLedger } from '../../custody/index.ts'
import type { AuditSink, PrivacyLedger } from '../../custody/index.ts'
import type { RawRecordStore } from '../../net/index.ts'
import type { ModuleContext } from '../service/module.ts'

export async function openLedger(context: ModuleContext, audit: AuditSink): Promise<PrivacyLedger> {
  return await openPrivacyLedger({
    db: context.db.sublevel('privacy') as unknown as RawRecordStore,
    audit,
    logger: context.logger
  })
}
