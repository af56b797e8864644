// The modules `agora service run` plugs into the daemon, in start order.
import { ActivityModule } from '../modules/activity-module.ts'
import { CustodyModule } from '../modules/custody-module.ts'
import { MarketModule } from '../modules/market-module.ts'
import { PaymentModule } from '../modules/payment-module.ts'
import type { OpenSettlement } from '../modules/payment-module.ts'
import { ProviderModule } from '../modules/provider-module.ts'
import type { ProviderModuleComponents } from '../modules/provider-module.ts'
import type { UsageReadings } from '../modules/usage-readings.ts'
import type { Clock } from '../../net/index.ts'
import { openSettlement } from '../../payment/index.ts'
import type { DaemonModule } from './module.ts'

/** Parts every module may take instead of its default (a test's manual clock). */
export interface ModuleComponents {
  clock?: Clock
  /** The chain settlement the payment module opens for its networks. */
  openSettlement?: OpenSettlement
  /** The provider agent's view of the machine and of the runtimes that answer. */
  provider?: Omit<ProviderModuleComponents, 'clock'>
  /** What the provider's payment flow reads of its usage counters (tests: a dishonest provider); as measured by default. */
  usageReadings?: UsageReadings
}

// Each module is built by constructor injection from the ones it depends on.
export function defaultModules(components: ModuleComponents = {}): DaemonModule[] {
  const market = new MarketModule(components)
  const clock = components.clock === undefined ? {} : { clock: components.clock }
  const custody = new CustodyModule(market, clock)
  const activity = new ActivityModule(market, { ...components, custody })
  const payment = new PaymentModule(market, activity, { openSettlement, ...components })
  return [market, custody, activity, payment, new ProviderModule(market, activity, payment, { ...components.provider, ...clock, custody })]
}
