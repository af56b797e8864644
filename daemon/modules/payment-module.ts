// Payments as a daemon module: the ledger over the module's sublevel, the
// payment outbox (`/agora/payment/outbox/1`), both sides of the flow, chain
// settlement for the configured networks, and PaymentApi for the routes and
// the CLI. With no network configured it starts, knows no platform, and no
// agreement has payments.
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import Type from 'typebox'
import type { Static } from 'typebox'
import { systemClock, validator, walletOf } from '../../net/index.ts'
import type { Clock, OutboxDb, RawRecordStore } from '../../net/index.ts'
import { Ledger, NetworkConfigSchema, PaymentDesk, PaymentOutbox, ProviderFlow, RequesterFlow, noSettlement, parseNetworkConfig } from '../../payment/index.ts'
import type {
  ChainNetwork,
  PaymentAgreement,
  PaymentApi,
  PaymentDefaults,
  SettlementComponents,
  SettlementInit,
  SettlementService
} from '../../payment/index.ts'
import { paymentRoutes } from '../api/payment-routes.ts'
import type { ApiRoute } from '../api/server.ts'
import { ConfigError } from '../config/errors.ts'
import type { DaemonModule, ModuleContext } from '../service/module.ts'
import type { ActivityModule } from './activity-module.ts'
import type { MarketModule } from './market-module.ts'
import { readUsageThrough } from './usage-readings.ts'
import type { UsageReadings } from './usage-readings.ts'

const Ms = Type.Integer({ minimum: 1 })
/** `modules.payment` in the config file. */
const PaymentSection = Type.Object(
  {
    /** Networks inline. */
    networks: Type.Optional(Type.Array(NetworkConfigSchema, { maxItems: 32 })),
    /** JSON files `{ "networks": [ <network config> ] }` (as `agora chain dev` writes), relative to the data dir. */
    networkFiles: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 4096 }), { maxItems: 32 })),
    /** The platform (name or alias) of an allocation that names none. */
    defaultPlatform: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    /** How a requester settles when its demand does not say (`agora.com.payment.settlement`). */
    settlement: Type.Optional(Type.Union([Type.Literal('escrow'), Type.Literal('direct')])),
    directBatchIntervalMs: Type.Optional(Ms),
    /** When the agreement does not say: the debit-note interval, the accept timeout, the payment timeout. */
    debitNoteIntervalMs: Type.Optional(Ms),
    acceptTimeoutMs: Type.Optional(Ms),
    paymentTimeoutMs: Type.Optional(Ms),
    /** How long an allocation without a timeout lives. */
    allocationTimeoutMs: Type.Optional(Ms),
    /** How long an invoice waits for its activities' final usage. */
    finalUsageWaitMs: Type.Optional(Ms),
    /** How often an acceptance whose proof could not be made is tried again. */
    resendIntervalMs: Type.Optional(Ms),
    outboxMinRetryMs: Type.Optional(Type.Integer({ minimum: 10 })),
    outboxMaxRetryMs: Type.Optional(Type.Integer({ minimum: 10 })),
    claimWorthGasFactor: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    claimDeadlineMarginMs: Type.Optional(Ms),
    /** How often a requester reads what its providers claimed of its deposits (to mark its documents SETTLED). */
    claimWatchIntervalMs: Type.Optional(Ms),
    /** How often receipts and blocks are polled (a dev chain mines at once: less than the default second). */
    chainPollingIntervalMs: Type.Optional(Type.Integer({ minimum: 10 }))
  },
  { additionalProperties: false }
)
const paymentSection = validator(PaymentSection, 'config modules.payment')
type PaymentSectionValue = Static<typeof PaymentSection>

export const PAYMENT_DEFAULTS = Object.freeze({
  debitNoteIntervalMs: 120_000,
  acceptTimeoutMs: 240_000,
  paymentTimeoutMs: 24 * 3_600_000,
  allocationTimeoutMs: 7 * 24 * 3_600_000,
  finalUsageWaitMs: 30_000,
  resendIntervalMs: 30_000,
  settlement: 'escrow' as const
})

export type OpenSettlement = (components: SettlementComponents, init: SettlementInit) => SettlementService

export interface PaymentModuleComponents {
  clock?: Clock
  /** Builds the chain settlement for the configured networks (the escrow and direct settlement). */
  openSettlement?: OpenSettlement
  /** Changes the usage counters the provider's side prices (usage-readings.ts: how tests run a dishonest provider). */
  usageReadings?: UsageReadings
}

