import assert from 'node:assert/strict'
import { createExecutor } from '../../sdk/executor/index.ts'
import { AbortedError, NoMatchingOffersError, SdkError, TimeoutError } from '../../sdk/index.ts'
import type { ExecutorOptions, TaskContext, TaskExecutor } from '../../sdk/index.ts'
import { ManualClock } from '../helpers/manual-clock.ts'
import { ScriptedMarket, type ScriptedRental, settle } from '../helpers/scripted-rentals.ts'

const base: ExecutorOptions = { runtime: 'wasmtime', image: 'hello.wasm', min: 0, max: 3 }

interface Recorded {
  readonly type: string
  readonly detail: Record<string, unknown>
}

function record(executor: TaskExecutor): Recorded[] {
  const events: Recorded[] = []
  for (const type of ['queued', 'started', 'retried', 'done', 'failed', 'cost']) {
    executor.addEventListener(type, event => events.push({ type, detail: (event as CustomEvent).detail }))
  }
  return events
}

function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => {}
  const promise = new Promise<T>(r => {
    resolve = r
  })
  return { promise, resolve }
}

describe('sdk task executor', () => {
  it('returns results in input order whatever order the tasks finish in', async () => {
    const market = new ScriptedMarket(['a', 'b', 'c'])
    const executor = createExecutor(market.rent, base)
    const gates = [0, 1, 2, 3, 4, 5].map(() => deferred())
    const started: number[] = []
    const mapping = executor.map([0, 1, 2, 3, 4, 5], async (_context, input) => {
      started.push(input)
      await gates[input]!.promise
      return input * 10
    })
    // Finish the running tasks last-first as they come.
    for (let open = 0; open < 6; open++) {
      await settle()
      const running = started.filter(i => !(gates[i] as { done?: boolean }).done)
      const last = running[running.length - 1]!
      ;(gates[last] as { done?: boolean }).done = true
      gates[last]!.resolve()
    }
    assert.deepEqual(await mapping, [0, 10, 20, 30, 40, 50])
    await executor.shutdown()
  })

  it('runs at most concurrency tasks at once and holds no more rentals than that', async () => {
    const market = new ScriptedMarket(['a', 'b', 'c', 'd', 'e'])
    const executor = createExecutor(market.rent, { ...base, max: 5 })
    let running = 0
    let mostRunning = 0
    const results = await executor.map(
      Array.from({ length: 20 }, (_, i) => i),
      async ({ rental }, input) => {
        running++
        mostRunning = Math.max(mostRunning, running)
        await settle()
        running--
        return `${input}@${rental.provider.id}`
      },
      { concurrency: 2 }
    )
    assert.equal(results.length, 20)
    assert.equal(mostRunning, 2)
    assert.equal(market.mostHeld, 2)
    assert.equal(market.rentals.length, 2, 'rentals are reused between tasks')
    await executor.shutdown()
  })

  it('retries a failed attempt on another provider, with retried and done events', async () => {
    const market = new ScriptedMarket(['a', 'b'])
    const executor = createExecutor(market.rent, { ...base, max: 1 })
    const events = record(executor)
    const result = await executor.map(['x'], async ({ rental, attempt }) => {
      if (rental.provider.id === 'a') throw new Error('a cannot do it')
      return `${attempt}@${rental.provider.id}`
    })
    assert.deepEqual(result, ['2@b'])
    assert.deepEqual(
      events.filter(e => e.type !== 'cost').map(e => [e.type, e.detail.providerId, e.detail.attempt]),
      [
        ['queued', undefined, undefined],
        ['started', 'a', 1],
        ['retried', 'a', 1],
        ['started', 'b', 2],
        ['done', 'b', undefined]
      ]
    )
    assert.match(String((events.find(e => e.type === 'retried')!.detail.error as Error).message), /a cannot do it/)
    assert.deepEqual(market.rents[1]!.avoid, ['a'])
    await executor.shutdown()
  })

  it('avoids a provider for the rest of the run once it failed providerFailureLimit times', async () => {
    // Every rent that does not avoid it gets the bad provider.
    const market = new ScriptedMarket(['bad', 'good'], 'first')
    const executor = createExecutor(market.rent, { ...base, max: 2, providerFailureLimit: 2 })
    const events = record(executor)
    let rentsAtBan: number | undefined
    let badFailures = 0
    executor.addEventListener('retried', event => {
      if ((event as CustomEvent).detail.providerId === 'bad' && ++badFailures === 2) rentsAtBan = market.rents.length
    })
    const results = await executor.map(
      Array.from({ length: 8 }, (_, i) => i),
      async ({ rental }, input) => {
        await settle()
        if (rental.provider.id === 'bad') throw new Error('bad provider')
        return input
      },
      { concurrency: 2 }
    )
    assert.deepEqual(results, [0, 1, 2, 3, 4, 5, 6, 7])
    const onBad = events.filter(e => e.type === 'started' && e.detail.providerId === 'bad')
    assert.equal(onBad.length, 2, 'two failures, then never again')
    const bad = market.rentals.filter(r => r.provider.id === 'bad')
    assert.ok(
      bad.every(r => r.releases === 1),
      'its rentals were released'
    )
    const rentsAfterBan = market.rents.slice(rentsAtBan)
    assert.ok(rentsAfterBan.length > 0, 'a rental replaced the one of the avoided provider')
    assert.ok(rentsAfterBan.every(r => r.avoid?.includes('bad')))
    await executor.shutdown()
  })

  it('retries on the same provider when no other can be found', async () => {
    const market = new ScriptedMarket(['only'])
    const executor = createExecutor(market.rent, { ...base, max: 1, providerFailureLimit: 5 })
    const result = await executor.map(['x'], async ({ attempt }) => {
      if (attempt < 3) throw new Error(`attempt ${attempt} failed`)
      return attempt
    })
    assert.deepEqual(result, [3])
    await executor.shutdown()
  })

  it('a per-attempt timeout aborts the task through its signal, drops that rental and retries', async () => {
    const clock = new ManualClock()
    const market = new ScriptedMarket(['a', 'b'])
    const executor = createExecutor(market.rent, { ...base, max: 1 }, { clock })
    const seen: TaskContext[] = []
    const mapping = executor.map(
      ['x'],
      async context => {
        seen.push(context)
        if (context.attempt === 1) {
          await new Promise((_, reject) => context.signal.addEventListener('abort', () => reject(context.signal.reason)))
        }
        return context.rental.provider.id
      },
      { timeout: 1_000 }
    )
    await settle()
    assert.equal(seen.length, 1)
    assert.deepEqual(clock.pending(), [clock.now() + 1_000])
    clock.advance(1_000)
    assert.deepEqual(await mapping, ['b'])
    assert.ok(seen[0]!.signal.aborted)
    assert.ok(seen[0]!.signal.reason instanceof TimeoutError)
    assert.equal(market.rentals[0]!.releases, 1, 'the timed-out rental is not reused')
    await executor.shutdown()
  })

  it('a task that ignores its signal still ends at the timeout', async () => {
    const clock = new ManualClock()
    const market = new ScriptedMarket(['a'])
    const executor = createExecutor(market.rent, { ...base, max: 1 }, { clock })
    const mapping = executor.map(['x'], () => new Promise<string>(() => {}), { timeout: 500, retries: 0 })
    await settle()
    clock.advance(500)
    await assert.rejects(mapping, TimeoutError)
    await executor.shutdown()
  })

  it('ends with NoMatchingOffersError when no provider can be rented', async () => {
    const market = new ScriptedMarket([])
    const executor = createExecutor(market.rent, base)
    await assert.rejects(
      executor.map([1, 2], async () => 1),
      (err: unknown) => err instanceof NoMatchingOffersError && err.explanation.offersKnown === 0
    )
    await executor.shutdown()
  })

  it('cancellation stops new attempts, aborts the running ones and rejects with AbortedError', async () => {
    const market = new ScriptedMarket(['a', 'b'])
    const executor = createExecutor(market.rent, { ...base, max: 2 })
    const events = record(executor)
    const controller = new AbortController()
    const signals: AbortSignal[] = []
    const firstStarted = deferred()
    const mapping = executor.map(
      Array.from({ length: 10 }, (_, i) => i),
      async ({ signal }) => {
        signals.push(signal)
        firstStarted.resolve()
        await new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)))
      },
      { signal: controller.signal, concurrency: 2 }
    )
    await firstStarted.promise
    await settle()
    controller.abort()
    await assert.rejects(mapping, AbortedError)
    assert.equal(signals.length, 2)
    assert.ok(signals.every(s => s.aborted))
    assert.equal(events.filter(e => e.type === 'started').length, 2)
    assert.equal(events.filter(e => e.type === 'retried').length, 0)
    await executor.shutdown()
    assert.ok(market.rentals.every(r => r.releases === 1))
  })

  it('a map on an already aborted signal rents nothing', async () => {
    const market = new ScriptedMarket(['a'])
    const executor = createExecutor(market.rent, base)
    await assert.rejects(
      executor.map([1], async () => 1, { signal: AbortSignal.abort() }),
      AbortedError
    )
    assert.equal(market.rents.length, 0)
  })

  it('a task that fails every attempt emits failed, rejects the map with its error and stops the other tasks', async () => {
    const market = new ScriptedMarket(['a', 'b', 'c'])
    const executor = createExecutor(market.rent, { ...base, providerFailureLimit: 10 })
    const events = record(executor)
    const others: AbortSignal[] = []
    await assert.rejects(
      executor.map(
        [0, 1, 2],
        async ({ signal }, input) => {
          if (input === 0) throw new Error('input 0 is broken')
          others.push(signal)
          await new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)))
        },
        { retries: 2 }
      ),
      /input 0 is broken/
    )
    assert.equal(events.filter(e => e.type === 'retried' && e.detail.index === 0).length, 2)
    const failed = events.filter(e => e.type === 'failed')
    assert.equal(failed.length, 1)
    assert.equal(failed[0]!.detail.index, 0)
    assert.ok(others.length > 0 && others.every(s => s.aborted))
    await executor.shutdown()
  })

  it('emits the cost so far as the sum of its rentals costs', async () => {
    const market = new ScriptedMarket(['a', 'b'])
    const executor = createExecutor(market.rent, { ...base, max: 2 })
    const events = record(executor)
    await executor.map(
      [5n, 7n],
      async ({ rental }, amount) => {
        await settle()
        ;(rental as ScriptedRental).charge(amount)
      },
      { concurrency: 2 }
    )
    const costs = events.filter(e => e.type === 'cost').map(e => e.detail.cost)
    assert.equal(costs.length, 2)
    assert.equal(costs[costs.length - 1], 12n)
    assert.deepEqual(
      events.filter(e => e.type === 'queued').map(e => e.detail.index),
      [0, 1]
    )
    assert.equal(events.filter(e => e.type === 'done').length, 2)
    await executor.shutdown()
  })

  it('refuses bad map options before renting anything', async () => {
    const market = new ScriptedMarket(['a'])
    const executor = createExecutor(market.rent, base)
    for (const options of [{ concurrency: 0 }, { retries: -1 }, { timeout: 0 }, { concurrency: 1.5 }]) {
      await assert.rejects(
        executor.map([1], async () => 1, options),
        (err: unknown) => err instanceof SdkError && err.code === 'BadRequest'
      )
    }
    assert.throws(
      () => createExecutor(market.rent, { ...base, providerFailureLimit: 0 }),
      (err: unknown) => err instanceof SdkError && err.code === 'BadRequest'
    )
    assert.equal(market.rents.length, 0)
  })

  it('keeps its rentals between maps and releases them all at shutdown', async () => {
    const market = new ScriptedMarket(['a'])
    const executor = createExecutor(market.rent, { ...base, max: 1 })
    assert.deepEqual(await executor.map([1], async () => 1), [1])
    assert.deepEqual(await executor.map([2], async () => 2), [2])
    assert.equal(market.rentals.length, 1)
    const reports = await executor.shutdown()
    assert.deepEqual(
      reports.map(r => r.agreementId),
      [market.rentals[0]!.agreementId]
    )
  })
})
