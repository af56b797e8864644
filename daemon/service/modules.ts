// The modules `agora service run` plugs into the daemon, in start order.
import type { DaemonConfig } from '../config/schema.ts'
import { MarketModule } from '../modules/market-module.ts'
import type { DaemonModule } from './module.ts'

// Each module is built by constructor injection from the ones it depends on;
// exe-unit and payment join here as they land.
export function defaultModules (_config: DaemonConfig): DaemonModule[] {
  return [new MarketModule()]
}
