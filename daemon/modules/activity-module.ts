// Activities as a daemon module: this node's exe-unit (as a provider), the
// `/agora/activity/1` protocol both ways, and the Activity API v1 routes.
// Agreements come from the market module; an agreement that ends takes its
// activities with it.
import { join } from 'node:path'
import Type from 'typebox'
import { validator } from '../../net/index.ts'
import type { Clock, NetHost } from '../../net/index.ts'
import {
  ACTIVITY_PROTOCOL,
  ActivityClient,
  ActivityDesk,
  ActivityServer,
  ACTIVITY_MESSAGES,
  ExeUnit,
  ProviderEventLog,
  FILES_PROTOCOL,
  RequesterFileStore,
  fileRequestHandler,
  requesterFilesOver,
  activityOutbox,
  resultSigner
} from '../../exe-unit/index.ts'
import type { ActivityCustody, ActivityOutbox, AgreementAccess, AgreementLookup, RecordStore } from '../../exe-unit/index.ts'
import { ACTIVITY_EXTRAS_PREFIX, activityExtrasRoutes } from '../api/activity-extras-routes.ts'
import { activityRoutes } from '../api/activity-routes.ts'
import { transferRoutes } from '../api/transfer-routes.ts'
import type { ApiRoute } from '../api/server.ts'
import type { AbstractPutOptions } from 'abstract-level'
import type { DaemonModule, ModuleContext } from '../service/module.ts'
import type { CustodyModule } from './custody-module.ts'
import type { MarketModule } from './market-module.ts'

export const ACTIVITY_API_PREFIX = '/activity-api/v1'
export const TRANSFERS_API_PREFIX = '/agora-api/v1/transfers'
/** Largest file a requester offers or receives (default). */
const MAX_TRANSFER_BYTES = 4 * 1024 ** 3
const ENDED = new Set(['Terminated', 'Cancelled', 'Rejected', 'Expired'])

const Positive = Type.Number({ exclusiveMinimum: 0 })
/** `modules.activity` in the config file; the exe-unit checks the limits' values. */
const ActivitySection = Type.Object(
  {
    limits: Type.Optional(
      Type.Object(
        {
          maxActivities: Type.Optional(Type.Integer({ minimum: 1 })),
          maxMemoryGib: Type.Optional(Positive),
          maxThreads: Type.Optional(Type.Integer({ minimum: 1 })),
          defaultMemoryGib: Type.Optional(Positive),
          defaultStorageGib: Type.Optional(Positive),
          runTimeoutMs: Type.Optional(Type.Integer({ minimum: 1 })),
          maxTransferBytes: Type.Optional(Type.Integer({ minimum: 1 })),
          maxPackageBytes: Type.Optional(Type.Integer({ minimum: 1 })),
          maxUnpackedPackageBytes: Type.Optional(Type.Integer({ minimum: 1 })),
          maxPackageFiles: Type.Optional(Type.Integer({ minimum: 1 })),
          pidsLimit: Type.Optional(Type.Integer({ minimum: 1 })),
          maxCaptureBytes: Type.Optional(Type.Integer({ minimum: 1 })),
          maxQueuedBatches: Type.Optional(Type.Integer({ minimum: 1 })),
          keptBatches: Type.Optional(Type.Integer({ minimum: 1 })),
          keptTerminatedActivities: Type.Optional(Type.Integer({ minimum: 1 }))
        },
        { additionalProperties: false }
      )
    ),
    allowPrivateNetworks: Type.Optional(Type.Boolean()),
    allowContainerNetwork: Type.Optional(Type.Boolean()),
    maxTransferBytes: Type.Optional(Type.Integer({ minimum: 1 }))
  },
  { additionalProperties: false }
)
const activitySection = validator(ActivitySection, 'config modules.activity')

export class ActivityModule implements DaemonModule {
  readonly name = 'activity'
  readonly config = activitySection
  readonly #market: MarketModule
  readonly #clock: Clock | undefined
  #exeUnit: ExeUnit | null = null
  #providerEvents: ProviderEventLog | null = null
  #net: NetHost | null = null
  #outbox: ActivityOutbox | null = null
  routes: ApiRoute[] = []

  readonly #custody: CustodyModule | undefined

  /** `init.clock`: the time the activity outbox and the exe-unit wait and measure on (a test's manual clock); `init.custody`: grants for activities on datasets. */
  constructor(market: MarketModule, init: { clock?: Clock; custody?: CustodyModule } = {}) {
    this.#market = market
    this.#clock = init.clock
    this.#custody = init.custody
  }

