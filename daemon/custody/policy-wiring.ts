// The custody module's part for policies: the file judge over
// <dataDir>/custody/policies, the audit log in the sublevel `audit`, uses in
// the sublevel `uses`, what negotiation asks (DealCustody) and the REST
// routes. The module calls startPolicies() and keeps what it returns.
import { join } from 'node:path'
import { AuditLog, checkManifest, FilePolicyJudge, signManifest } from '../../custody/index.ts'
import type { AuditDb, DatasetCatalog, PolicyDecision, UseRequest } from '../../custody/index.ts'
import type { CountStore } from '../../custody/policy/use-counts.ts'
import type { Clock } from '../../net/index.ts'
import type { ApiRoute } from '../api/server.ts'
import type { DealCustody } from '../provider/deals/deal-keeper.ts'
import type { ModuleContext } from '../service/module.ts'
import { policyRoutes } from './policy-routes.ts'

export interface PolicyPart {
  readonly judge: FilePolicyJudge
  readonly audit: AuditLog
  /** What the provider agent's negotiation asks. */
  readonly deals: DealCustody
  readonly routes: ApiRoute
  stop(): Promise<void>
}

export interface PolicyPartOptions {
  readonly clock: Clock
  /** The owner's datasets, once the module keeps them: a demand for one not there is refused (rule "dataset"). */
  readonly catalog?: () => DatasetCatalog | undefined
  readonly prefix: string
}

export const policiesDirOf = (dataDir: string): string => join(dataDir, 'custody', 'policies')

export async function startPolicies(context: ModuleContext, options: PolicyPartOptions): Promise<PolicyPart> {
  const logger = context.logger.child({ component: 'custody:policy' })
  const audit = new AuditLog({ db: context.db.sublevel('audit', { valueEncoding: 'json' }) as unknown as AuditDb, clock: options.clock, logger })
  await audit.open()
  const judge = new FilePolicyJudge({
    dir: policiesDirOf(context.config.dataDir),
    uses: context.db.sublevel('uses', { valueEncoding: 'json' }) as unknown as CountStore,
    audit,
    clock: options.clock,
    logger
  })
  await judge.start()
  const decide = (request: UseRequest): PolicyDecision => {
    const decision = judge.decide(request)
    const catalog = options.catalog?.()
    if (catalog === undefined || catalog.get(request.dataset) !== undefined) return decision
    // The policy's own refusals too: an owner checking a policy before adding its dataset sees them.
    const missing = { rule: 'dataset', message: `this node keeps no dataset ${request.dataset}` }
    return { allow: false, dataset: request.dataset, reasons: [missing, ...(decision.allow ? [] : decision.reasons)] }
  }
  const routes: ApiRoute = {
    prefix: options.prefix,
    plugin: policyRoutes({
      policyOf: dataset => ({ policy: judge.policy(dataset), file: judge.fileOf(dataset), sha3: judge.policySha3(dataset), summary: judge.summary(dataset) }),
      datasets: () => judge.datasets(),
      decide: request => decide({ ...request, at: options.clock.now() }),
      audit: async filter => await audit.list(filter),
      verifyAudit: async () => await audit.verify(),
      signManifest: fields => signManifest(context.key, fields),
      checkManifest
    })
  }
  return { judge, audit, deals: { decide, audit }, routes, stop: async () => await judge.stop() }
}
