// The modules `agora service run` plugs into the daemon, in start order.
import type { DaemonConfig } from '../config/schema.ts'
import type { DaemonModule } from './module.ts'

// The market, exe-unit and payment modules are added here as they land, each
// built by constructor injection from the ones it depends on.
export function defaultModules (_config: DaemonConfig): DaemonModule[] {
  return []
}
