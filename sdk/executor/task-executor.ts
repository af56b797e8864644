// The task executor: map(inputs, task) over rentals from a lazy pool, results
// in input order. A failed attempt is retried on another provider when one is
// available (acquire with `avoid`); a provider failing providerFailureLimit
// times is avoided for the rest of the run; per-attempt timeouts and the
// caller's cancellation abort the task's TaskContext.signal. It never holds
// more rentals than the map's concurrency.
import type { Clock, Logger } from '../../net/kernel.ts'
import { silentLogger, systemClock } from '../../net/kernel.ts'
import { AbortedError, NoMatchingOffersError } from '../errors.ts'
import type { ManagedRentalPool, RentFn } from '../pool/index.ts'
import { anySignal, onAbort, openManagedPool, throwIfAborted } from '../pool/index.ts'
import type { ExecutorEventMap, ExecutorOptions, MapOptions, ReleaseOptions, Rental, RentalReport, Task, TaskExecutor } from '../types.ts'
import type { MapSettings } from './map-settings.ts'
import { mapSettings } from './map-settings.ts'
import { ProviderFailures } from './provider-failures.ts'
import { runAttempt } from './task-attempt.ts'

export interface ExecutorComponents {
  readonly clock?: Clock
  readonly logger?: Logger
}

interface Run<I, O> {
  readonly inputs: readonly I[]
  readonly task: Task<I, O>
  readonly settings: MapSettings
  /** Aborted by the caller's signal, the executor's, or the first task that failed for good. */
  readonly stop: AbortController
  readonly results: O[]
  next: number
}

class DefaultTaskExecutor extends EventTarget implements TaskExecutor {
  readonly #pool: ManagedRentalPool
  readonly #options: ExecutorOptions
  readonly #failures: ProviderFailures
  readonly #clock: Clock
  readonly #log: Logger
  readonly #costWatched = new WeakSet<Rental>()

  constructor(rent: RentFn, options: ExecutorOptions, components: ExecutorComponents) {
    super()
    this.#failures = new ProviderFailures(options.providerFailureLimit)
    const { providerFailureLimit: _limit, ...poolOptions } = options
    this.#pool = openManagedPool(rent, poolOptions, components)
    this.#options = options
    this.#clock = components.clock ?? systemClock
    this.#log = (components.logger ?? silentLogger).child({ component: 'sdk:executor' })
  }

