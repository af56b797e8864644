import assert from 'node:assert/strict'
import { describe, it } from 'mocha'
import { linearPricingOf, priceOf, rationalOfDecimal, rationalOfNumber } from '../../payment/pricing/index.ts'
import { PaymentError } from '../../payment/index.ts'
import { prng } from '../helpers/prng.ts'

// The reference: every value as an integer over one huge common denominator
// (2^1100 · 10^250 holds any double's and any short decimal's exact value),
// from the double's bits rather than by repeated doubling.
const D = (1n << 1100n) * 10n ** 250n

function scaledDouble(value: number): bigint {
  const view = new DataView(new ArrayBuffer(8))
  view.setFloat64(0, value)
  const bits = view.getBigUint64(0)
  const exponentBits = Number((bits >> 52n) & 0x7ffn)
  const fraction = bits & ((1n << 52n) - 1n)
  const mantissa = exponentBits === 0 ? fraction : fraction | (1n << 52n)
  const exponent = (exponentBits === 0 ? 1 : exponentBits) - 1075
  return exponent >= 0 ? mantissa * D * (1n << BigInt(exponent)) : (mantissa * D) >> BigInt(-exponent)
}

function scaledDecimal(text: string): bigint {
  const [mantissa, exp = '0'] = text.toLowerCase().split('e') as [string, string?]
  const [whole, fraction = ''] = mantissa.split('.') as [string, string?]
  const power = Number(exp) - fraction.length
  const digits = BigInt(whole + fraction)
  return power >= 0 ? digits * D * 10n ** BigInt(power) : (digits * D) / 10n ** BigInt(-power)
}

function referencePrice(coeffs: Array<number | string>, usage: number[]): bigint {
  const scaled = coeffs.map(c => (typeof c === 'number' ? scaledDouble(c) : scaledDecimal(c)))
  let sum = (scaled.at(-1) as bigint) * D
  usage.forEach((u, i) => {
    sum += (scaled[i] as bigint) * scaledDouble(u)
  })
  return (sum * 10n ** 18n) / (D * D)
}

function randomCoefficient(next: () => number): number | string {
  const pick = next()
  if (pick < 0.3) return Math.round(next() * 1e6) / 1e6
  if (pick < 0.5) return next() * 10 ** -Math.floor(next() * 20)
  if (pick < 0.7) return `${Math.floor(next() * 1000)}.${String(Math.floor(next() * 1e12)).padStart(12, '0')}`
  if (pick < 0.8) return `${Math.floor(next() * 99) + 1}e-${Math.floor(next() * 25)}`
  if (pick < 0.9) return 0
  return Math.floor(next() * 1000)
}

function randomUsage(next: () => number): number {
  const pick = next()
  if (pick < 0.3) return Math.floor(next() * 1e6)
  if (pick < 0.8) return next() * 10 ** Math.floor(next() * 8)
  if (pick < 0.9) return 0
  return 2 ** -Math.floor(next() * 60)
}

