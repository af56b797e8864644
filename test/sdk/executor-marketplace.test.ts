// The task executor over real daemons: three providers and one requester on
// loopback paying on the dev chain. A map returns its results in input order;
// a task failing on one provider is retried on another and that provider is
// avoided; rentals are released with their agreements terminated.
import assert from 'node:assert/strict'
import { CommandFailedError, connect } from '../../sdk/index.ts'
import type { AgoraClient, ExecutorOptions } from '../../sdk/index.ts'
import { devChainFixture } from '../helpers/dev-chain.ts'
import { GOLEM_APP_KEY } from '../helpers/golem-daemons.ts'
import { startMarketplace } from '../helpers/sdk-marketplace.ts'
import type { Marketplace } from '../helpers/sdk-marketplace.ts'

describe('sdk executor over three providers', function () {
  this.timeout(240_000)
  const fixture = devChainFixture()
  let market: Marketplace
  let client: AgoraClient
  let options: ExecutorOptions

  before(async function () {
    this.timeout(180_000)
    market = await startMarketplace(fixture, 3)
    client = await connect({ url: market.requester.url, appKey: GOLEM_APP_KEY })
    options = {
      runtime: 'wasmtime',
      image: market.image,
      min: 0,
      max: 3,
      budget: '3',
      duration: 600,
      startupTimeoutMs: 60_000,
      maxPrices: { startPrice: '1', cpuPerHour: '1', envPerHour: '1' }
    }
  })

  after(async function () {
    this.timeout(60_000)
    await client?.close({ now: true }).catch(() => {})
    await market?.stop()
  })

  it('maps inputs across the providers and returns the results in input order', async () => {
    const executor = client.executor(options)
    const providersUsed = new Set<string>()
    executor.addEventListener('started', event => providersUsed.add((event as CustomEvent).detail.providerId))
    const inputs = Array.from({ length: 12 }, (_, i) => `item-${i}`)
    // The first three tasks hold on until all three run at once: three rentals, whatever the machine's speed.
    let begun = 0
    const threeAtOnce = Promise.withResolvers<void>()
    const results = await executor.map(
      inputs,
      async ({ rental, signal }, input) => {
        if (++begun === 3) threeAtOnce.resolve()
        if (begun <= 3) await threeAtOnce.promise
        return (await rental.run('probe', ['0', input], { signal })).stdout.trim()
      },
      { concurrency: 3 }
    )
    assert.deepEqual(results, inputs)
    const known = new Set(market.providers.map(p => p.nodeId))
    assert.ok(
      [...providersUsed].every(id => known.has(id)),
      [...providersUsed].join(',')
    )
    const reports = await executor.shutdown({ timeoutMs: 30_000 })
    assert.equal(reports.length, 3, 'three rentals for concurrency 3, reused between tasks')
    // New rentals look first among providers the executor does not hold yet (a loaded machine may leave one slow to answer).
    const rented = new Set(reports.map(report => report.providerId))
    assert.ok(rented.size >= 2 && [...rented].every(id => known.has(id)), [...rented].join(','))
    for (const report of reports) {
      const agreement = await market.requester.client.agreement(report.agreementId)
      assert.equal(agreement.state, 'Terminated')
    }
  })

  it('retries a task that fails on one provider on another, and avoids that provider after', async () => {
    const executor = client.executor({ ...options, max: 1, providerFailureLimit: 1 })
    const events: { type: string; detail: Record<string, unknown> }[] = []
    for (const type of ['started', 'retried', 'done']) executor.addEventListener(type, e => events.push({ type, detail: (e as CustomEvent).detail }))
    let failing: string | undefined
    const results = await executor.map(
      ['a', 'b', 'c'],
      async ({ rental, signal }, input) => {
        failing ??= rental.provider.id
        // The first provider's run exits 3: a CommandFailedError from a real run.
        const code = rental.provider.id === failing ? '3' : '0'
        return (await rental.run('probe', [code, input], { signal })).stdout.trim()
      },
      { concurrency: 1, retries: 2 }
    )
    assert.deepEqual(results, ['a', 'b', 'c'])
    const retried = events.filter(e => e.type === 'retried')
    assert.equal(retried.length, 1)
    assert.equal(retried[0]!.detail.providerId, failing)
    assert.ok(retried[0]!.detail.error instanceof CommandFailedError)
    const started = events.filter(e => e.type === 'started').map(e => e.detail.providerId)
    assert.equal(started[0], failing)
    assert.ok(
      started.slice(1).every(id => id !== failing),
      `after its failure ${String(failing)} is never used: ${started.join(',')}`
    )
    const reports = await executor.shutdown({ timeoutMs: 30_000 })
    assert.equal(reports.length, 2, 'the failing provider’s rental and its replacement')
    for (const report of reports) assert.equal((await market.requester.client.agreement(report.agreementId)).state, 'Terminated')
  })
})
