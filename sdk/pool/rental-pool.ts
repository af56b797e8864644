// A pool of rentals whose `min` and `max` mean exactly that: `min` rented up
// front (in parallel) and kept ready, never more than `max` at once. acquire
// hands out an idle rental, or waits its turn for the first one that comes,
// given back or newly rented: below the cap a waiter starts one more rent, but
// is not tied to it, so a task never waits out a rent (seconds, when it
// spreads) while rentals in use come back in milliseconds. A rental whose
// provider was lost is dropped and replaced while below min; drain waits
// (bounded) for rentals in use and releases every one.
import type { Clock, Logger } from '../../net/kernel.ts'
import { silentLogger, systemClock, withinTime } from '../../net/kernel.ts'
import { AbortedError, NoMatchingOffersError, SdkError } from '../errors.ts'
import type { AcquireOptions, ReleaseOptions, Rental, RentalPool, RentalReport, RentOptions, PoolOptions } from '../types.ts'
import { rentReportOf } from '../rental/failed-rent.ts'
import { anySignal, onAbort, throwIfAborted } from './aborts.ts'
import { shareOfBudget } from './pool-budget.ts'
import { checkPoolLimits } from './pool-limits.ts'

export type RentFn = (options: RentOptions) => Promise<Rental>

export interface PoolComponents {
  readonly clock?: Clock
  readonly logger?: Logger
}

/** What the task executor needs of a pool on top of RentalPool. */
export interface ManagedRentalPool extends RentalPool {
  /** Caps rentals at once below max (the executor's concurrency); extra rentals are released as they come back. */
  setLimit(limit: number): void
  /** A provider never rented again by this pool; its idle rentals are released, busy ones when they come back. */
  avoidProvider(providerId: string): void
  /** Every rental the pool has held (for the cost so far). */
  readonly rentals: ReadonlySet<Rental>
}

interface Waiter {
  readonly avoid: ReadonlySet<string>
  /** A rent was started for it (under way, or failed while rentals in use could still serve it). */
  growing: boolean
  grant(rental: Rental): void
  fail(error: Error): void
}

const DEFAULT_DRAIN_WAIT_MS = 30_000
/** How long a new rental looks among providers the pool does not hold yet before it takes any (ms). */
export const SPREAD_WAIT_MS = 5_000
const DEFAULT_STARTUP_TIMEOUT_MS = 30_000

class DefaultRentalPool implements ManagedRentalPool {
  readonly #rent: RentFn
  readonly #rentOptions: RentOptions
  readonly #share: bigint | undefined
  readonly #min: number
  readonly #max: number
  readonly #clock: Clock
  readonly #log: Logger
  readonly #idle: Rental[] = []
  readonly #busy = new Set<Rental>()
  readonly #lost = new WeakSet<Rental>()
  readonly #unwatch = new Map<Rental, () => void>()
  readonly #all = new Set<Rental>()
  readonly #waiters: Waiter[] = []
  readonly #banned = new Set<string>()
  readonly #inFlight = new Set<Promise<unknown>>()
  readonly #reports: Promise<RentalReport | undefined>[] = []
  readonly #closing = new AbortController()
  readonly #idleWatchers: (() => void)[] = []
  readonly #spread: boolean
  /** On-demand rents one after another while spreading, so each knows the providers the others got. */
  #rentTurn: Promise<void> = Promise.resolve()
  #renting = 0
  #limit: number
  #drained: Promise<RentalReport[]> | undefined

  constructor(rent: RentFn, options: PoolOptions, components: PoolComponents) {
    const { min, max, spread, ...rentOptions } = options
    checkPoolLimits({ min, max })
    this.#spread = spread !== false
    this.#rent = rent
    this.#rentOptions = rentOptions
    this.#share = options.budget === undefined ? undefined : shareOfBudget(options.budget, max)
    this.#min = min
    this.#max = max
    this.#limit = max
    this.#clock = components.clock ?? systemClock
    this.#log = (components.logger ?? silentLogger).child({ component: 'sdk:pool' })
  }

  get size(): number {
    return this.#idle.length + this.#busy.size + this.#renting
  }

  get available(): number {
    return this.#idle.filter(r => this.#usable(r)).length
  }

  get rentals(): ReadonlySet<Rental> {
    return this.#all
  }

