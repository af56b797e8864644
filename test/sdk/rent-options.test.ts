// What rent() makes of its options before anything reaches the daemon: the
// budget (given, or from the max prices over the duration, exact), the
// demand's properties and constraints, offers' prices per hour from their
// coefficients, and the refusals of bad options, each naming the option.
import assert from 'node:assert/strict'
import { SdkError } from '../../sdk/index.ts'
import { budgetOf, checkRentOptions, demandOf } from '../../sdk/rental/demand.ts'
import { resolveImage } from '../../sdk/rental/image.ts'
import { cheaperFirst, offerPrices, priceAboveLimit, priceLimitsOf, summaryOf } from '../../sdk/rental/offer-summary.ts'
import type { RentOptions } from '../../sdk/types.ts'

const PACKAGE = `hash:sha3:${'ab'.repeat(28)}:http://127.0.0.1:9/probe.wasm`
const base: RentOptions = { runtime: 'wasmtime', image: PACKAGE, budget: '1' }
const allocation = {
  allocationId: 'a-1',
  platform: 'erc20-dev-tglm',
  address: '0x00000000000000000000000000000000000000aa',
  total: 10n ** 18n,
  decoration: {
    properties: { 'golem.com.payment.platform.erc20-dev-tglm.address': '0xaa' },
    constraints: ['(golem.com.payment.platform.erc20-dev-tglm.address=*)']
  },
  release: async () => {}
}

function offer(coeffs: unknown[], vector = ['golem.usage.cpu_sec', 'golem.usage.duration_sec']): Record<string, unknown> {
  return {
    'golem.com.pricing.model': 'linear',
    'golem.com.usage.vector': vector,
    'golem.com.pricing.model.linear.coeffs': coeffs,
    'golem.runtime.name': 'wasmtime'
  }
}

const refusal =
  (pattern: RegExp) =>
  (error: unknown): boolean => {
    assert.ok(error instanceof SdkError, String(error))
    assert.equal(error.code, 'BadRequest')
    assert.match(error.message, pattern)
    return true
  }

