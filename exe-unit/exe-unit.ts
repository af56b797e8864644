// The provider's exe-unit: creates activities under agreements within the
// provider's capacity, runs their ExeScript batches on the agreed runtime, and
// reports results, events, state and usage. The REST layer and the network
// protocol call it; checking that a caller is the agreement's requester is
// theirs to do (each activity keeps its requesterId for that).
//
// Interface (every method throws ExeUnitError; its code maps to an HTTP status:
// BadRequest 400, Forbidden 403, NotFound 404, Conflict 409, CapacityExceeded 503, Internal 500; see net/errors/codes.ts):
//
//   new ExeUnit(options)                 dataDir, nodeId, sign, requesterFiles?, limits?, docker?, ...
//   start()                              removes a crashed predecessor's leftovers, checks the runtimes
//   close()                              terminates every live activity, stops the runtimes
//   runtimes()                           [{ name, available, error?, offerProperties }]
//   checkRuntimes()                      the same, after asking each runtime again (one that came up, one that went away)
//
//   createActivity({ activityId?, agreementId, requesterId, properties })
//                                        → ActivityInfo; properties are the agreement's offer and
//                                          demand properties merged (flat or nested); refused with
//                                          CapacityExceeded beyond the provider's caps; an agreement
//                                          naming a dataset (agora.data.name) is first put to custody:
//                                          Forbidden without custody or when its policy refuses
//   destroy(activityId, reason, errorMessage?)   ends it: running command killed, runtime removed
//   getActivity(activityId) / listActivities({ agreementId? })   → ActivityInfo
//
//   exec(activityId, script)             → batchId; script is ExeScript text or the decoded array,
//                                          refused whole (BadRequest) before anything runs
//   getBatchResults(activityId, batchId, { commandIndex?, timeoutMs?, signal? })
//                                        → ExeScriptCommandResult[] (long poll)
//   streamBatch(activityId, batchId, { from?, signal? })
//                                        → AsyncGenerator<RuntimeEvent>: started, stdout, stderr,
//                                          finished; from event `from` (default 0), ends with the batch
//   runningCommand(activityId)           → ExeScriptCommandState[] (empty when idle)
//
//   getState(activityId)                 → { state: [current, next | null], reason?, errorMessage? }
//   getUsage(activityId)                 → { currentUsage (ordered by golem.com.usage.vector), timestamp }
//   usage(activityId)                    → golem.usage.* counters by name
//                                          (both from the runtime's last background measurement: cheap)
//
//   events: 'state' (StateEvent), 'usage' (UsageEvent, periodic, and a final one at termination).
//   Payments read usage through the ActivityUsageSource interface, which ExeUnit implements.
//
// With a store, activity records and their last usage outlive a restart: an
// activity that was live when the provider stopped reads Terminated ("provider
// restarted") afterwards, with the usage last written (periodically, at every
// state change, and synced at the end).
import { randomBytes } from 'node:crypto'
import { EventEmitter } from 'node:events'
import { mkdir, readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import Docker from 'dockerode'
import { silentLogger, withinTime } from '../net/index.ts'
import type { BadRecord, Logger } from '../net/index.ts'
import { Activity } from './activity/activity.ts'
import { activityKey, loadActivities } from './activity/activity-records.ts'
import type { RecordStore, StoredActivity } from './activity/activity-records.ts'
import { RestoredActivity } from './activity/restored-activity.ts'
import type { Signer } from './activity/result-signer.ts'
import type { ActivityState, ActivityUsage, ExeScriptCommandResult, ExeScriptCommandState, RuntimeEvent } from './activity/types.ts'
import { Capacity } from './capacity.ts'
import { systemClock } from './clock.ts'
import type { Clock, TimerHandle } from './clock.ts'
import { ExeUnitError, errorMessage } from './errors.ts'
import { parseExeScript } from './exescript/parse.ts'
import { resolveLimits } from './limits.ts'
import type { ExeUnitLimits, ExeUnitLimitsInput } from './limits.ts'
import { flattenProperties, readResources } from './properties.ts'
import { PackageStore } from './runtime/package-store.ts'
import type { RuntimeFactory } from './runtime/runtime.ts'
import { VmRuntimeFactory } from './runtime/vm/vm-runtime.ts'
import { WasmtimeRuntimeFactory } from './runtime/wasmtime/wasmtime-runtime.ts'
import type { RequesterFileChannel } from './transfer/requester-channel.ts'
import { DATA_NAME_PROPERTY } from './custody.ts'
import type { ActivityCustody, CustodyGrant } from './custody.ts'

export interface ExeUnitOptions {
  /** The exe-unit keeps packages and activity directories under here. */
  dataDir: string
  /** This provider's node id; labels its containers. */
  nodeId: string
  /** Signs with the node key (used by the sign command). */
  sign: Signer
  /** Carries files from and to requesters (agora-requester: and gftp: URLs). */
  requesterFiles?: RequesterFileChannel
  /** The channel to one requester, when files travel to each over its own link (the network). */
  requesterFilesFor?: (requesterId: string) => RequesterFileChannel
  limits?: ExeUnitLimitsInput
  /** The engine for the "vm" runtime; by default DOCKER_HOST or /var/run/docker.sock; false leaves it out. */
  docker?: Docker | false
  /** Lets containers have network when the agreement grants it (agora.srv.net.inet); off by default. */
  allowContainerNetwork?: boolean
  /** Lets transfers and package downloads reach private and loopback addresses (off by default). */
  allowPrivateNetworks?: boolean
  /** Directories file:// task packages may be read from. */
  localPackageDirs?: string[]
  /** How often `usage` events are emitted (and usage written) for each live activity. */
  usageIntervalMs?: number
  /** Where faults the requester only gets a reference to are logged, and records that cannot be read or written (default: nowhere). */
  logger?: Logger
  /** Where activity records and their usage are kept across restarts; without it they live in memory only. */
  store?: RecordStore
  /** The time usage is counted by and its measurements are scheduled on (the system's by default). */
  clock?: Clock
  /** Time between the end of one background usage measurement of an activity and the start of the next (2 s by default). */
  usageSampleMs?: number
  /** Data custody: asked at every activity whose agreement names a dataset (without it, such an activity is refused). */
  custody?: ActivityCustody
}

export interface CreateActivityRequest {
  /** Chosen by the caller, or 32 random hex digits. */
  activityId?: string
  agreementId: string
  requesterId: string
  /** The agreement's flat properties, offer and demand merged. */
  properties: Record<string, unknown>
}

export interface ActivityInfo {
  activityId: string
  agreementId: string
  requesterId: string
  runtime: string
  createdAt: string
  state: ActivityState
}

export interface UsageEvent {
  activityId: string
  agreementId: string
  /** golem.usage.* counters by name. */
  counters: Record<string, number>
  /** The same, as the Activity API reports them (ordered by golem.com.usage.vector). */
  usage: ActivityUsage
  /** True for the last report, sent when the activity has terminated. */
  final: boolean
}

export interface StateEvent {
  activityId: string
  agreementId: string
  state: ActivityState
}

export interface RuntimeStatus {
  name: string
  available: boolean
  error?: string
  /** What an offer for this runtime states about it (e.g. the package formats it accepts). */
  offerProperties: Record<string, unknown>
}

/** What payments need of the exe-unit: counters to price debit notes and invoices by. */
export interface ActivityUsageSource {
  /** golem.usage.* counters by name; still readable for a while after the activity terminated. */
  usage: (activityId: string) => Promise<Record<string, number>>
  /** The activities under an agreement (an invoice covers them all). */
  listActivities: (filter?: { agreementId?: string }) => ActivityInfo[]
  /** Periodic reports, and a final one (`final: true`) when an activity ends. */
  on: (event: 'usage', listener: (event: UsageEvent) => void) => unknown
  off: (event: 'usage', listener: (event: UsageEvent) => void) => unknown
}

export interface ExeUnitEvents {
  usage: [UsageEvent]
  state: [StateEvent]
}

const ACTIVITY_ID = /^[A-Za-z0-9_-]{1,128}$/
/** Usage reads serve the last measurement; one Docker stats call alone can take a second. */
const DEFAULT_USAGE_SAMPLE_MS = 2000
/** How long a runtime's check may take before it counts as not answering. */
const RUNTIME_CHECK_TIMEOUT_MS = 10_000

export class ExeUnit extends EventEmitter<ExeUnitEvents> implements ActivityUsageSource {
  readonly #options: ExeUnitOptions
  readonly #limits: ExeUnitLimits
  readonly #capacity: Capacity
  readonly #packages: PackageStore
  readonly #factories = new Map<string, RuntimeFactory>()
  readonly #unavailable = new Map<string, string>()
  #checking: Promise<void> | undefined
  /** Runtimes that were recovered once (their leftovers removed): later they are only reconnected. */
  readonly #recovered = new Set<string>()
  readonly #activities = new Map<string, Activity | RestoredActivity>()
  readonly #terminatedOrder: string[] = []
  /** Each activity's record writes, one after another, so that the last one written is the latest. */
  readonly #writes = new Map<string, Promise<void>>()
  #started = false
  #closed = false
  readonly #clock: Clock
  #usageTimer: TimerHandle | undefined
  #usageTick: Promise<void> | undefined

  /** What this exe-unit allows, its defaults filled in. */
  get limits(): Readonly<ExeUnitLimits> {
    return this.#limits
  }

  constructor(options: ExeUnitOptions) {
    super()
    this.#options = options
    this.#clock = options.clock ?? systemClock
    this.#limits = resolveLimits(options.limits)
    const sampleMs = options.usageSampleMs
    if (sampleMs !== undefined && !(Number.isFinite(sampleMs) && sampleMs > 0)) {
      throw new ExeUnitError('BadRequest', `usageSampleMs must be a positive number, got ${sampleMs}`)
    }
    this.#capacity = new Capacity({
      maxActivities: this.#limits.maxActivities,
      maxMemoryBytes: this.#limits.maxMemoryGib * 1024 ** 3,
      maxThreads: this.#limits.maxThreads
    })
    this.#packages = new PackageStore({
      dir: join(options.dataDir, 'packages'),
      maxBytes: this.#limits.maxPackageBytes,
      localDirs: options.localPackageDirs ?? [],
      allowPrivateNetworks: options.allowPrivateNetworks === true
    })
  }

  /** Removes what a crashed predecessor left (activity directories, labelled containers) and starts the runtimes. */
  async start(): Promise<void> {
    if (this.#started) return
    this.#started = true
    const restarted = await this.#restore()
    const activitiesDir = join(this.#options.dataDir, 'activities')
    await mkdir(activitiesDir, { recursive: true })
    for (const entry of await readdir(activitiesDir)) await rm(join(activitiesDir, entry), { recursive: true, force: true })
    for (const factory of this.#runtimeFactories()) {
      this.#factories.set(factory.name, factory)
      try {
        await factory.recover?.()
        this.#recovered.add(factory.name)
      } catch (error) {
        this.#unavailable.set(factory.name, errorMessage(error))
      }
    }
    this.#scheduleUsageReport(this.#options.usageIntervalMs ?? 10_000)
    // Told after start-up so that listeners see them like any other end.
    for (const activity of restarted) {
      this.emit('state', { activityId: activity.id, agreementId: activity.agreementId, state: activity.state() })
      void this.#emitUsage(activity, true)
    }
  }

  /** Reads the stored activities; those that were live end as "provider restarted" (synced). */
  async #restore(): Promise<RestoredActivity[]> {
    const store = this.#options.store
    if (store === undefined) return []
    const restored: RestoredActivity[] = []
    const setAside = (bad: BadRecord): void => {
      this.#options.logger?.warn(bad, 'an unreadable activity record was set aside')
    }
    for (const record of await loadActivities(store, setAside)) restored.push(new RestoredActivity(record))
    restored.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())
    const forgotten = restored.splice(0, Math.max(0, restored.length - this.#limits.keptTerminatedActivities))
    await Promise.all(forgotten.map(async activity => await store.del(activityKey(activity.id))))
    for (const activity of restored) {
      this.#activities.set(activity.id, activity)
      this.#terminatedOrder.push(activity.id)
    }
    const restarted = restored.filter(activity => activity.wasLive)
    await Promise.all(restarted.map(async activity => await this.#persist(activity, true)))
    return restarted
  }

  /** Which runtimes this exe-unit offers and whether they work (e.g. a Docker engine answers). */
  runtimes(): RuntimeStatus[] {
    return [...this.#factories.values()].map(factory => {
      const { name } = factory
      const offerProperties = { 'golem.runtime.name': name, ...factory.offerProperties }
      const error = this.#unavailable.get(name)
      return error === undefined ? { name, available: true, offerProperties } : { name, available: false, error, offerProperties }
    })
  }

  /**
   * Asks each runtime again whether it answers: one that did not (a Docker
   * engine started after this node) is recovered and offered from now on, one
   * that did and no longer answers (the engine stopped) is unavailable until
   * it does again. Concurrent calls share one round.
   */
  async checkRuntimes(): Promise<RuntimeStatus[]> {
    this.#checking ??= this.#checkRuntimes().finally(() => {
      this.#checking = undefined
    })
    await this.#checking
    return this.runtimes()
  }

  async #checkRuntimes(): Promise<void> {
    for (const factory of this.#factories.values()) {
      if (this.#closed) return
      const wasUnavailable = this.#unavailable.get(factory.name)
      // Never recovered: nothing of ours can run on it yet, so a crashed predecessor's leftovers go first.
      // Recovered before: its live activities may still be there, and are left alone.
      const recovered = this.#recovered.has(factory.name)
      const check = wasUnavailable === undefined ? factory.probe : recovered ? (factory.reconnect ?? factory.probe) : factory.recover
      if (check === undefined) continue
      try {
        await withinTime(check.call(factory), RUNTIME_CHECK_TIMEOUT_MS, () => new Error(`it did not answer within ${RUNTIME_CHECK_TIMEOUT_MS} ms`))
        this.#recovered.add(factory.name)
        if (wasUnavailable !== undefined) {
          this.#unavailable.delete(factory.name)
          this.#options.logger?.info({ runtime: factory.name }, 'a runtime that did not answer does now: it is offered again')
        }
      } catch (error) {
        if (wasUnavailable === undefined)
          this.#options.logger?.warn({ runtime: factory.name, err: error }, 'a runtime no longer answers: not offered until it does')
        this.#unavailable.set(factory.name, errorMessage(error))
      }
    }
  }

  async createActivity(request: CreateActivityRequest): Promise<ActivityInfo> {
    this.#assertOpen()
    const { agreementId, requesterId } = request
    const activityId = request.activityId ?? randomBytes(16).toString('hex')
    if (typeof activityId !== 'string' || !ACTIVITY_ID.test(activityId)) {
      throw new ExeUnitError('BadRequest', 'activityId must be 1-128 letters, digits, "-" or "_"')
    }
    if (typeof agreementId !== 'string' || agreementId === '') throw new ExeUnitError('BadRequest', 'agreementId must be a non-empty string')
    if (typeof requesterId !== 'string' || requesterId === '') throw new ExeUnitError('BadRequest', 'requesterId must be a non-empty string')
    if (typeof request.properties !== 'object' || request.properties === null) throw new ExeUnitError('BadRequest', 'properties must be an object')
    if (this.#activities.has(activityId)) throw new ExeUnitError('Conflict', `activity ${activityId} already exists`)
    const resources = readResources(request.properties, this.#limits)
    // The merged properties cannot show which side granted network: the provider's own setting must agree.
    if (this.#options.allowContainerNetwork !== true) resources.network = false
    const factory = this.#factories.get(resources.runtimeName)
    if (factory === undefined) {
      throw new ExeUnitError('BadRequest', `runtime ${resources.runtimeName} is not offered here (${[...this.#factories.keys()].join(', ')})`)
    }
    const unavailable = this.#unavailable.get(factory.name)
    if (unavailable !== undefined) throw new ExeUnitError('Conflict', `runtime ${factory.name} is unavailable: ${unavailable}`)
    // Custody decides before anything is reserved or created; a grant forbids network.
    const grant = await this.#admit({ activityId, agreementId, requesterId, properties: request.properties })
    if (grant !== undefined) resources.network = false
    try {
      this.#capacity.reserve(activityId, { memoryBytes: resources.memoryBytes, threads: resources.threads })
    } catch (error) {
      await this.#closeGrant(activityId, grant)
      throw error
    }
    const dir = join(this.#options.dataDir, 'activities', activityId)
    let activity: Activity
    try {
      await mkdir(dir, { recursive: true })
      const requesterFiles = this.#options.requesterFilesFor?.(requesterId) ?? this.#options.requesterFiles
      const runtime = factory.create({
        activityId,
        agreementId,
        nodeId: this.#options.nodeId,
        activityDir: dir,
        taskPackage: resources.taskPackage,
        resources,
        packages: this.#packages.forActivity(requesterId, requesterFiles),
        clock: this.#clock,
        logger: this.#options.logger ?? silentLogger,
        usageSampleMs: this.#options.usageSampleMs ?? DEFAULT_USAGE_SAMPLE_MS,
        ...(grant === undefined ? {} : { custody: { dataDir: grant.dataDir } })
      })
      activity = new Activity({
        id: activityId,
        agreementId,
        requesterId,
        dir,
        resources,
        runtime,
        limits: this.#limits,
        sign: this.#options.sign,
        clock: this.#clock,
        requesterFiles,
        allowPrivateNetworks: this.#options.allowPrivateNetworks === true,
        ...(grant === undefined ? {} : { custody: grant }),
        onState: state => {
          const created = this.#activities.get(activityId)
          if (created !== undefined) void this.#persist(created, state.state[0] === 'Terminated')
          this.emit('state', { activityId, agreementId, state })
        },
        onTerminated: () => this.#onTerminated(activityId),
        onCommandDone: async () => {
          const created = this.#activities.get(activityId)
          if (created !== undefined) await this.#persist(created, false)
        },
        ...(this.#options.logger === undefined ? {} : { logger: this.#options.logger })
      })
    } catch (error) {
      this.#capacity.release(activityId)
      await rm(dir, { recursive: true, force: true })
      await this.#closeGrant(activityId, grant)
      throw error
    }
    this.#activities.set(activityId, activity)
    // The requester is told of the activity only once its record is on disk; one that cannot be recorded is undone.
    try {
      await this.#persist(activity, true, true)
    } catch {
      await activity.destroy('the activity could not be recorded')
      this.#activities.delete(activityId)
      const kept = this.#terminatedOrder.indexOf(activityId)
      if (kept !== -1) this.#terminatedOrder.splice(kept, 1)
      throw new ExeUnitError('InsufficientStorage', `activity ${activityId} could not be recorded on this provider's disk`)
    }
    return this.#info(activity)
  }

  /** The custody grant for an agreement naming a dataset (its policy asked again now); undefined when it names none. */
  async #admit(request: CreateActivityRequest & { activityId: string }): Promise<CustodyGrant | undefined> {
    const properties = flattenProperties(request.properties)
    const dataset = properties[DATA_NAME_PROPERTY]
    if (dataset === undefined || dataset === null) return undefined
    const custody = this.#options.custody
    if (custody === undefined) throw new ExeUnitError('Forbidden', 'the agreement names a dataset, and this provider keeps none')
    const grant = await custody.admit({ ...request, properties })
    if (grant === null) throw new ExeUnitError('Forbidden', 'the agreement names a dataset that custody does not grant')
    return grant
  }

  async #closeGrant(activityId: string, grant: CustodyGrant | undefined): Promise<void> {
    await grant?.close().catch((err: unknown) => this.#options.logger?.warn({ activityId, err }, 'could not close a custody grant'))
  }

  /** Parses and queues an ExeScript batch (the request's text, or the decoded array); returns its batch id. */
  exec(activityId: string, script: string | unknown): string {
    const activity = this.#get(activityId)
    const commands = parseExeScript(script, this.#limits.exescript)
    return activity.exec(commands).id
  }

  /**
   * The batch's results so far, after waiting up to `timeoutMs` for command
   * `commandIndex` (by default the last) to finish.
   */
  async getBatchResults(
    activityId: string,
    batchId: string,
    options: { commandIndex?: number; timeoutMs?: number; signal?: AbortSignal } = {}
  ): Promise<ExeScriptCommandResult[]> {
    const batch = this.#get(activityId).batch(batchId)
    return await batch.waitForResults(options.commandIndex, options.timeoutMs ?? 0, options.signal)
  }

  /** The batch's runtime events from position `from` (default 0), then live ones until it finishes (for SSE). */
  streamBatch(activityId: string, batchId: string, options: { from?: number; signal?: AbortSignal } = {}): AsyncGenerator<RuntimeEvent> {
    return this.#get(activityId).batch(batchId).events(options)
  }

  getState(activityId: string): ActivityState {
    return this.#get(activityId).state()
  }

  async getUsage(activityId: string): Promise<ActivityUsage> {
    return (await this.#get(activityId).usageReport()).usage
  }

  /** golem.usage.* counters by name, as payments read them. */
  async usage(activityId: string): Promise<Record<string, number>> {
    return (await this.#get(activityId).usageReport()).counters
  }

  runningCommand(activityId: string): ExeScriptCommandState[] {
    return this.#get(activityId).runningCommand()
  }

  getActivity(activityId: string): ActivityInfo {
    return this.#info(this.#get(activityId))
  }

  listActivities(filter: { agreementId?: string } = {}): ActivityInfo[] {
    return [...this.#activities.values()]
      .filter(activity => filter.agreementId === undefined || activity.agreementId === filter.agreementId)
      .map(activity => this.#info(activity))
  }

  /** Ends an activity with a reason (the requester destroyed it, its agreement ended, ...). */
  async destroy(activityId: string, reason: string, errorMessage?: string): Promise<void> {
    await this.#get(activityId).destroy(reason, errorMessage)
  }

  /** Terminates every live activity and stops the runtimes. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    if (this.#usageTimer !== undefined) this.#clock.clearTimeout(this.#usageTimer)
    const live = [...this.#activities.values()].filter(activity => !activity.terminated)
    await Promise.all(live.map(async activity => await activity.destroy('The provider is shutting down')))
    await this.#usageTick
    await Promise.all([...this.#writes.values()])
    await Promise.all([...this.#factories.values()].map(async factory => await factory.close?.()))
  }

  /** The periodic usage report, on the injected clock: the next one is timed from the end of the last, so two never overlap. */
  #scheduleUsageReport(intervalMs: number): void {
    this.#usageTimer = this.#clock.setTimeout(() => {
      this.#usageTick = this.#reportUsage().finally(() => {
        this.#usageTick = undefined
        if (!this.#closed) this.#scheduleUsageReport(intervalMs)
      })
    }, intervalMs)
  }

  #assertOpen(): void {
    if (!this.#started) throw new ExeUnitError('Internal', 'the exe-unit is not started')
    if (this.#closed) throw new ExeUnitError('Conflict', 'the exe-unit is closed')
  }

  #get(activityId: string): Activity | RestoredActivity {
    const activity = this.#activities.get(activityId)
    if (activity === undefined) throw new ExeUnitError('NotFound', `no activity ${activityId}`)
    return activity
  }

  #info(activity: Activity | RestoredActivity): ActivityInfo {
    return {
      activityId: activity.id,
      agreementId: activity.agreementId,
      requesterId: activity.requesterId,
      runtime: activity.runtimeName,
      createdAt: activity.createdAt.toISOString(),
      state: activity.state()
    }
  }

  #onTerminated(activityId: string): void {
    this.#capacity.release(activityId)
    const activity = this.#activities.get(activityId)
    if (activity !== undefined) {
      void this.#emitUsage(activity, true)
      void this.#persist(activity, true)
    }
    this.#terminatedOrder.push(activityId)
    while (this.#terminatedOrder.length > this.#limits.keptTerminatedActivities) {
      const forgotten = this.#terminatedOrder.shift() as string
      this.#activities.delete(forgotten)
      this.#chain(forgotten, async store => await store.del(activityKey(forgotten)))
    }
  }

  /** Writes the activity's record with its usage now; `sync` for what must survive a crash. */
  async #persist(activity: Activity | RestoredActivity, sync: boolean, rethrow = false): Promise<void> {
    await this.#chain(
      activity.id,
      async store => {
        // A creation undone, or an activity forgotten meanwhile, is not written back.
        if (this.#activities.get(activity.id) !== activity) return
        const { counters, usage } = await activity.usageReport()
        const record: StoredActivity = { ...this.#info(activity), counters, usage }
        await store.put(activityKey(activity.id), record, { sync })
      },
      rethrow
    )
  }

  /** Runs `write` after the activity's earlier writes; a failure is logged (and thrown with `rethrow`). */
  #chain(activityId: string, write: (store: RecordStore) => Promise<void>, rethrow = false): Promise<void> {
    const store = this.#options.store
    if (store === undefined) return Promise.resolve()
    const previous = this.#writes.get(activityId) ?? Promise.resolve()
    let failure: unknown
    const next = previous
      .then(async () => await write(store))
      .catch((err: unknown) => {
        failure = err
        this.#options.logger?.warn({ activityId, err }, 'could not write an activity record')
      })
    this.#writes.set(activityId, next)
    void next.then(() => {
      if (this.#writes.get(activityId) === next) this.#writes.delete(activityId)
    })
    return rethrow
      ? next.then(() => {
          if (failure !== undefined) throw failure
        })
      : next
  }

  async #reportUsage(): Promise<void> {
    const live = [...this.#activities.values()].filter(activity => !activity.terminated)
    await Promise.all(
      live.map(async activity => {
        await this.#emitUsage(activity, false)
        await this.#persist(activity, false)
      })
    )
  }

  async #emitUsage(activity: Activity | RestoredActivity, final: boolean): Promise<void> {
    const { counters, usage } = await activity.usageReport()
    this.emit('usage', { activityId: activity.id, agreementId: activity.agreementId, counters, usage, final })
  }

  #runtimeFactories(): RuntimeFactory[] {
    const factories: RuntimeFactory[] = [new WasmtimeRuntimeFactory()]
    if (this.#options.docker !== false) {
      const gvmiLimits = { maxUnpackedBytes: this.#limits.maxUnpackedPackageBytes, maxFiles: this.#limits.maxPackageFiles }
      factories.push(new VmRuntimeFactory({ docker: this.#options.docker ?? new Docker(), nodeId: this.#options.nodeId, images: { gvmiLimits } }))
    }
    return factories
  }
}