  get exeUnit(): ExeUnit {
    if (this.#exeUnit === null) throw new Error('the activity module has not started')
    return this.#exeUnit
  }

  async start(context: ModuleContext): Promise<void> {
    const market = this.#market.market
    const section = activitySection.parse(context.config.modules.activity ?? {})
    // The provider's side keeps its records in a sublevel of its own, apart from the requester's.
    const store = recordStore(context.db.sublevel<string, unknown>('exe-unit', { valueEncoding: 'json' }))
    const providerEvents = new ProviderEventLog(store)
    await providerEvents.open()
    this.#providerEvents = providerEvents
    const exeUnit = new ExeUnit({
      store,
      dataDir: join(context.config.dataDir, 'exe-unit'),
      nodeId: context.key.nodeId,
      sign: resultSigner(context.key),
      requesterFilesFor: requesterFilesOver(context.net),
      limits: section.limits ?? {},
      allowPrivateNetworks: section.allowPrivateNetworks ?? false,
      allowContainerNetwork: section.allowContainerNetwork ?? false,
      logger: context.logger,
      // Usage reports and measurements on the daemon's clock, as the activity outbox is.
      ...(this.#clock === undefined ? {} : { clock: this.#clock }),
      ...custodyOf(this.#custody)
    })
    // The state machine reports Terminated once per activity (at start-up, for those a restart ended).
    exeUnit.on('state', ({ activityId, agreementId, state }) => {
      if (state.state[0] === 'Terminated') providerEvents.record('DestroyActivity', activityId, agreementId)
    })
    await exeUnit.start()
    this.#exeUnit = exeUnit

    const lookup: AgreementLookup = agreementId => {
      const record = market.agreementRecord(agreementId)
      if (record === undefined) return undefined
      const { demand, offer } = record.terms
      return {
        agreementId,
        role: record.role,
        state: record.state,
        requestorId: demand.requestorId,
        providerId: offer.providerId,
        properties: { ...demand.properties, ...offer.properties }
      }
    }
    const access: AgreementAccess = {
      lookup,
      approvalShown: async (agreementId, requesterId) => await market.approvalShownBy(agreementId, requesterId)
    }
    const server = new ActivityServer(exeUnit, access, activity => {
      providerEvents.record('CreateActivity', activity.activityId, activity.agreementId)
    })
    await context.net.handle(ACTIVITY_PROTOCOL, async (request, requestContext) => await server.handle(request, requestContext))
    this.#net = context.net

    market.addEventListener('agreement:changed', ({ detail }) => {
      if (detail.role !== 'Provider' || !ENDED.has(detail.state)) return
      for (const activity of exeUnit.listActivities({ agreementId: detail.agreementId })) {
        if (activity.state.state[0] === 'Terminated') continue
        exeUnit.destroy(activity.activityId, `agreement ${detail.state.toLowerCase()}`).catch(err => {
          context.logger.warn({ err, activityId: activity.activityId }, 'could not end an activity of an ended agreement')
        })
      }
    })

    // The requester's destroys go through it; the provider receives them there. It keeps its messages beside the requester's records.
    const outbox = activityOutbox({
      host: context.net,
      db: context.db,
      logger: context.logger.child({ component: 'activity-outbox' }),
      ...(this.#clock === undefined ? {} : { clock: this.#clock })
    })
    outbox.handle(ACTIVITY_MESSAGES.destroy, async (envelope, { from }) => {
      await server.receiveDestroy(envelope, from)
    })
    await outbox.start()
    this.#outbox = outbox
    const client = new ActivityClient(context.net, context.db, lookup, outbox)
    const files = new RequesterFileStore(join(context.config.dataDir, 'transfers'), section.maxTransferBytes ?? MAX_TRANSFER_BYTES)
    await files.open()
    await context.net.handle(
      FILES_PROTOCOL,
      fileRequestHandler(files, async nodeId => await client.isProviderOfOurs(nodeId))
    )

    const desk = new ActivityDesk(client, exeUnit, providerEvents)
    this.routes = [
      { prefix: ACTIVITY_API_PREFIX, plugin: activityRoutes(desk) },
      { prefix: ACTIVITY_EXTRAS_PREFIX, plugin: activityExtrasRoutes(desk) },
      { prefix: TRANSFERS_API_PREFIX, plugin: transferRoutes(files) }
    ]
  }

  /** The activity outbox: destroys waiting for their provider, and its events. */
  get outbox(): ActivityOutbox {
    if (this.#outbox === null) throw new Error('the activity module has not started')
    return this.#outbox
  }

  async stop(): Promise<void> {
    await this.#outbox?.stop()
    await this.#net?.unhandle(ACTIVITY_PROTOCOL)
    await this.#net?.unhandle(FILES_PROTOCOL)
    await this.#exeUnit?.close()
    await this.#providerEvents?.flush()
  }
}

/** The exe-unit's view of its sublevel; `sync` and `valueEncoding` reach classic-level through the sublevel. */
function recordStore(db: {
  put: (key: string, value: unknown, options: AbstractPutOptions<string, unknown>) => Promise<void>
  del: (key: string, options?: { sync?: boolean }) => Promise<void>
  iterator: (options: { gte?: string; lt?: string; valueEncoding: 'utf8' }) => AsyncIterable<[string, unknown]>
}): RecordStore {
  return {
    put: async (key: string, value: unknown, options?: { sync?: boolean; valueEncoding?: 'utf8' }) => {
      await db.put(key, value, (options ?? {}) as AbstractPutOptions<string, unknown>)
    },
    del: async (key, options) => {
      await db.del(key, options)
    },
    iterator: options => db.iterator(options) as AsyncIterable<[string, string]>
  }
}

/** The custody module's grants, once it has started (it starts before this module). */
function custodyOf(custody: CustodyModule | undefined): { custody?: ActivityCustody } {
  const grants = custody?.activityCustody
  return grants === undefined ? {} : { custody: grants }
}