describe('sdk: rent options', () => {
  it('takes the budget as token units or base units, exactly', () => {
    assert.equal(budgetOf({ ...base, budget: '0.000000000000000123' }), 123n)
    assert.equal(budgetOf({ ...base, budget: 5n }), 5n)
    assert.throws(() => budgetOf({ ...base, budget: '-1' }), refusal(/budget/))
    assert.throws(() => budgetOf({ ...base, budget: '0' }), refusal(/budget must be more than 0/))
    assert.throws(() => budgetOf({ ...base, budget: 0.5 as never }), refusal(/budget/))
  })

  it('sizes the budget from the max prices over the duration when none is given: start + (cpu × threads + env) × hours', () => {
    const options: RentOptions = {
      runtime: 'wasmtime',
      image: PACKAGE,
      duration: 600,
      resources: { minCpuThreads: 2 },
      maxPrices: { startPrice: '0.001', cpuPerHour: '0.36', envPerHour: '0.18' }
    }
    // 0.001 + (0.36 × 2 + 0.18) × 600 / 3600 = 0.151
    assert.equal(budgetOf(options), 151_000_000_000_000_000n)
    assert.throws(
      () => budgetOf({ ...options, maxPrices: { cpuPerHour: '1' } }),
      refusal(/give a budget, or maxPrices with startPrice, cpuPerHour and envPerHour/)
    )
    assert.throws(() => budgetOf({ ...options, maxPrices: { startPrice: '1', cpuPerHour: 'cheap', envPerHour: '1' } }), refusal(/maxPrices.cpuPerHour/))
  })

  it('refuses bad options whole, naming the option', () => {
    assert.throws(() => checkRentOptions({ ...base, runtime: 'docker' as never }), refusal(/runtime must be "wasmtime" or "vm"/))
    assert.throws(() => checkRentOptions({ ...base, duration: 0 }), refusal(/duration/))
    assert.throws(() => checkRentOptions({ ...base, resources: { minMemGib: -1 } }), refusal(/resources.minMemGib/))
    assert.throws(() => checkRentOptions({ ...base, startupTimeoutMs: Number.NaN }), refusal(/startupTimeoutMs/))
    // A subnet or platform that would end a constraint term and start another is refused before any demand exists.
    assert.throws(() => checkRentOptions({ ...base, subnet: 'x)(golem.runtime.name=*' }), refusal(/subnet/))
    assert.throws(() => checkRentOptions({ ...base, paymentPlatform: 'erc20-dev-tglm)(' }), refusal(/paymentPlatform/))
    checkRentOptions({ ...base, subnet: 'agora-test', paymentPlatform: 'erc20-dev-tglm' })
  })

  it('passes Golem task packages through, and docker:<image> on vm only', () => {
    assert.equal(resolveImage('wasmtime', PACKAGE), PACKAGE)
    assert.equal(resolveImage('vm', 'docker:busybox:1.36'), 'docker:busybox:1.36')
    assert.throws(() => resolveImage('wasmtime', 'docker:busybox'), refusal(/rent it with runtime "vm"/))
    assert.throws(() => resolveImage('vm', 'docker:'), refusal(/not a valid docker:<image>/))
    assert.throws(() => resolveImage('wasmtime', 'hash:sha3:abc:http://x'), refusal(/neither a task package/))
  })

  it('builds the demand: expiration, task package, platform and decoration as properties; runtime, resources, subnet as constraints', () => {
    const demand = demandOf({ ...base, duration: 120, subnet: 'agora-test', resources: { minMemGib: 0.5, minCpuThreads: 2 } }, allocation, 1_000_000)
    assert.deepEqual(demand.properties, {
      'golem.srv.comp.expiration': 1_120_000,
      'golem.srv.comp.task_package': PACKAGE,
      'golem.com.payment.chosen-platform': 'erc20-dev-tglm',
      'golem.com.payment.platform.erc20-dev-tglm.address': '0xaa',
      'golem.node.debug.subnet': 'agora-test'
    })
    assert.equal(
      demand.constraints,
      '(&(golem.runtime.name=wasmtime)(golem.com.pricing.model=linear)(golem.inf.cpu.threads>=2)(golem.inf.mem.gib>=0.5)(golem.node.debug.subnet=agora-test)(golem.com.payment.platform.erc20-dev-tglm.address=*))'
    )
  })

  it('names a dataset by the property agora.data.name and its constraint, with a manifest as a property; refuses a bad name or manifest', () => {
    const manifest = JSON.stringify({ name: 'mean', version: '1', hash: 'sha3:00', publisher: '0xaa', signature: '0x00' })
    const demand = demandOf({ ...base, dataset: 'clinic-a.v2', manifest }, allocation, 1_000_000)
    assert.equal(demand.properties['agora.data.name'], 'clinic-a.v2')
    assert.equal(demand.properties['agora.data.manifest'], manifest)
    assert.ok(demand.constraints.endsWith('(agora.data.name=clinic-a.v2)(golem.com.payment.platform.erc20-dev-tglm.address=*))'), demand.constraints)
    assert.equal(demandOf(base, allocation, 1_000_000).properties['agora.data.name'], undefined)
    // A name that would end the term and start another, or that no owner could register, is refused before any demand.
    assert.throws(() => checkRentOptions({ ...base, dataset: 'x)(golem.runtime.name=*' }), refusal(/dataset must be/))
    assert.throws(() => checkRentOptions({ ...base, dataset: 'Clinic' }), refusal(/dataset must be/))
    assert.throws(() => checkRentOptions({ ...base, dataset: '' }), refusal(/dataset must be/))
    assert.throws(() => checkRentOptions({ ...base, manifest: 'not json' }), refusal(/manifest is not JSON/))
    assert.throws(() => checkRentOptions({ ...base, manifest: '[1]' }), refusal(/manifest must be a JSON object/))
    checkRentOptions({ ...base, dataset: 'a', manifest })
  })

  it("reads an offer's prices per hour at the decimals its coefficients are written as", () => {
    const prices = offerPrices(offer([0.0001, 0.00005, 0.001]))
    const summary = summaryOf('o-1', '0xp', offer([0.0001, 0.00005, 0.001]), prices)
    assert.deepEqual(summary.prices, { startPrice: '0.001', cpuPerHour: '0.36', envPerHour: '0.18' })
    // Exactly at the limit is within it; a hair below it is not.
    assert.equal(priceAboveLimit(prices, priceLimitsOf({ startPrice: '0.001', cpuPerHour: '0.36', envPerHour: '0.18' })), undefined)
    assert.equal(priceAboveLimit(prices, priceLimitsOf({ cpuPerHour: '0.359999999999999999' })), 'cpuPerHour')
    assert.equal(priceAboveLimit(prices, priceLimitsOf({ startPrice: '0.0009' })), 'startPrice')
    // The vector's order decides which coefficient is which.
    const swapped = offerPrices(offer([0.00005, 0.0001, 0], ['golem.usage.duration_sec', 'golem.usage.cpu_sec']))
    assert.deepEqual(summaryOf('o-2', '0xp', {}, swapped).prices, { startPrice: '0', cpuPerHour: '0.36', envPerHour: '0.18' })
    // A counter the max prices cannot bound makes an offer with max prices out of bounds.
    const other = offerPrices(offer([0, 0, 1, 0], ['golem.usage.cpu_sec', 'golem.usage.duration_sec', 'golem.usage.gib_sec']))
    assert.equal(priceAboveLimit(other, priceLimitsOf({ cpuPerHour: '1' })), 'golem.usage.gib_sec')
    assert.equal(priceAboveLimit(other, {}), undefined)
    assert.throws(() => offerPrices(offer([0.1, 0.2])), /coeffs has 2 prices/)
  })

  it('orders offers cheapest first by an hour on one thread, then the start price', () => {
    const dear = offerPrices(offer([0.001, 0.001, 0]))
    const cheap = offerPrices(offer([0.0001, 0.0001, 1]))
    const cheapNoStart = offerPrices(offer([0.0001, 0.0001, 0]))
    assert.deepEqual([dear, cheap, cheapNoStart].sort(cheaperFirst), [cheapNoStart, cheap, dear])
  })
})