  async map<I, O>(inputs: Iterable<I>, task: Task<I, O>, options: MapOptions = {}): Promise<O[]> {
    const settings = mapSettings(options, this.#options.max)
    const cancel = anySignal(options.signal, this.#options.signal)
    throwIfAborted(cancel, 'the map')
    const run: Run<I, O> = { inputs: [...inputs], task, settings, stop: new AbortController(), results: [], next: 0 }
    this.#pool.setLimit(settings.concurrency)
    const stopOnCancel = onAbort(cancel, () => run.stop.abort(new AbortedError('the map was cancelled')))
    for (let index = 0; index < run.inputs.length; index++) this.#emit('queued', { index })
    const workers = Array.from({ length: Math.min(settings.concurrency, run.inputs.length) }, () => this.#work(run))
    try {
      const outcomes = await Promise.allSettled(workers)
      // The first failure for good decides (an abort that followed it is its consequence).
      const failure = outcomes.find(o => o.status === 'rejected' && !(o.reason instanceof AbortedError)) ?? outcomes.find(o => o.status === 'rejected')
      if (failure !== undefined) throw (failure as PromiseRejectedResult).reason
      return run.results
    } finally {
      stopOnCancel()
    }
  }

  async forEach<I>(inputs: Iterable<I>, task: Task<I, void>, options: MapOptions = {}): Promise<void> {
    await this.map(inputs, task, options)
  }

  shutdown(options: ReleaseOptions = {}): Promise<RentalReport[]> {
    return this.#pool.drain(options)
  }

  /** Takes inputs one by one until none is left or the run stops; a task failing for good stops the run. */
  async #work<I, O>(run: Run<I, O>): Promise<void> {
    while (run.next < run.inputs.length) {
      if (run.stop.signal.aborted) throw run.stop.signal.reason
      const index = run.next++
      try {
        run.results[index] = await this.#runTask(run, index)
      } catch (err) {
        if (!run.stop.signal.aborted) run.stop.abort(new AbortedError('another task of the map failed'))
        throw err
      }
    }
  }

  async #runTask<I, O>(run: Run<I, O>, index: number): Promise<O> {
    const triedOn = new Set<string>()
    for (let attempt = 1; ; attempt++) {
      const rental = await this.#acquire(run, triedOn)
      const providerId = rental.provider.id
      // The provider's name as its offer gives it (golem.node.id.name), when it gives one.
      const named = rental.provider.name === undefined ? {} : { providerName: rental.provider.name }
      this.#emit('started', { index, attempt, providerId, ...named })
      const outcome = await runAttempt({
        task: run.task,
        input: run.inputs[index] as I,
        rental,
        attempt,
        timeoutMs: run.settings.timeoutMs,
        cancel: run.stop.signal,
        clock: this.#clock
      })
      if (outcome.ok) {
        await this.#pool.release(rental)
        this.#emit('done', { index, providerId, ...named })
        return outcome.value
      }
      // A cut-short attempt may still run on the provider: that rental is not reused.
      if (outcome.cutShort !== undefined) await this.#pool.destroy(rental)
      else await this.#pool.release(rental)
      if (outcome.cutShort === 'cancelled' || run.stop.signal.aborted) throw run.stop.signal.reason ?? new AbortedError('the map was cancelled')
      if (this.#failures.record(providerId)) {
        this.#log.info({ providerId }, 'provider failed too often; avoided for the rest of the run')
        this.#pool.avoidProvider(providerId)
      }
      triedOn.add(providerId)
      if (attempt > run.settings.retries) {
        this.#emit('failed', { index, error: outcome.error })
        throw outcome.error
      }
      this.#emit('retried', { index, attempt, providerId, ...named, error: outcome.error })
    }
  }

  /** A rental from a provider this task has not failed on; when no such provider can be found, any not avoided. */
  async #acquire<I, O>(run: Run<I, O>, triedOn: ReadonlySet<string>): Promise<Rental> {
    const signal = run.stop.signal
    let rental: Rental
    try {
      rental = await this.#pool.acquire({ signal, avoid: [...triedOn] })
    } catch (err) {
      if (!(err instanceof NoMatchingOffersError) || [...triedOn].every(id => this.#failures.isAvoided(id))) throw this.#asCancel(err, signal)
      rental = await this.#pool.acquire({ signal }).catch((again: unknown) => {
        throw this.#asCancel(again, signal)
      })
    }
    this.#watchCost(rental)
    return rental
  }

  #asCancel(err: unknown, signal: AbortSignal): unknown {
    return signal.aborted && signal.reason instanceof AbortedError ? signal.reason : err
  }

  #watchCost(rental: Rental): void {
    if (this.#costWatched.has(rental)) return
    this.#costWatched.add(rental)
    rental.addEventListener('cost', () => {
      let cost = 0n
      for (const held of this.#pool.rentals) cost += held.cost
      this.#emit('cost', { cost })
    })
  }

  #emit<K extends keyof ExecutorEventMap>(type: K, detail: ExecutorEventMap[K]['detail']): void {
    this.dispatchEvent(new CustomEvent(type, { detail }))
  }
}

/** An executor over rentals from `rent`; it rents nothing until the first map. */
export function createExecutor(rent: RentFn, options: ExecutorOptions, components: ExecutorComponents = {}): TaskExecutor {
  return new DefaultTaskExecutor(rent, options, components)
}
