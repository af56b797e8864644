// The modules `agora service run` plugs into the daemon, in start order.
import { ActivityModule } from '../modules/activity-module.ts'
import { MarketModule } from '../modules/market-module.ts'
import type { DaemonModule } from './module.ts'

// Each module is built by constructor injection from the ones it depends on;
// payment joins here as it lands.
export function defaultModules(): DaemonModule[] {
  const market = new MarketModule()
  return [market, new ActivityModule(market)]
}
