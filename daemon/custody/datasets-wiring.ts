// The custody module's datasets: the registry over the module's `datasets`
// sublevel and <dataDir>/custody, opened at start, and its REST routes.
import { join } from 'node:path'
import { DATA_PROPERTY, DatasetRegistry, datasetLimitsOf } from '../../custody/index.ts'
import type { Market } from '../../market/index.ts'
import type { DatasetLimitsConfig } from '../../custody/index.ts'
import type { Clock, RawRecordStore } from '../../net/index.ts'
import { datasetRoutes } from '../api/custody-dataset-routes.ts'
import type { ApiRoute } from '../api/server.ts'
import type { ModuleContext } from '../service/module.ts'

export const DATASETS_API_PATH = '/datasets'
const NO_POLICY = 'policy: none'

export interface DatasetsWiring {
  readonly registry: DatasetRegistry
  readonly route: ApiRoute
}

export async function openDatasets(
  context: ModuleContext,
  init: {
    /** Whose agreements tell a dataset in use (an Approved agreement on an offer of it). */
    readonly market: Pick<Market, 'listAgreements' | 'agreementRecord'>
    readonly apiPrefix: string
    readonly limits: DatasetLimitsConfig | undefined
    readonly clock?: Clock | undefined
    readonly policySummary?: (name: string) => string
  }
): Promise<DatasetsWiring> {
  const registry = new DatasetRegistry(
    {
      db: context.db.sublevel('datasets') as unknown as RawRecordStore,
      root: join(context.config.dataDir, 'custody'),
      logger: context.logger.child({ component: 'custody:datasets' }),
      inUse: name => inForce(init.market, name),
      ...(init.clock === undefined ? {} : { clock: init.clock })
    },
    datasetLimitsOf(init.limits)
  )
  await registry.open()
  const policySummary = init.policySummary ?? (() => NO_POLICY)
  const desk = {
    list: () => registry.list(),
    require: (name: string) => registry.require(name),
    add: async (request: Parameters<DatasetRegistry['add']>[0]) => await registry.add(request),
    remove: async (name: string) => await registry.remove(name),
    policySummary
  }
  return { registry, route: { prefix: `${init.apiPrefix}${DATASETS_API_PATH}`, plugin: datasetRoutes(desk) } }
}

/** Whether an agreement this node approved as the provider, on an offer of the dataset, is in force. */
function inForce(market: Pick<Market, 'listAgreements' | 'agreementRecord'>, dataset: string): boolean {
  return market.listAgreements({ state: 'Approved' }).some(entry => {
    const record = market.agreementRecord(entry.id)
    return record?.role === 'Provider' && record.terms.offer.properties[DATA_PROPERTY.name] === dataset
  })
}
