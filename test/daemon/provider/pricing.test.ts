import assert from 'node:assert/strict'
import { coeffsOf, linearPriceProperties, nearestDouble, pricingOfCoeffs, USAGE_VECTOR } from '../../../daemon/provider/pricing/index.ts'
import { linearPricingOf, priceOf } from '../../../payment/pricing/index.ts'
import { parseAmount } from '../../../payment/model/amounts.ts'

// An independent nearest double of a decimal quotient: a correctly rounded
// decimal text with far more digits than a double holds, read by the engine's
// own (correctly rounding) number parser.
function referenceNearest(perHour: string, divisor: bigint): number {
  const units = parseAmount(perHour, 'price') // base units, 18 decimals
  const digits = 60n
  const scaled = (units * 10n ** digits) / divisor
  const remainder = (units * 10n ** digits) % divisor
  // A non-zero remainder becomes a trailing 1: the text then lies strictly between the neighbours the quotient does.
  const text = `${scaled}${remainder === 0n ? '' : '1'}`
  const exponent = -(18 + Number(digits)) - (remainder === 0n ? 0 : 1)
  return Number(`${text}e${exponent}`)
}

const PRICES = ['0', '0.1', '0.02', '1', '3600', '0.000000000000000001', '123.456789012345678', '0.025', '7', '99999.999999999999999999'.slice(0, 24)]

describe('provider pricing: per-hour prices to per-second coefficients', () => {
  it('publishes [cpu/s, env/s, start] in the usage vector order payment/pricing reads', () => {
    const props = linearPriceProperties({ startingFee: '0.5', envPerHour: '0.36', cpuPerHour: '7.2' })
    assert.deepEqual(props['golem.com.usage.vector'], ['golem.usage.cpu_sec', 'golem.usage.duration_sec'])
    const pricing = linearPricingOf(props)
    // One second of CPU alone, one second of the environment alone, and nothing: cpu/s, env/s, start.
    assert.equal(priceOf(pricing, {}), 500_000_000_000_000_000n)
    assert.equal(priceOf(pricing, { 'golem.usage.cpu_sec': 1 }) - priceOf(pricing, {}), 2_000_000_000_000_000n)
    assert.equal(priceOf(pricing, { 'golem.usage.duration_sec': 1 }) - priceOf(pricing, {}), 100_000_000_000_000n)
  })

  it('converts each price to the nearest double of price/3600, as an independent computation finds it', () => {
    for (const price of PRICES) {
      const [cpu, env, start] = coeffsOf({ startingFee: price, envPerHour: price, cpuPerHour: price })
      assert.equal(cpu, referenceNearest(price, 3600n), `cpu ${price}`)
      assert.equal(env, referenceNearest(price, 3600n), `env ${price}`)
      assert.equal(start, referenceNearest(price, 1n), `start ${price}`)
    }
  })

  it('finds the nearest double of rationals where plain division rounds twice', () => {
    // 2^-1074 granularity aside, a quotient of two large integers: Number(a)/Number(b) rounds a, b and the quotient.
    const num = 2n ** 80n + 1n
    const den = 3n * 10n ** 20n
    const text = ((num * 10n ** 60n) / den).toString()
    assert.equal(nearestDouble({ num, den }), Number(`${text}1e-61`))
  })

  // A double carries 53 bits, so an hour of a per-second coefficient is off by up to price × 2^-53 (0.1/h: 4 base units):
  // within one base unit holds up to about 0.009 tokens per hour; past it, the bound below.
  it("charges, by the provider's own pricing of the published coeffs, 1 h of env and 1 h of CPU at the per-hour price within one base unit (prices up to 0.009/h)", () => {
    for (const price of ['0', '0.009', '0.005', '0.001', '0.000000000000000001', '0.000123', '0.0036']) {
      const props = linearPriceProperties({ startingFee: '0', envPerHour: price, cpuPerHour: price })
      const pricing = linearPricingOf(props)
      const expected = parseAmount(price, 'price')
      const env = priceOf(pricing, { 'golem.usage.duration_sec': 3600 })
      const cpu = priceOf(pricing, { 'golem.usage.cpu_sec': 3600 })
      for (const [what, charged] of [
        ['env', env],
        ['cpu', cpu]
      ] as const) {
        const off = charged > expected ? charged - expected : expected - charged
        assert.ok(off <= 1n, `${what} ${price}/h charged ${charged}, expected ${expected}`)
      }
    }
  })

  it('bounds the error of an hour for any price by 3600 half-ulps of the coefficient (a double carries 53 bits)', () => {
    for (const price of ['0.1', '0.02', '1', '7', '123.456789012345678', '3600']) {
      const props = linearPriceProperties({ startingFee: '0', envPerHour: price, cpuPerHour: '0' })
      const coeff = (props['golem.com.pricing.model.linear.coeffs'] as number[])[1]!
      const expected = parseAmount(price, 'price')
      const charged = priceOf(linearPricingOf(props), { 'golem.usage.duration_sec': 3600 })
      const ulp = 2 ** (Math.floor(Math.log2(coeff)) - 52)
      const bound = BigInt(Math.ceil(3600 * (ulp / 2) * 1e18)) + 1n
      const off = charged > expected ? charged - expected : expected - charged
      assert.ok(off <= bound, `${price}/h: off by ${off}, bound ${bound}`)
    }
  })

  it('converts the coefficients back to the shortest per-hour decimals that give the same coefficients', () => {
    for (const price of PRICES) {
      const pricing = { startingFee: price, envPerHour: price, cpuPerHour: price }
      const back = pricingOfCoeffs(USAGE_VECTOR, coeffsOf(pricing))
      assert.deepEqual(coeffsOf(back), coeffsOf(pricing))
      assert.ok(back.envPerHour.length <= price.length, `${price} came back as ${back.envPerHour}`)
    }
    assert.deepEqual(pricingOfCoeffs(USAGE_VECTOR, [0.0001, 0.00005, 0]), { startingFee: '0', envPerHour: '0.18', cpuPerHour: '0.36' })
    // Another provider's order, and a counter it does not price.
    assert.deepEqual(pricingOfCoeffs(['golem.usage.duration_sec'], [0.00005, 1]), { startingFee: '1', envPerHour: '0.18', cpuPerHour: '0' })
  })

  it('refuses a price that is not a strict non-negative decimal', () => {
    for (const bad of ['-1', '1e-3', ' 1', '0x10', '1.0000000000000000001', '']) {
      assert.throws(() => coeffsOf({ startingFee: '0', envPerHour: bad, cpuPerHour: '0' }), { code: 'BadRequest' })
    }
  })
})
