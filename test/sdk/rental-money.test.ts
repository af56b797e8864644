// Money and "why no offers" through rent(): a real provider daemon that prices
// 1,000 CPU seconds more than its activities used (its payment module's
// usageReadings component) has its debit notes and invoice rejected with
// INCORRECT_AMOUNT, as rental events and in the release report, and the rental
// costs nothing; a demand the market cannot meet ends in NoMatchingOffersError
// naming the constraint that excluded the offers.
import assert from 'node:assert/strict'
import { NoMatchingOffersError, connect } from '../../sdk/index.ts'
import type { AgoraClient } from '../../sdk/index.ts'
import { TEST_APP_KEY } from '../helpers/cluster.ts'
import { golemOffer } from '../helpers/golem-js.ts'
import { serveProbeWorkload } from '../helpers/golem-workload.ts'
import type { ServedWorkload } from '../helpers/golem-workload.ts'
import { PAIR_PLATFORM, paymentPairFixture } from '../helpers/payment-pair.ts'
import { startProviderAgent } from '../helpers/provider-agent.ts'
import type { ProviderAgent } from '../helpers/provider-agent.ts'
import { eventually } from '../helpers/wait.ts'

describe('sdk: rent() from a provider that overcharges', function () {
  this.timeout(240_000)
  const pair = paymentPairFixture('100', {
    modules: { activity: { allowPrivateNetworks: true } },
    providerComponents: {
      usageReadings: counters => ({ ...counters, 'golem.usage.cpu_sec': (counters['golem.usage.cpu_sec'] ?? 0) + 1000 })
    }
  })
  let workload: ServedWorkload
  let agent: ProviderAgent
  let client: AgoraClient
  let image: string

  before(async function () {
    this.timeout(60_000)
    workload = await serveProbeWorkload()
    image = `hash:sha3:${workload.imageHash}:${workload.imageUrl}`
    const offer = golemOffer(pair.provider.nodeId, 'wasmtime')
    offer.properties[`golem.com.payment.platform.${PAIR_PLATFORM}.address`] = pair.provider.nodeId.toLowerCase()
    agent = await startProviderAgent(pair.provider.client, offer)
    client = await connect({ url: pair.requester.client.url, appKey: TEST_APP_KEY })
  })

  after(async function () {
    this.timeout(60_000)
    await client?.close({ now: true }).catch(() => {})
    await agent?.stop().catch(() => {})
    await workload?.close()
  })

  it('rejects its debit notes and invoice with INCORRECT_AMOUNT; the rental costs nothing', async () => {
    const rental = await client.rent({
      runtime: 'wasmtime',
      image,
      budget: '1',
      duration: 600,
      startupTimeoutMs: 60_000,
      paymentPlatform: PAIR_PLATFORM
    })
    const rejected: Array<{ documentId: string; reason: string; message?: string }> = []
    rental.addEventListener('rejected', event => rejected.push((event as CustomEvent).detail))
    const result = await rental.run('probe', ['0', 'overcharged'])
    assert.equal(result.exitCode, 0)
    await eventually('a rejected debit note', async () => rejected.length >= 1)
    assert.equal(rejected[0]?.reason, 'INCORRECT_AMOUNT')
    assert.match(rejected[0]?.message ?? '', /impossible usage: golem\.usage\.cpu_sec [\d.]+ is more than 1 thread × /)

    const report = await rental.release({ timeoutMs: 60_000 })
    assert.equal(report.cost, 0n)
    assert.equal(rental.cost, 0n)
    assert.ok(report.invoiceId !== undefined, 'the invoice came and was answered')
    assert.equal(report.rejected.find(r => r.documentId === report.invoiceId)?.reason, 'INCORRECT_AMOUNT')
    assert.ok(report.rejected.every(r => r.reason === 'INCORRECT_AMOUNT'))
    const invoice = await pair.provider.client.expect<any>(200, 'GET', `/payment-api/v1/invoices/${report.invoiceId}`)
    await eventually('the provider sees the invoice rejected', async () => {
      const seen = await pair.provider.client.expect<any>(200, 'GET', `/payment-api/v1/invoices/${invoice.invoiceId}`)
      return seen.status === 'REJECTED'
    })
  })

  it('ends a rent() the market cannot meet with NoMatchingOffersError naming what excluded the offers', async () => {
    await assert.rejects(
      client.rent({ runtime: 'wasmtime', image, budget: '1', startupTimeoutMs: 3_000, resources: { minMemGib: 4096 }, paymentPlatform: PAIR_PLATFORM }),
      (error: unknown) => {
        assert.ok(error instanceof NoMatchingOffersError, String(error))
        const known = error.explanation.offersKnown
        assert.ok(known >= 1)
        assert.equal(error.explanation.matching, 0)
        const memory = error.explanation.demandConstraints.find(term => term.constraint.includes('golem.inf.mem.gib>=4096'))
        assert.equal(memory?.excluded, known, JSON.stringify(error.explanation))
        assert.match(error.message, new RegExp(`${known} offers? known, none matched: .*golem\\.inf\\.mem\\.gib>=4096 excluded ${known}`))
        return true
      }
    )
  })
})
