// Data custody as a daemon module: the owner's datasets and policies, the
// audit log, the grants the exe-unit asks for, secure aggregation between
// owners (and as the requester's aggregator), the ε ledger, and the
// custody REST routes under /agora-api/v1/custody.
import Type from 'typebox'
import { validator } from '../../net/index.ts'
import { systemClock } from '../../net/index.ts'
import type { Clock } from '../../net/index.ts'
import type { AuditSink, PolicyJudge } from '../../custody/index.ts'
import type { ActivityCustody } from '../../exe-unit/index.ts'
import type { ApiRoute } from '../api/server.ts'
import type { DaemonModule, ModuleContext } from '../service/module.ts'
import type { MarketModule } from './market-module.ts'
import { startWorkflows } from '../custody/workflow-wiring.ts'
import type { RunningWorkflows } from '../custody/workflow-wiring.ts'
import { DatasetLimitsSchema } from '../../custody/index.ts'
import type { DatasetCatalog, DatasetRegistry } from '../../custody/index.ts'
import { openDatasets } from '../custody/datasets-wiring.ts'

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
  /** The policies in force, where the daemon is given them rather than reading its own. */
  policies?: PolicyJudge
  /** The owner's audit log, where the daemon is given one. */
  audit?: AuditSink
}

export class CustodyModule implements DaemonModule {
  readonly name = 'custody'
  readonly config = custodySection
  readonly #market: MarketModule
  readonly #components: CustodyModuleComponents
  #activityCustody: ActivityCustody | undefined
  #workflows: RunningWorkflows | undefined
  #datasets: DatasetRegistry | undefined
  routes: ApiRoute[] = []

  constructor(market: MarketModule, components: CustodyModuleComponents = {}) {
    this.#market = market
    this.#components = components
  }

  /** What the exe-unit asks at every activity on a dataset; undefined until the module has started. */
  get activityCustody(): ActivityCustody | undefined {
    return this.#activityCustody
  }

  /** The owner's registered datasets (offered by the provider agent, mounted by grants). */
  get datasets(): DatasetCatalog {
    if (this.#datasets === undefined) throw new Error('the custody module has not started')
    return this.#datasets
  }

  async start(context: ModuleContext): Promise<void> {
    const section = custodySection.parse(context.config.modules.custody ?? {})
    const datasets = await openDatasets(context, {
      market: this.#market.market,
      apiPrefix: CUSTODY_API_PREFIX,
      limits: section.datasets,
      clock: this.#components.clock
    })
    this.#datasets = datasets.registry
    this.routes.push(datasets.route)
    void this.#market
    const parts = { clock: this.#components.clock ?? systemClock, policies: () => this.#components.policies, audit: () => this.#components.audit }
    this.#workflows = await startWorkflows(context, parts, CUSTODY_API_PREFIX)
    this.routes.push(...this.#workflows.routes)
  }

  async stop(): Promise<void> {
    await this.#workflows?.stop()
    this.#workflows = undefined
  }
}
