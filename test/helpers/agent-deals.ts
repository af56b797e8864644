// A provider daemon's deal keeper, attached in the test to the daemon's own
// market, exe-unit and payment module, with settings a test sets, one offer
// published as the agent would publish it, and its store in a LevelDB of its
// own; and a requester that negotiates with it over REST as golem-js does.
import { join } from 'node:path'
import { DealKeeper } from '../../daemon/provider/deals/deal-keeper.ts'
import type { DealCustody, DealKeeperInit } from '../../daemon/provider/deals/deal-keeper.ts'
import type { AgentOffers, ProviderPreset, ProviderSettings, ProviderSettingsSource } from '../../daemon/provider/model.ts'
import { createLogger } from '../../daemon/index.ts'
import { Store } from '../../daemon/store/store.ts'
import type { MarketModule } from '../../daemon/modules/market-module.ts'
import type { ActivityModule } from '../../daemon/modules/activity-module.ts'
import type { PaymentModule } from '../../daemon/modules/payment-module.ts'
import type { Market } from '../../market/index.ts'
import { eventually } from './wait.ts'
import type { Clock } from '../../net/index.ts'
import { systemClock } from '../../net/index.ts'
import type { TestNode } from './cluster.ts'
import { providerOffer } from './golem-terms.ts'
import { initialProposalId } from '../../market/negotiation/proposal-book.ts'

export const AGENT_SETTINGS: ProviderSettings = {
  offering: true,
  cores: 2,
  memoryGib: 2,
  diskGib: 10,
  maxAgreements: 5,
  debitNoteInterval: { minSec: 1, maxSec: 600, preferredSec: 120 },
  acceptTimeout: { minSec: 5, maxSec: 900, preferredSec: 240 },
  paymentTimeout: { minSec: 300, maxSec: 86_400, preferredSec: 3600 },
  minAgreementSec: 300,
  maxAgreementSec: 86_400,
  idleAgreementSec: 600,
  allowRequesters: [],
  denyRequesters: []
}

const PRESET: ProviderPreset = { name: 'wasm', runtime: 'wasmtime', pricing: { startingFee: '0', envPerHour: '0.18', cpuPerHour: '0.36' } }

export class TestSettings implements ProviderSettingsSource {
  current: ProviderSettings
  readonly #listeners = new Set<() => void>()
  constructor(settings: Partial<ProviderSettings> = {}) {
    this.current = { ...AGENT_SETTINGS, ...settings }
  }
  settings = (): ProviderSettings => this.current
  presets = (): readonly ProviderPreset[] => [PRESET]
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }
  set(change: Partial<ProviderSettings>): void {
    this.current = { ...this.current, ...change }
    for (const listener of this.#listeners) listener()
  }
}

export interface AttachedKeeper {
  keeper: DealKeeper
  offerId: string
  /** The offer's golem.node.id.name, by which the requester tells it from others. */
  offerName: string
  settings: TestSettings
  market: Market
  stop: () => Promise<void>
}

export interface AttachOptions {
  settings?: TestSettings
  init?: DealKeeperInit
  clock?: Clock
  /** The offer to publish; by default one like providerOffer's, on the dev platform. */
  offerExtra?: Record<string, unknown>
  /** An offer published before (a restart): listened to again instead of a new one. */
  offerId?: string
  offerName?: string
  /** Payment platforms the keeper supports (default: the payment module's dev platform and its alias). */
  supportsPlatform?: (platform: string) => boolean
  /** The owner's policies the keeper asks on demands naming a dataset (e.g. the custody module's dealCustody). */
  custody?: DealCustody
}

