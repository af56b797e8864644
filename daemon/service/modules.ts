// The modules `agora service run` plugs into the daemon, in start order.
import { ActivityModule } from '../modules/activity-module.ts'
import { MarketModule } from '../modules/market-module.ts'
import type { Clock } from '../../net/index.ts'
import type { DaemonModule } from './module.ts'

/** Parts every module may take instead of its default (a test's manual clock). */
export interface ModuleComponents {
  clock?: Clock
}

// Each module is built by constructor injection from the ones it depends on;
// payment joins here as it lands.
export function defaultModules(components: ModuleComponents = {}): DaemonModule[] {
  const market = new MarketModule(components)
  return [market, new ActivityModule(market, components)]
}
