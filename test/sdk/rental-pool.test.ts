import assert from 'node:assert/strict'
import { createRentalPool } from '../../sdk/pool/index.ts'
import { AbortedError, SdkError } from '../../sdk/index.ts'
import type { PoolOptions, Rental, RentOptions } from '../../sdk/index.ts'
import { withRentReport } from '../../sdk/rental/failed-rent.ts'
import { ManualClock } from '../helpers/manual-clock.ts'
import { ScriptedMarket, settle } from '../helpers/scripted-rentals.ts'

const base: Omit<PoolOptions, 'min' | 'max'> = { runtime: 'wasmtime', image: 'hello.wasm' }

describe('sdk rental pool', () => {
  it('rents min rentals up front, all at once, and is ready with exactly min', async () => {
    const market = new ScriptedMarket(['a', 'b', 'c', 'd'])
    market.hold()
    const creating = createRentalPool(market.rent, { ...base, min: 3, max: 5 })
    await settle()
    assert.equal(market.pending, 3, 'the three rents are under way together')
    market.open()
    const pool = await creating
    assert.equal(pool.size, 3)
    assert.equal(pool.available, 3)
    assert.equal(market.rents.length, 3)
    await pool.drain()
  })

  it('a waiter takes a rental given back while the rent it started is under way; that rental joins the pool when it comes', async () => {
    const market = new ScriptedMarket(['a', 'b'])
    const pool = await createRentalPool(market.rent, { ...base, min: 1, max: 2 })
    const first = await pool.acquire()
    market.hold()
    const waiting = pool.acquire()
    await settle()
    assert.equal(market.pending, 1, 'below the cap, it started one more rent')
    await pool.release(first)
    assert.equal(await waiting, first, 'it took the rental given back, not waiting out the rent')
    market.open()
    await settle()
    assert.equal(pool.size, 2)
    assert.equal(pool.available, 1, 'the new rental is ready for the next task')
    await pool.release(first)
    await pool.drain()
  })

  it('never holds more than max: a further acquire waits for a release and gets that rental', async () => {
    const market = new ScriptedMarket(['a', 'b', 'c'])
    const pool = await createRentalPool(market.rent, { ...base, min: 0, max: 2 })
    const first = await pool.acquire()
    const second = await pool.acquire()
    let third: Rental | undefined
    const waiting = pool.acquire().then(r => {
      third = r
      return r
    })
    await settle()
    assert.equal(third, undefined, 'the third acquire waits')
    assert.equal(market.rents.length, 2)
    await pool.release(first)
    assert.equal(await waiting, first)
    assert.equal(market.mostHeld, 2)
    await pool.release(second)
    await pool.release(first)
    await pool.drain()
  })

  it('an acquire waiting at max ends with AbortedError when its signal aborts, and the pool serves the next one', async () => {
    const market = new ScriptedMarket(['a'])
    const pool = await createRentalPool(market.rent, { ...base, min: 1, max: 1 })
    const held = await pool.acquire()
    const controller = new AbortController()
    const waiting = pool.acquire({ signal: controller.signal })
    controller.abort()
    await assert.rejects(waiting, AbortedError)
    const next = pool.acquire()
    await pool.release(held)
    assert.equal(await next, held)
    await pool.release(held)
    await pool.drain()
  })

  it('shares the budget between max rentals: each rents with floor(budget / max) base units', async () => {
    const market = new ScriptedMarket(['a', 'b', 'c'])
    const pool = await createRentalPool(market.rent, { ...base, min: 2, max: 3, budget: '1' })
    const held = [await pool.acquire(), await pool.acquire(), await pool.acquire()]
    const share = 10n ** 18n / 3n
    assert.deepEqual(
      market.rents.map(r => r.budget),
      [share, share, share]
    )
    assert.ok(share * 3n <= 10n ** 18n)
    for (const rental of held) await pool.release(rental)
    await pool.drain()
  })

  it('refuses bad limits and a budget too small to share before renting anything', async () => {
    const market = new ScriptedMarket(['a'])
    for (const [limits, what] of [
      [{ min: 3, max: 2 }, /min \(3\) must not exceed max \(2\)/],
      [{ min: 0, max: 0 }, /max must be a whole number/],
      [{ min: -1, max: 2 }, /min must be a whole number/],
      [{ min: 1.5, max: 2 }, /min must be a whole number/]
    ] as const) {
      await assert.rejects(
        createRentalPool(market.rent, { ...base, ...limits }),
        (err: unknown) => err instanceof SdkError && err.code === 'BadRequest' && what.test(err.message)
      )
    }
    await assert.rejects(
      createRentalPool(market.rent, { ...base, min: 1, max: 3, budget: 2n }),
      (err: unknown) => err instanceof SdkError && err.code === 'BadRequest'
    )
    await assert.rejects(
      createRentalPool(market.rent, { ...base, min: 1, max: 3, budget: '-1' }),
      (err: unknown) => err instanceof SdkError && err.code === 'BadRequest'
    )
    assert.equal(market.rents.length, 0)
  })

  it('when an up-front rent fails, releases the rentals it got and throws that failure', async () => {
    const market = new ScriptedMarket(['a', 'b'])
    // Three at once from two providers, each rent avoiding nothing: the scripted market refuses none, so refuse the third here.
    let calls = 0
    const rent = async (options: Parameters<typeof market.rent>[0]) => {
      if (++calls === 3) throw new SdkError('Unavailable', 'the daemon is busy')
      return market.rent(options)
    }
    await assert.rejects(createRentalPool(rent, { ...base, min: 3, max: 3 }), /the daemon is busy/)
    assert.equal(market.rentals.length, 2)
    assert.ok(market.rentals.every(r => r.releases === 1))
  })

  it('drops an idle rental whose provider was lost and rents a replacement while below min', async () => {
    const market = new ScriptedMarket(['a', 'b'])
    const pool = await createRentalPool(market.rent, { ...base, min: 2, max: 2 })
    const [lost] = market.rentals
    lost!.lose()
    await settle()
    assert.equal(lost!.releases, 1)
    assert.equal(market.rentals.length, 3)
    assert.equal(pool.size, 2)
    assert.equal(pool.available, 2)
    const a = await pool.acquire()
    const b = await pool.acquire()
    assert.ok(a !== lost && b !== lost)
    await pool.release(a)
    await pool.release(b)
    await pool.drain()
  })

  it('destroys a rental lost while in use when it is released, and never hands it out again', async () => {
    const market = new ScriptedMarket(['a', 'b'])
    const pool = await createRentalPool(market.rent, { ...base, min: 1, max: 1 })
    const inUse = await pool.acquire()
    ;(inUse as (typeof market.rentals)[number]).lose()
    await pool.release(inUse)
    await settle()
    assert.equal(market.rentals[0]!.releases, 1)
    const next = await pool.acquire()
    assert.notEqual(next, inUse)
    assert.equal(next.state, 'active')
    await pool.release(next)
    await pool.drain()
  })

  it('withRental gives the rental back when the function throws', async () => {
    const market = new ScriptedMarket(['a'])
    const pool = await createRentalPool(market.rent, { ...base, min: 1, max: 1 })
    await assert.rejects(
      pool.withRental(async () => {
        throw new Error('task broke')
      }),
      /task broke/
    )
    assert.equal(pool.available, 1)
    assert.equal(await pool.withRental(async r => r.provider.id), 'a')
    await pool.drain()
  })

  it('acquire with avoid passes over idle rentals of those providers and rents one that avoids them', async () => {
    const market = new ScriptedMarket(['a', 'b'])
    const pool = await createRentalPool(market.rent, { ...base, min: 1, max: 2 })
    assert.equal(market.rentals[0]!.provider.id, 'a')
    const other = await pool.acquire({ avoid: ['a'] })
    assert.equal(other.provider.id, 'b')
    assert.deepEqual(market.rents[1]!.avoid, ['a'])
    await pool.release(other)
    await pool.drain()
  })

  it('at max with only avoided rentals, an acquire makes room from an idle one instead of waiting forever', async () => {
    const market = new ScriptedMarket(['a', 'b'])
    const pool = await createRentalPool(market.rent, { ...base, min: 1, max: 1 })
    const other = await pool.acquire({ avoid: ['a'] })
    assert.equal(other.provider.id, 'b')
    assert.equal(market.rentals[0]!.releases, 1, 'the idle rental of a was released to make room')
    await pool.release(other)
    await pool.drain()
  })

  it('drain waits for rentals in use, then releases every one and returns their reports', async () => {
    const market = new ScriptedMarket(['a', 'b'])
    const pool = await createRentalPool(market.rent, { ...base, min: 2, max: 2 })
    const inUse = await pool.acquire()
    let drained = false
    const draining = pool.drain().then(reports => {
      drained = true
      return reports
    })
    await settle()
    assert.equal(drained, false)
    await assert.rejects(pool.acquire(), (err: unknown) => err instanceof SdkError && err.code === 'Unavailable')
    await pool.release(inUse)
    const reports = await draining
    assert.deepEqual(reports.map(r => r.agreementId).sort(), market.rentals.map(r => r.agreementId).sort())
    assert.ok(market.rentals.every(r => r.releases === 1))
  })

  it('drain is bounded: a rental never given back is released after the wait', async () => {
    const clock = new ManualClock()
    const market = new ScriptedMarket(['a'])
    const pool = await createRentalPool(market.rent, { ...base, min: 1, max: 1 }, { clock })
    await pool.acquire()
    const draining = pool.drain({ timeoutMs: 5_000 })
    await settle()
    assert.deepEqual(clock.pending(), [clock.now() + 5_000])
    clock.advance(5_000)
    const reports = await draining
    assert.equal(reports.length, 1)
    assert.equal(market.rentals[0]!.releases, 1)
  })

  it('drain aborts a rent under way and releases what it still returns', async () => {
    const market = new ScriptedMarket(['a'])
    const pool = await createRentalPool(market.rent, { ...base, min: 0, max: 1 })
    market.hold()
    const acquiring = pool.acquire()
    await settle()
    assert.equal(market.pending, 1)
    const reports = await pool.drain()
    await assert.rejects(acquiring, (error: unknown) => error instanceof SdkError && error.code === 'Unavailable' && /draining/.test(error.message))
    assert.equal(market.pending, 0, 'the rent under way was aborted')
    assert.deepEqual(reports, [])
    market.open()
  })

  it('counts the agreement a failed rent made and ended with the reports drain returns', async () => {
    const market = new ScriptedMarket(['a'])
    const ended = { agreementId: 'agreement-ended', providerId: 'a', cost: 7n, rejected: [] }
    // A rent cut short after its agreement was made: it ended and settled that agreement before it threw.
    const rent = async (options: RentOptions): Promise<Rental> => {
      try {
        return await market.rent(options)
      } catch (error) {
        throw withRentReport(error, ended)
      }
    }
    const pool = await createRentalPool(rent, { ...base, min: 0, max: 1 })
    market.hold()
    const acquiring = pool.acquire()
    await settle()
    const reports = await pool.drain()
    await assert.rejects(acquiring, SdkError)
    assert.deepEqual(reports, [ended])
    market.open()
  })

  it('drain waits for every rent under way, also after one failed, and returns what each cost', async () => {
    const market = new ScriptedMarket(['a', 'b'])
    const ended = { agreementId: 'agreement-ended', providerId: 'a', cost: 3n, rejected: [] }
    const gates = [Promise.withResolvers<void>(), Promise.withResolvers<void>()]
    let calls = 0
    // Two rents that do not stop at the drain's abort: the first fails (its agreement ended), the second rents.
    const rent = async (options: RentOptions): Promise<Rental> => {
      const mine = calls++
      await gates[mine]!.promise
      if (mine === 0) throw withRentReport(new AbortedError('renting was aborted'), ended)
      return await market.rent({ ...options, signal: new AbortController().signal })
    }
    const pool = await createRentalPool(rent, { ...base, min: 0, max: 2, spread: false })
    // Their outcomes, taken at once (drain fails both waiters).
    const acquiring = [pool.acquire(), pool.acquire()].map(waiting =>
      waiting.then(
        () => undefined,
        (error: unknown) => error
      )
    )
    await settle()
    assert.equal(calls, 2)
    const draining = pool.drain()
    gates[0]!.resolve()
    await settle()
    gates[1]!.resolve()
    const reports = await draining
    assert.deepEqual(reports.map(report => report.agreementId).sort(), [ended.agreementId, market.rentals[0]!.agreementId].sort())
    assert.equal(market.rentals[0]!.releases, 1, 'the rental that came after the drain began was released')
    for (const outcome of await Promise.all(acquiring)) assert.ok(outcome instanceof SdkError && outcome.code === 'Unavailable', String(outcome))
  })

  it('spreads new rentals over providers it does not hold yet, one rent at a time', async () => {
    // A market that would give every rent the same provider.
    const market = new ScriptedMarket(['a', 'b', 'c'], 'first')
    const pool = await createRentalPool(market.rent, { ...base, min: 0, max: 3 })
    const held = await Promise.all([pool.acquire(), pool.acquire(), pool.acquire()])
    assert.deepEqual(held.map(r => r.provider.id).sort(), ['a', 'b', 'c'])
    assert.deepEqual(
      market.rents.filter(r => r.startupTimeoutMs !== undefined).map(r => [...(r.avoid ?? [])].sort()),
      [['a'], ['a', 'b']]
    )
    for (const rental of held) await pool.release(rental)
    await pool.drain()
  })

  it('when no other provider answers, a spreading rent takes one it holds already', async () => {
    const market = new ScriptedMarket(['only'], 'first')
    const pool = await createRentalPool(market.rent, { ...base, min: 0, max: 2 })
    const held = await Promise.all([pool.acquire(), pool.acquire()])
    assert.deepEqual(
      held.map(r => r.provider.id),
      ['only', 'only']
    )
    for (const rental of held) await pool.release(rental)
    await pool.drain()
  })

  it('with spread false, rents at once whatever it holds', async () => {
    const market = new ScriptedMarket(['a', 'b'], 'first')
    const pool = await createRentalPool(market.rent, { ...base, min: 0, max: 2, spread: false })
    market.hold()
    const acquiring = Promise.all([pool.acquire(), pool.acquire()])
    await settle()
    assert.equal(market.pending, 2)
    market.open()
    const held = await acquiring
    assert.deepEqual(
      held.map(r => r.provider.id),
      ['a', 'a']
    )
    for (const rental of held) await pool.release(rental)
    await pool.drain()
  })
})
