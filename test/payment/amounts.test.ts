import assert from 'node:assert/strict'
import { formatAmount, parseAmount } from '../../payment/model/amounts.ts'
import { PaymentError } from '../../payment/model/payment-error.ts'

describe('payment amounts', () => {
  it('parses decimal strings to exact base units and formats them back', () => {
    const cases: [string, bigint][] = [
      ['0', 0n],
      ['1', 10n ** 18n],
      ['1.5', 15n * 10n ** 17n],
      ['0.000000000000000001', 1n],
      ['123456789.123456789123456789', 123456789123456789123456789n]
    ]
    for (const [text, units] of cases) {
      assert.equal(parseAmount(text, 'amount'), units, text)
      assert.equal(formatAmount(units), text)
    }
    assert.equal(formatAmount(parseAmount('2.50', 'amount')), '2.5')
    assert.equal(parseAmount('3.25', 'amount', 2), 325n)
  })

  it('refuses what is not an exact non-negative amount, naming the field', () => {
    const bad: unknown[] = ['-1', '1e18', ' 1', '1.', '.5', '01', '0x10', '', '1.0000000000000000001', 'NaN', 5, null, '9'.repeat(101)]
    for (const text of bad) {
      assert.throws(
        () => parseAmount(text, 'totalAmount'),
        (err: unknown) => err instanceof PaymentError && err.code === 'BadRequest' && err.message.startsWith('totalAmount'),
        String(text)
      )
    }
  })
})
