// The custody module's differential privacy: the ε ledger in the custody
// sublevel `privacy` and the noise source the owner's secure-aggregation
// contributions draw from. The module calls this once at start, with its
// audit log. ε is spent once per contribution: the dataset's grant spends it
// before it contributes (custody/grants), so the secure-aggregation
// contributor is given only the noise, not the ledger as well.
import { noise, openPrivacyLedger } from '../../custody/index.ts'
import type { AuditSink, PrivacyLedger, PrivacyPolicy } from '../../custody/index.ts'
import type { Clock, Logger, RawRecordStore } from '../../net/kernel.ts'
import type { Sublevel } from '../store/store.ts'

export interface CustodyPrivacy {
  readonly ledger: PrivacyLedger
  /** One owner's noise for a contribution of `length` values (custody/privacy's noise, from the OS CSPRNG). */
  readonly noise: (policy: PrivacyPolicy, length: number, fractionalBits: number, threshold: number) => bigint[]
}

export interface CustodyPrivacyParts {
  /** The custody module's own sublevel; the ledger lives in its sublevel `privacy`. */
  readonly db: Sublevel
  readonly audit: AuditSink
  readonly logger: Logger
  readonly clock?: Pick<Clock, 'now'>
}

export async function openCustodyPrivacy(parts: CustodyPrivacyParts): Promise<CustodyPrivacy> {
  const db = parts.db.sublevel<string, unknown>('privacy', { valueEncoding: 'json' }) as unknown as RawRecordStore
  const ledger = await openPrivacyLedger({ db, audit: parts.audit, logger: parts.logger, ...(parts.clock === undefined ? {} : { clock: parts.clock }) })
  return { ledger, noise: (policy, length, fractionalBits, threshold) => noise(policy, length, fractionalBits, threshold) }
}