export async function attachKeeper(node: TestNode, options: AttachOptions = {}): Promise<AttachedKeeper> {
  // By name: the daemon's modules are not always in the same places (custody starts between market and activity).
  const moduleNamed = <T>(name: string): T => node.modules.find(module => module.name === name) as T
  const [marketModule, activityModule, paymentModule] = [
    moduleNamed<MarketModule>('market'),
    moduleNamed<ActivityModule>('activity'),
    moduleNamed<PaymentModule>('payment')
  ]
  const market = marketModule.market
  const name = options.offerName ?? `agent-${Math.random().toString(36).slice(2)}`
  const offer = providerOffer(node.nodeId, {
    'golem.node.id.name': name,
    'golem.com.payment.platform.erc20-dev-tglm.address': node.nodeId.toLowerCase(),
    'golem.inf.mem.gib': 0.5,
    'golem.inf.storage.gib': 2,
    ...options.offerExtra
  })
  const offerId = options.offerId ?? (await market.subscribe('offer', offer))
  const offers: AgentOffers = { presetOf: id => (id === offerId ? PRESET : undefined), offerIds: () => [offerId] }
  const store = await Store.open(join(node.dataDir, 'agent-deals'))
  const settings = options.settings ?? new TestSettings()
  const keeper = new DealKeeper(
    {
      market,
      exeUnit: activityModule.exeUnit,
      payments: paymentModule.api,
      ledger: paymentModule.ledger,
      supportsPlatform: options.supportsPlatform ?? (platform => platform === 'erc20-dev-tglm' || platform === 'erc20-holesky-tglm'),
      settings,
      offers,
      db: store.sublevel('provider'),
      clock: options.clock ?? systemClock,
      logger: createLogger(process.env.AGENT_DEALS_LOG === undefined ? 'silent' : 'debug'),
      outboxes: [marketModule.outbox, paymentModule.outbox.outbox],
      ...(options.custody === undefined ? {} : { custody: options.custody })
    },
    options.init
  )
  await keeper.start()
  let stopped = false
  return {
    keeper,
    offerId,
    offerName: name,
    settings,
    market,
    stop: async () => {
      if (stopped) return
      stopped = true
      await keeper.stop()
      await store.close()
    }
  }
}

export interface Requested {
  demandId: string
  /** The provider's first answer to the requester's counter: its Draft, or a rejection. */
  answer: any
}

/**
 * The requester's demand, matched with the agent's offer (by its name, or by
 * its id when given: a replaced offer keeps the name), countered once with `demand`.
 */
export async function proposeTo(
  requester: TestNode,
  provider: TestNode,
  offerName: string,
  demand: { properties: Record<string, unknown>; constraints: string },
  offerId?: string
): Promise<Requested> {
  const demandId = await requester.client.subscribe('demand', demand.properties, demand.constraints)
  const initial = (
    await requester.client.nextEvent(
      'demand',
      demandId,
      e =>
        e.eventType === 'ProposalEvent' &&
        e.proposal.issuerId === provider.nodeId &&
        e.proposal.properties['golem.node.id.name'] === offerName &&
        (offerId === undefined || e.proposal.proposalId === initialProposalId(demandId, offerId))
    )
  ).proposal
  const draftId = await requester.client.expect<string>(201, 'POST', `/market-api/v1/demands/${demandId}/proposals/${initial.proposalId}`, demand)
  const answer = await requester.client.nextEvent(
    'demand',
    demandId,
    e => (e.eventType === 'ProposalEvent' && e.proposal.prevProposalId === draftId) || (e.eventType === 'ProposalRejectedEvent' && e.proposalId === draftId)
  )
  return { demandId, answer }
}

/** Creates and confirms an agreement from the provider's Draft; resolves with what the requester's wait says and its agreement events. */
export async function agreeOn(requester: TestNode, draftId: string, validToMs = 3_600_000): Promise<{ agreementId: string; status: number; events: any[] }> {
  const validTo = new Date(Date.now() + validToMs).toISOString()
  const agreementId = await requester.client.expect<string>(201, 'POST', '/market-api/v1/agreements', { proposalId: draftId, validTo })
  await requester.client.expect(204, 'POST', `/market-api/v1/agreements/${agreementId}/confirm`)
  const { status } = await requester.client.call('POST', `/market-api/v1/agreements/${agreementId}/wait?timeout=60`)
  // The wait answers on the state change; the agreement's event may be listed a moment after it.
  const events = await eventually(`the events of agreement ${agreementId}`, async () => {
    const listed = (await requester.client.expect<any[]>(200, 'GET', '/market-api/v1/agreementEvents?timeout=1&maxEvents=100')).filter(
      e => e.agreementId === agreementId
    )
    return status !== 204 && status !== 410 ? listed : listed.length > 0 && listed
  })
  return { agreementId, status, events }
}