describe('payment pricing: the linear model, exact', () => {
  it('matches a BigInt reference for random coefficients and usage (seeded)', () => {
    const next = prng(20261202)
    for (let run = 0; run < 400; run++) {
      const counters = 1 + Math.floor(next() * 4)
      const names = Array.from({ length: counters }, (_, i) => `golem.usage.c${i}`)
      const coeffs = Array.from({ length: counters + 1 }, () => randomCoefficient(next))
      const usage = names.map(() => randomUsage(next))
      const pricing = linearPricingOf({ 'golem.com.usage.vector': names, 'golem.com.pricing.model.linear.coeffs': coeffs })
      const got = priceOf(pricing, Object.fromEntries(names.map((n, i) => [n, usage[i] as number])))
      assert.equal(got, referencePrice(coeffs, usage), `run ${run}: ${JSON.stringify({ coeffs, usage })}`)
    }
  })

  it('takes a number at its exact binary value and a decimal string at its exact decimal value', () => {
    // 0.1 as a double is 0.1000000000000000055511151231257827…: one second costs one base unit more than "0.1" does.
    const asNumber = linearPricingOf({ 'golem.com.usage.vector': ['golem.usage.duration_sec'], 'golem.com.pricing.model.linear.coeffs': [0.1, 0] })
    const asText = linearPricingOf({ 'golem.com.usage.vector': ['golem.usage.duration_sec'], 'golem.com.pricing.model.linear.coeffs': ['0.1', '0'] })
    assert.equal(priceOf(asText, { 'golem.usage.duration_sec': 1 }), 100_000_000_000_000_000n)
    assert.equal(priceOf(asNumber, { 'golem.usage.duration_sec': 1 }), 100_000_000_000_000_005n)
    // Float arithmetic would give 0.30000000000000004 for 3 × 0.1: the exact price of 3 × "0.1" is 0.3.
    assert.equal(priceOf(asText, { 'golem.usage.duration_sec': 3 }), 300_000_000_000_000_000n)
  })

  it('rounds down to the base unit, once, at the end', () => {
    const pricing = linearPricingOf({
      'golem.com.usage.vector': ['a', 'b'],
      'golem.com.pricing.model.linear.coeffs': ['0.0000000000000000004', '0.0000000000000000004', '0']
    })
    // Each term alone is 0.4 base units; together 0.8; three of each 2.4.
    assert.equal(priceOf(pricing, { a: 1, b: 1 }), 0n)
    assert.equal(priceOf(pricing, { a: 3, b: 3 }), 2n)
  })

  it('charges the start price last in the list, and counts a counter not reported as 0', () => {
    const pricing = linearPricingOf({ 'golem.com.usage.vector': ['a', 'b'], 'golem.com.pricing.model.linear.coeffs': ['2', '3', '5'] })
    assert.equal(priceOf(pricing, {}), 5n * 10n ** 18n)
    assert.equal(priceOf(pricing, { a: 1 }), 7n * 10n ** 18n)
    assert.equal(priceOf(pricing, { a: 1, b: 2 }), 13n * 10n ** 18n)
  })

  it('refuses bad coefficients naming the property', () => {
    const vector = { 'golem.com.usage.vector': ['a'] }
    const bad: Array<[unknown, RegExp]> = [
      [[-1, 0], /linear\.coeffs\[0\]/],
      [[Number.NaN, 0], /linear\.coeffs\[0\]/],
      [[1, Number.POSITIVE_INFINITY], /linear\.coeffs\[1\]/],
      [['-0.5', 0], /linear\.coeffs\[0\]/],
      [['0x10', 0], /linear\.coeffs\[0\]/],
      [[1], /linear\.coeffs has 1 prices/],
      [[1, 2, 3], /linear\.coeffs has 3 prices/],
      ['1,0', /linear\.coeffs must be a list/],
      [undefined, /linear\.coeffs must be a list/]
    ]
    for (const [coeffs, message] of bad) {
      assert.throws(
        () => linearPricingOf({ ...vector, 'golem.com.pricing.model.linear.coeffs': coeffs }),
        (err: unknown) => err instanceof PaymentError && err.code === 'BadRequest' && message.test(err.message),
        JSON.stringify(coeffs)
      )
    }
    assert.throws(() => linearPricingOf({ 'golem.com.pricing.model.linear.coeffs': [0] }), /usage\.vector must be a list/)
    assert.throws(
      () => linearPricingOf({ ...vector, 'golem.com.pricing.model': 'fixed', 'golem.com.pricing.model.linear.coeffs': [0, 0] }),
      /pricing\.model must be "linear"/
    )
  })

  it('refuses usage that is not a finite non-negative number', () => {
    const pricing = linearPricingOf({ 'golem.com.usage.vector': ['a'], 'golem.com.pricing.model.linear.coeffs': [1, 0] })
    assert.throws(() => priceOf(pricing, { a: -1 }), /usage counter a/)
    assert.throws(() => priceOf(pricing, { a: Number.NaN }), /usage counter a/)
  })

  it('turns numbers and decimals into exact rationals', () => {
    assert.deepEqual(rationalOfNumber(0.5), { num: 1n, den: 2n })
    assert.deepEqual(rationalOfNumber(3), { num: 3n, den: 1n })
    assert.deepEqual(rationalOfNumber(Number.MIN_VALUE), { num: 1n, den: 1n << 1074n })
    assert.deepEqual(rationalOfDecimal('1.25'), { num: 5n, den: 4n })
    assert.deepEqual(rationalOfDecimal('12e3'), { num: 12000n, den: 1n })
    assert.equal(rationalOfDecimal(' 1'), undefined)
    assert.equal(rationalOfDecimal('1.'), undefined)
    assert.equal(rationalOfNumber(-0.5), undefined)
  })
})
