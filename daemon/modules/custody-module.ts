// Data custody as a daemon module: the owner's datasets and policies, the
// audit log, the grants the exe-unit asks for, secure aggregation between
// owners (and as the requester's aggregator), the ε ledger, and the
// custody REST routes under /agora-api/v1/custody.
import Type from 'typebox'
import { systemClock, validator } from '../../net/index.ts'
import type { Clock } from '../../net/index.ts'
import type { ActivityCustody } from '../../exe-unit/index.ts'
import type { SecaggContributor } from '../../custody/index.ts'
import { secaggApiRoute, startSecagg } from '../custody/secagg-wiring.ts'
import type { SecaggParts, SecaggWiring } from '../custody/secagg-wiring.ts'
import type { AuditLog, FilePolicyJudge } from '../../custody/index.ts'
import { startPolicies } from '../custody/policy-wiring.ts'
import { openCustodyPrivacy } from '../custody/privacy-wiring.ts'
import type { PolicyPart } from '../custody/policy-wiring.ts'
import type { DealCustody } from '../provider/deals/deal-keeper.ts'
import type { ApiRoute } from '../api/server.ts'
import type { DaemonModule, ModuleContext } from '../service/module.ts'
import type { MarketModule } from './market-module.ts'
import { startWorkflows } from '../custody/workflow-wiring.ts'
import type { RunningWorkflows } from '../custody/workflow-wiring.ts'
import { DatasetLimitsSchema } from '../../custody/index.ts'
import type { DatasetCatalog, DatasetRegistry } from '../../custody/index.ts'
import { openDatasets } from '../custody/datasets-wiring.ts'
import { activityGrants } from '../custody/grants-wiring.ts'

export const CUSTODY_API_PREFIX = '/agora-api/v1/custody'

/** `modules.custody` in the config file. */
const CustodySection = Type.Object(
  {
    /** Limits of `agora data add`: bytes and files per dataset, datasets per node. */
    datasets: Type.Optional(DatasetLimitsSchema)
  },
  { additionalProperties: false }
)
const custodySection = validator(CustodySection, 'config modules.custody')

export interface CustodyModuleComponents {
  clock?: Clock
  /** Secure aggregation's privacy noise and ledger (custody/privacy). */
  secagg?: Omit<SecaggParts, 'clock'>
}

export class CustodyModule implements DaemonModule {
  readonly name = 'custody'
  readonly config = custodySection
  readonly #market: MarketModule
  readonly #components: CustodyModuleComponents
  #activityCustody: ActivityCustody | undefined
  #secagg: SecaggWiring | undefined
  #workflows: RunningWorkflows | undefined
  #policies: PolicyPart | undefined
  #datasets: DatasetRegistry | undefined
  routes: ApiRoute[] = [secaggApiRoute(CUSTODY_API_PREFIX, () => this.#secagg)]

  constructor(market: MarketModule, components: CustodyModuleComponents = {}) {
    this.#market = market
    this.#components = components
  }

  /** What the exe-unit asks at every activity on a dataset; undefined until the module has started. */
  get activityCustody(): ActivityCustody | undefined {
    return this.#activityCustody
  }

  /** The owner's policies in force (from <dataDir>/custody/policies), reloaded as their files change. */
  get policies(): FilePolicyJudge {
    return this.#started(this.#policies).judge
  }

  /** The owner's hash-chained audit log. */
  get audit(): AuditLog {
    return this.#started(this.#policies).audit
  }

  /** What the provider agent's negotiation asks of the owner's policies; undefined until the module has started. */
  get dealCustody(): DealCustody | undefined {
    return this.#policies?.deals
  }

  /** The owner's registered datasets (offered by the provider agent, mounted by grants). */
  get datasets(): DatasetCatalog {
    return this.#started(this.#datasets)
  }

  /** The owner's side of secure aggregation: what an activity's `agora-secagg:` transfer calls. */
  get secagg(): SecaggContributor {
    return this.#started(this.#secagg).contributor
  }

  async start(context: ModuleContext): Promise<void> {
    const section = custodySection.parse(context.config.modules.custody ?? {})
    // Policies first: the datasets' descriptors carry their summaries, and decisions ask the datasets kept.
    const policies = await startPolicies(context, { clock: this.#components.clock ?? systemClock, prefix: CUSTODY_API_PREFIX, catalog: () => this.#datasets })
    this.#policies = policies
    this.routes.push(policies.routes)
    const datasets = await openDatasets(context, {
      market: this.#market.market,
      apiPrefix: CUSTODY_API_PREFIX,
      limits: section.datasets,
      clock: this.#components.clock,
      policySummary: name => policies.judge.summary(name),
      // Additions and removals go in the owner's audit log beside the decisions.
      audit: policies.audit
    })
    this.#datasets = datasets.registry
    this.routes.push(datasets.route)
    const { judge, audit } = policies
    const privacy = await openCustodyPrivacy({
      db: context.db,
      audit,
      logger: context.logger,
      ...(this.#components.clock === undefined ? {} : { clock: this.#components.clock })
    })
    // The grant spends ε before it contributes: the contributor is given only the noise (one spend per query).
    const { ledger: _ledger, ...secaggParts } = this.#components.secagg ?? {}
    this.#secagg = await startSecagg(context, {
      noise: privacy.noise,
      ...secaggParts,
      ...(this.#components.clock === undefined ? {} : { clock: this.#components.clock })
    })
    this.#activityCustody = activityGrants({
      catalog: datasets.registry,
      judge,
      audit,
      clock: this.#components.clock ?? systemClock,
      logger: context.logger,
      ledger: this.#components.secagg?.ledger ?? privacy.ledger,
      secagg: this.#secagg.contributor
    })
    const parts = { clock: this.#components.clock ?? systemClock, policies: () => this.#policies?.judge, audit: () => this.#policies?.audit }
    this.#workflows = await startWorkflows(context, parts, CUSTODY_API_PREFIX)
    this.routes.push(...this.#workflows.routes)
  }

  async stop(): Promise<void> {
    await this.#workflows?.stop()
    this.#workflows = undefined
    await this.#secagg?.stop()
    await this.#policies?.stop()
  }

  #started<T>(part: T | undefined): T {
    if (part === undefined) throw new Error('the custody module has not started')
    return part
  }
}