export class PaymentModule implements DaemonModule {
  readonly name = 'payment'
  readonly config = paymentSection
  readonly #market: MarketModule
  readonly #activity: ActivityModule
  readonly #components: PaymentModuleComponents
  #api: PaymentApi | null = null
  #ledger: Ledger | null = null
  #outbox: PaymentOutbox | null = null
  #provider: ProviderFlow | null = null
  #requester: RequesterFlow | null = null
  #settlement: SettlementService | null = null
  #stopAgreements: (() => void) | null = null
  routes: ApiRoute[] = []

  constructor(market: MarketModule, activity: ActivityModule, components: PaymentModuleComponents = {}) {
    this.#market = market
    this.#activity = activity
    this.#components = components
  }

  get api(): PaymentApi {
    if (this.#api === null) throw new Error('the payment module has not started')
    return this.#api
  }

  /** The ledger (tests and the CLI's local reads look inside). */
  get ledger(): Ledger {
    if (this.#ledger === null) throw new Error('the payment module has not started')
    return this.#ledger
  }

  /** The chain settlement (tests make proofs with it directly). */
  get settlement(): SettlementService {
    if (this.#settlement === null) throw new Error('the payment module has not started')
    return this.#settlement
  }

  get outbox(): PaymentOutbox {
    if (this.#outbox === null) throw new Error('the payment module has not started')
    return this.#outbox
  }

  async start(context: ModuleContext): Promise<void> {
    const section = paymentSection.parse(context.config.modules.payment ?? {})
    const clock = this.#components.clock ?? systemClock
    const logger = context.logger.child({ component: 'payment' })
    const market = this.#market.market
    const db = context.db as unknown as OutboxDb
    const networks = await networksOf(section, context.config.dataDir)
    const defaults: PaymentDefaults = {
      debitNoteIntervalMs: section.debitNoteIntervalMs ?? PAYMENT_DEFAULTS.debitNoteIntervalMs,
      acceptTimeoutMs: section.acceptTimeoutMs ?? PAYMENT_DEFAULTS.acceptTimeoutMs,
      paymentTimeoutMs: section.paymentTimeoutMs ?? PAYMENT_DEFAULTS.paymentTimeoutMs,
      settlement: section.settlement ?? PAYMENT_DEFAULTS.settlement
    }

    const agreement = (agreementId: string): PaymentAgreement | undefined => {
      const record = market.agreementRecord(agreementId)
      if (record === undefined) return undefined
      return {
        agreementId,
        role: record.role,
        state: record.state,
        requestorId: record.terms.demand.requestorId,
        providerId: record.terms.offer.providerId,
        demandProperties: record.terms.demand.properties,
        offerProperties: record.terms.offer.properties,
        validTo: Date.parse(record.terms.validTo),
        appSessionId: record.appSessionId
      }
    }

    const ledger = new Ledger({
      db,
      clock,
      appSessionOf: agreementId => market.agreementRecord(agreementId)?.appSessionId,
      onBadRecord: bad => {
        logger.warn(bad, 'payment: a stored record could not be loaded: set aside')
      }
    })
    await ledger.open()
    this.#ledger = ledger

    const settlement = this.#openSettlement(networks, context, clock, section)
    await settlement.start()
    this.#settlement = settlement

    const outbox = new PaymentOutbox({
      host: context.net,
      db,
      key: context.key,
      logger: logger.child({ component: 'payment-outbox' }),
      clock,
      ...(section.outboxMinRetryMs === undefined ? {} : { minRetryMs: section.outboxMinRetryMs }),
      ...(section.outboxMaxRetryMs === undefined ? {} : { maxRetryMs: section.outboxMaxRetryMs })
    })
    this.#outbox = outbox
    const common = { nodeId: context.key.nodeId, ledger, outbox, settlement, clock, logger, agreement, defaults }
    const readings = this.#components.usageReadings
    const exeUnit = readings === undefined ? this.#activity.exeUnit : readUsageThrough(this.#activity.exeUnit, readings)
    const provider = new ProviderFlow({
      ...common,
      usage: exeUnit,
      terminate: async (agreementId, reason) => {
        await market.terminateAgreement(agreementId, reason)
      },
      providerAgreements: () =>
        market
          .listAgreements()
          .map(entry => agreement(entry.id))
          .filter((a): a is PaymentAgreement => a !== undefined && a.role === 'Provider'),
      finalUsageWaitMs: section.finalUsageWaitMs ?? PAYMENT_DEFAULTS.finalUsageWaitMs
    })
    const requester = new RequesterFlow({
      ...common,
      resendIntervalMs: section.resendIntervalMs ?? PAYMENT_DEFAULTS.resendIntervalMs,
      // A mandate holds its allocation as long as an allocation given no timeout lives.
      mandateLifetimeMs: section.allocationTimeoutMs ?? PAYMENT_DEFAULTS.allocationTimeoutMs
    })
    this.#provider = provider
    this.#requester = requester
    await outbox.start()

    const onChange = ({ detail }: { detail: { agreementId: string; role: string } }): void => {
      const changed = agreement(detail.agreementId)
      if (changed === undefined) return
      if (detail.role === 'Provider') provider.agreementChanged(changed)
      else requester.agreementChanged(changed)
    }
    market.addEventListener('agreement:changed', onChange)
    this.#stopAgreements = () => {
      market.removeEventListener('agreement:changed', onChange)
    }
    provider.start()
    requester.start()

    this.#api = new PaymentDesk({
      ledger,
      requester,
      settlement,
      clock,
      address: context.key.nodeId.toLowerCase(),
      defaultPlatform: section.defaultPlatform,
      allocationTimeoutMs: section.allocationTimeoutMs ?? PAYMENT_DEFAULTS.allocationTimeoutMs
    })
    this.routes = paymentRoutes(this.#api)
  }

  async stop(): Promise<void> {
    this.#stopAgreements?.()
    this.#requester?.stop()
    await this.#provider?.stop()
    await this.#outbox?.stop()
    await this.#settlement?.stop()
    await this.#ledger?.idle()
    this.#ledger?.close()
  }

  #openSettlement(networks: ChainNetwork[], context: ModuleContext, clock: Clock, section: PaymentSectionValue): SettlementService {
    if (networks.length === 0) return noSettlement()
    const open = this.#components.openSettlement
    if (open === undefined) throw new ConfigError('config modules.payment: networks are configured, but this build has no chain settlement')
    const init: SettlementInit = {
      ...(section.directBatchIntervalMs === undefined ? {} : { directBatchIntervalMs: section.directBatchIntervalMs }),
      ...(section.claimWorthGasFactor === undefined ? {} : { claimWorthGasFactor: section.claimWorthGasFactor }),
      ...(section.claimDeadlineMarginMs === undefined ? {} : { claimDeadlineMarginMs: section.claimDeadlineMarginMs }),
      ...(section.claimWatchIntervalMs === undefined ? {} : { claimWatchIntervalMs: section.claimWatchIntervalMs }),
      ...(section.chainPollingIntervalMs === undefined ? {} : { pollingIntervalMs: section.chainPollingIntervalMs })
    }
    return open(
      {
        networks,
        wallet: walletOf(context.key),
        db: context.db.sublevel<string, string>('settlement', { valueEncoding: 'utf8' }) as unknown as RawRecordStore,
        logger: context.logger.child({ component: 'settlement' }),
        clock
      },
      init
    )
  }
}

/** The inline networks and those of every network file, each checked; a bad one stops the node naming it. */
async function networksOf(section: PaymentSectionValue, dataDir: string): Promise<ChainNetwork[]> {
  const inputs: Array<{ value: unknown; what: string }> = (section.networks ?? []).map((value: unknown, i: number) => ({
    value,
    what: `config modules.payment.networks[${i}]`
  }))
  for (const file of section.networkFiles ?? []) {
    const path = resolve(dataDir, file)
    let parsed: unknown
    try {
      parsed = JSON.parse(await readFile(path, 'utf8'))
    } catch (err) {
      throw new ConfigError(`config modules.payment.networkFiles: ${path} could not be read as JSON (${(err as Error).message})`)
    }
    const list = (parsed as { networks?: unknown } | null)?.networks
    if (!Array.isArray(list)) throw new ConfigError(`config modules.payment.networkFiles: ${path} must hold { "networks": [ … ] }`)
    list.forEach((value, i) => {
      inputs.push({ value, what: `${path}: networks[${i}]` })
    })
  }
  return inputs.map(({ value, what }) => {
    try {
      return parseNetworkConfig(value, what)
    } catch (err) {
      throw new ConfigError((err as Error).message)
    }
  })
}