  /** Rents `min` rentals at once; on any failure releases those rented and throws the first error. */
  async fill(): Promise<void> {
    const wanted = Math.min(this.#min, this.#cap())
    this.#renting += wanted
    const toIdle = (rental: Rental): void => {
      this.#idle.push(rental)
    }
    const settled = await Promise.allSettled(Array.from({ length: wanted }, () => this.#rentInSlot(new Set(), undefined, toIdle, false)))
    const failure = settled.find(s => s.status === 'rejected')
    if (failure !== undefined) {
      await this.drain()
      throw failure.reason
    }
    this.#pump()
  }

  async acquire(options: AcquireOptions = {}): Promise<Rental> {
    throwIfAborted(options.signal, 'acquiring a rental')
    if (this.#drained !== undefined) throw new SdkError('Unavailable', 'the pool is draining')
    const avoid = new Set(options.avoid ?? [])
    return await new Promise<Rental>((resolve, reject) => {
      const waiter: Waiter = {
        avoid,
        growing: false,
        grant: given => {
          stop()
          resolve(given)
        },
        fail: error => {
          stop()
          reject(error)
        }
      }
      const stop = onAbort(options.signal, () => {
        this.#removeWaiter(waiter)
        reject(new AbortedError('acquiring a rental was aborted'))
        this.#pump()
      })
      this.#waiters.push(waiter)
      this.#pump()
    })
  }

  async release(rental: Rental): Promise<void> {
    if (!this.#busy.has(rental)) {
      if (this.#idle.includes(rental) || !this.#all.has(rental)) throw new SdkError('BadRequest', 'this rental is not in use from this pool')
      return // already destroyed (lost, or drained past its wait)
    }
    this.#busy.delete(rental)
    if (this.#drained !== undefined || !this.#usable(rental) || this.size >= this.#cap()) this.#discard(rental)
    else this.#idle.push(rental)
    this.#notifyIdle()
    this.#pump()
  }

  async destroy(rental: Rental): Promise<void> {
    if (!this.#busy.has(rental) && !this.#idle.includes(rental)) return
    this.#discard(rental)
    this.#notifyIdle()
    this.#pump()
  }

  async withRental<T>(fn: (rental: Rental) => Promise<T>, options: AcquireOptions = {}): Promise<T> {
    const rental = await this.acquire(options)
    try {
      return await fn(rental)
    } finally {
      await this.release(rental)
    }
  }

  setLimit(limit: number): void {
    if (!Number.isSafeInteger(limit) || limit < 1) throw new SdkError('BadRequest', `a pool's limit must be a whole number of at least 1, not ${limit}`)
    this.#limit = limit
    while (this.#idle.length > 0 && this.size > this.#cap()) this.#discard(this.#idle[0] as Rental)
    this.#pump()
  }

  avoidProvider(providerId: string): void {
    this.#banned.add(providerId)
    for (const rental of [...this.#idle]) if (rental.provider.id === providerId) this.#discard(rental)
    this.#pump()
  }

  drain(options: ReleaseOptions = {}): Promise<RentalReport[]> {
    this.#drained ??= this.#drain(options)
    return this.#drained
  }

  async #drain(options: ReleaseOptions): Promise<RentalReport[]> {
    this.#closing.abort()
    for (const waiter of this.#waiters.splice(0)) waiter.fail(new SdkError('Unavailable', 'the pool is draining'))
    const waitMs = options.timeoutMs ?? DEFAULT_DRAIN_WAIT_MS
    // allSettled: a rent that fails first must not end the wait for the others, whose reports drain returns.
    // Past the wait, drain goes on: the bound ends the wait, not the drain.
    await withinTime(Promise.allSettled([this.#busyEmptied(), ...this.#inFlight]), waitMs, () => undefined, this.#clock).catch(() => {})
    if (this.#busy.size > 0) this.#log.warn({ inUse: this.#busy.size, waitMs }, 'rentals still in use after the wait; releasing them')
    for (const rental of [...this.#idle, ...this.#busy]) this.#discard(rental, options)
    const reports = await Promise.all(this.#reports)
    return reports.filter((r): r is RentalReport => r !== undefined)
  }

  #cap(): number {
    return Math.min(this.#max, this.#limit)
  }

  #usable(rental: Rental): boolean {
    return rental.state === 'active' && !this.#lost.has(rental) && !this.#banned.has(rental.provider.id)
  }

  /** Rents into a slot already counted in #renting, placing the rental before the slot is given up (so size never dips). */
  async #rentInSlot(avoid: ReadonlySet<string>, signal: AbortSignal | undefined, place: (rental: Rental) => void, spread: boolean): Promise<Rental> {
    const turn = spread ? this.#takeTurn() : undefined
    const renting = turn === undefined ? this.#rentAvoiding(avoid, signal) : this.#rentSpread(avoid, signal, turn.ready)
    this.#inFlight.add(renting)
    try {
      const rental = await renting.catch((err: unknown) => {
        // An agreement the failed rent made and ended is accounted for with the pool's rentals.
        const report = rentReportOf(err)
        if (report !== undefined) this.#reports.push(Promise.resolve(report))
        throw err
      })
      if (this.#drained !== undefined) {
        this.#all.add(rental)
        this.#reports.push(this.#releaseQuietly(rental))
        throw new SdkError('Unavailable', 'the pool is draining')
      }
      this.#watch(rental)
      place(rental)
      return rental
    } finally {
      // The next spreading rent starts only now, when this rental is placed and counts as held.
      turn?.done()
      this.#inFlight.delete(renting)
      this.#renting--
      queueMicrotask(() => this.#pump())
    }
  }

  #rentAvoiding(avoid: ReadonlySet<string>, signal: AbortSignal | undefined, startupTimeoutMs?: number): Promise<Rental> {
    const avoided = new Set([...(this.#rentOptions.avoid ?? []), ...this.#banned, ...avoid])
    return this.#rent({
      ...this.#rentOptions,
      ...(this.#share === undefined ? {} : { budget: this.#share }),
      ...(startupTimeoutMs === undefined ? {} : { startupTimeoutMs }),
      avoid: [...avoided],
      signal: anySignal(this.#rentOptions.signal, signal, this.#closing.signal) as AbortSignal
    })
  }

  /**
   * After its turn, looks first (SPREAD_WAIT_MS) among providers the pool does not hold, so work spreads over
   * the market instead of piling on the first offer; only when none answers does it take any provider not avoided.
   */
  async #rentSpread(avoid: ReadonlySet<string>, signal: AbortSignal | undefined, turn: Promise<void>): Promise<Rental> {
    await new Promise<void>((resolve, reject) => {
      const stop = onAbort(anySignal(signal, this.#closing.signal), () => reject(new AbortedError('renting was aborted')))
      void turn.then(() => {
        stop()
        resolve()
      })
    })
    const held = new Set([...this.#idle, ...this.#busy].map(r => r.provider.id))
    for (const id of avoid) held.delete(id)
    if (held.size === 0) return await this.#rentAvoiding(avoid, signal)
    const startup = this.#rentOptions.startupTimeoutMs ?? DEFAULT_STARTUP_TIMEOUT_MS
    try {
      return await this.#rentAvoiding(new Set([...avoid, ...held]), signal, Math.min(SPREAD_WAIT_MS, startup))
    } catch (err) {
      if (!(err instanceof NoMatchingOffersError)) throw err
      return await this.#rentAvoiding(avoid, signal)
    }
  }

  /** A place in the line of spreading rents: `ready` when the one before has ended, `done` to let the next go. */
  #takeTurn(): { ready: Promise<void>; done: () => void } {
    const ready = this.#rentTurn
    let done: () => void = () => {}
    this.#rentTurn = new Promise(resolve => {
      done = resolve
    })
    return { ready, done }
  }

  #watch(rental: Rental): void {
    this.#all.add(rental)
    const onLost = (): void => {
      this.#lost.add(rental)
      if (this.#idle.includes(rental)) {
        this.#discard(rental)
        this.#pump()
      }
    }
    rental.addEventListener('lost', onLost)
    this.#unwatch.set(rental, () => rental.removeEventListener('lost', onLost))
  }

  /** Takes the rental out of the pool and releases it in the background; keeps the report for drain. */
  #discard(rental: Rental, options?: ReleaseOptions): void {
    const at = this.#idle.indexOf(rental)
    if (at >= 0) this.#idle.splice(at, 1)
    this.#busy.delete(rental)
    this.#unwatch.get(rental)?.()
    this.#unwatch.delete(rental)
    this.#reports.push(this.#releaseQuietly(rental, options))
    this.#replenish()
  }

  async #releaseQuietly(rental: Rental, options?: ReleaseOptions): Promise<RentalReport | undefined> {
    try {
      return await rental.release(options)
    } catch (err) {
      this.#log.warn({ err, agreementId: rental.agreementId }, 'releasing a rental failed')
      return undefined
    }
  }

  /** Below min after a loss: rents replacements in the background (one try each; a failure leaves it to acquire). */
  #replenish(): void {
    if (this.#drained !== undefined) return
    const missing = Math.min(this.#min, this.#cap()) - this.size
    for (let i = 0; i < missing; i++) {
      this.#renting++
      this.#rentInSlot(
        new Set(),
        undefined,
        rental => {
          this.#idle.push(rental)
        },
        this.#spread
      ).then(
        () => {},
        (err: unknown) => {
          if (this.#drained === undefined) this.#log.warn({ err }, 'renting a replacement failed')
        }
      )
    }
  }

  /** Serves waiters in order: an idle rental they do not avoid, a free slot to rent, or room made from an avoided idle one. */
  #pump(): void {
    if (this.#drained !== undefined) return
    for (const rental of [...this.#idle]) if (!this.#usable(rental)) this.#discard(rental)
    for (const waiter of [...this.#waiters]) {
      const idle = this.#idle.find(r => !waiter.avoid.has(r.provider.id))
      if (idle !== undefined) {
        this.#idle.splice(this.#idle.indexOf(idle), 1)
        this.#busy.add(idle)
        this.#grant(waiter, idle)
      } else if (waiter.growing) {
      } else if (this.size < this.#cap()) {
        this.#grow(waiter)
      } else if (this.#idle.length > 0) {
        // At the cap with only idle rentals this waiter avoids: one makes room rather than the waiter waiting on
        // rentals in use that may never come back in time.
        this.#discard(this.#idle[0] as Rental)
        this.#grow(waiter)
      }
    }
  }

  /**
   * Rents one more (avoiding what the waiter avoids) into the idle rentals, where the first waiter that takes
   * it gets it. A failed rent fails its waiter only when nothing the pool holds or rents could serve it.
   */
  #grow(waiter: Waiter): void {
    this.#renting++
    waiter.growing = true
    this.#rentInSlot(
      waiter.avoid,
      undefined,
      rental => {
        this.#idle.push(rental)
      },
      this.#spread
    ).then(
      () => {
        waiter.growing = false
      },
      (err: unknown) => {
        if (this.#drained !== undefined || !this.#waiters.includes(waiter)) return
        const servable = [...this.#busy, ...this.#idle].some(r => this.#usable(r) && !waiter.avoid.has(r.provider.id))
        if (servable) {
          // It stays marked growing: it waits for a rental in use, and does not start one failing rent after another.
          this.#log.warn({ err }, 'renting one more failed; the waiting task takes a rental in use when it comes back')
          return
        }
        waiter.growing = false
        this.#removeWaiter(waiter)
        waiter.fail(err instanceof Error ? err : new Error(String(err)))
      }
    )
  }

  #grant(waiter: Waiter, rental: Rental): void {
    this.#removeWaiter(waiter)
    waiter.grant(rental)
  }

  #removeWaiter(waiter: Waiter): void {
    const at = this.#waiters.indexOf(waiter)
    if (at >= 0) this.#waiters.splice(at, 1)
  }

  #busyEmptied(): Promise<void> {
    if (this.#busy.size === 0) return Promise.resolve()
    return new Promise(resolve => this.#idleWatchers.push(resolve))
  }

  #notifyIdle(): void {
    if (this.#busy.size > 0) return
    for (const resolve of this.#idleWatchers.splice(0)) resolve()
  }
}

/** A pool with `min` rentals ready (rented in parallel); throws what renting them threw, releasing those rented. */
export async function createRentalPool(rent: RentFn, options: PoolOptions, components: PoolComponents = {}): Promise<RentalPool> {
  const pool = new DefaultRentalPool(rent, options, components)
  await pool.fill()
  return pool
}

/** A pool that rents only on demand (the executor's): nothing is rented until the first acquire. */
export function openManagedPool(rent: RentFn, options: PoolOptions, components: PoolComponents = {}): ManagedRentalPool {
  return new DefaultRentalPool(rent, options, components)
}
