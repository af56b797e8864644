// The Payment API's conversions on their own: times, amounts, platforms and the
// read-only fields golem-js sends, to the payment module's records and back.
import assert from 'node:assert/strict'
import {
  allocationIdsOf,
  allocationUpdateOf,
  allocationWire,
  debitNoteWire,
  decorationWire,
  formatTime,
  invoiceWire,
  newAllocationOf,
  parseTime,
  platformName,
  rejectionOf
} from '../../daemon/api/payment-wire.ts'
import { PaymentError } from '../../payment/index.ts'
import type { DebitNote, Invoice } from '../../payment/index.ts'

const refusedWith = (pattern: RegExp) => (error: unknown) => error instanceof PaymentError && error.code === 'BadRequest' && pattern.test(error.message)
const PAYER = '0x00000000000000000000000000000000000000aa'
const PAYEE = '0x00000000000000000000000000000000000000bb'

describe('the Payment API wire forms', () => {
  it('writes times as RFC 3339 UTC with milliseconds, and reads them back exactly', () => {
    const ms = Date.UTC(2026, 11, 2, 1, 14, 22, 7)
    assert.equal(formatTime(ms), '2026-12-02T01:14:22.007Z')
    assert.equal(parseTime(formatTime(ms), 'afterTimestamp'), ms)
    assert.equal(parseTime('2026-12-02T02:14:22.007+01:00', 'afterTimestamp'), ms)
    assert.equal(parseTime('2026-12-02T01:14:22Z', 'afterTimestamp'), ms - 7)
  })

  it('drops digits below the millisecond rounding down, so "strictly after" stays after', () => {
    const ms = Date.UTC(2026, 0, 1, 0, 0, 0, 123)
    assert.equal(parseTime('2026-01-01T00:00:00.123999999Z', 'afterTimestamp'), ms)
    assert.equal(parseTime('2026-01-01T00:00:00.1Z', 'afterTimestamp'), ms - 23)
  })

  it('refuses a time that is not RFC 3339, naming the field', () => {
    for (const text of ['yesterday', '2026-01-01', '2026-01-01T00:00:00', '1767225600000', '2026-13-01T00:00:00Z']) {
      assert.throws(() => parseTime(text, 'afterTimestamp'), refusedWith(/^afterTimestamp must be an RFC 3339 time/), text)
    }
  })

  it("takes golem-js's allocation body: read-only fields as empty strings are ignored", () => {
    const input = newAllocationOf({
      totalAmount: '1.5',
      paymentPlatform: 'erc20-holesky-tglm',
      address: '0x00000000000000000000000000000000000000AA',
      timestamp: '2026-12-02T01:00:00.000Z',
      timeout: '2026-12-02T02:00:00.000Z',
      makeDeposit: false,
      remainingAmount: '',
      spentAmount: '',
      allocationId: ''
    })
    assert.deepEqual(input, {
      totalAmount: 1_500_000_000_000_000_000n,
      paymentPlatform: 'erc20-holesky-tglm',
      address: PAYER,
      timeout: Date.UTC(2026, 11, 2, 2),
      makeDeposit: false
    })
  })

  it('refuses amounts with more than 18 decimals, negative or not numbers, naming the field', () => {
    assert.throws(() => newAllocationOf({ totalAmount: '0.0000000000000000001' }), refusedWith(/^totalAmount has 19 decimals/))
    assert.throws(() => newAllocationOf({ totalAmount: '-1' }), refusedWith(/^totalAmount must be a non-negative decimal/))
    assert.throws(() => newAllocationOf({ totalAmount: '1e3' }), refusedWith(/^totalAmount must be a non-negative decimal/))
    assert.throws(() => allocationUpdateOf({ totalAmount: 'ten' }), refusedWith(/^totalAmount must be/))
    assert.throws(
      () => rejectionOf({ rejectionReason: 'INCORRECT_AMOUNT', totalAmountAccepted: ' 1' }),
      refusedWith(/^totalAmountAccepted must be a non-negative decimal/)
    )
  })

  it("names a platform given as the spec's object, erc20 by default; refuses one without network or token", () => {
    assert.equal(platformName('erc20-dev-agt'), 'erc20-dev-agt')
    assert.equal(platformName({ network: 'holesky', token: 'tglm' }), 'erc20-holesky-tglm')
    assert.equal(platformName({ driver: 'erc20', network: 'polygon', token: 'glm' }), 'erc20-polygon-glm')
    assert.throws(() => platformName({ network: 'holesky' }), refusedWith(/needs network and token/))
  })

  it('writes amounts as exact decimal strings and optional times only when set', () => {
    const wire = allocationWire({
      allocationId: 'a1',
      address: PAYER,
      paymentPlatform: 'erc20-dev-agt',
      totalAmount: 10n ** 18n + 1n,
      spentAmount: 1n,
      remainingAmount: 10n ** 18n,
      timestamp: 0,
      makeDeposit: false
    })
    assert.deepEqual(wire, {
      allocationId: 'a1',
      address: PAYER,
      paymentPlatform: 'erc20-dev-agt',
      totalAmount: '1.000000000000000001',
      spentAmount: '0.000000000000000001',
      remainingAmount: '1',
      timestamp: '1970-01-01T00:00:00.000Z',
      makeDeposit: false
    })
  })

  it('writes every spec field of a debit note and an invoice that golem-js reads', () => {
    const common = {
      role: 'Requestor' as const,
      issuerId: PAYEE,
      recipientId: PAYER,
      payeeAddr: PAYEE,
      payerAddr: PAYER,
      paymentPlatform: 'erc20-dev-agt',
      agreementId: 'ag',
      timestamp: 1000,
      status: 'RECEIVED' as const
    }
    const note: DebitNote = {
      ...common,
      debitNoteId: 'dn',
      activityId: 'act',
      totalAmountDue: 25n * 10n ** 16n,
      usageCounterVector: [1.5, 2],
      paymentDueDate: 2000
    }
    assert.deepEqual(debitNoteWire(note), {
      debitNoteId: 'dn',
      issuerId: PAYEE,
      recipientId: PAYER,
      payeeAddr: PAYEE,
      payerAddr: PAYER,
      paymentPlatform: 'erc20-dev-agt',
      timestamp: '1970-01-01T00:00:01.000Z',
      agreementId: 'ag',
      activityId: 'act',
      totalAmountDue: '0.25',
      usageCounterVector: [1.5, 2],
      paymentDueDate: '1970-01-01T00:00:02.000Z',
      status: 'RECEIVED'
    })
    const invoice: Invoice = { ...common, invoiceId: 'in', activityIds: ['act'], amount: 3n, paymentDueDate: 3000 }
    assert.deepEqual(invoiceWire(invoice), {
      invoiceId: 'in',
      issuerId: PAYEE,
      recipientId: PAYER,
      payeeAddr: PAYEE,
      payerAddr: PAYER,
      paymentPlatform: 'erc20-dev-agt',
      timestamp: '1970-01-01T00:00:01.000Z',
      agreementId: 'ag',
      activityIds: ['act'],
      amount: '0.000000000000000003',
      paymentDueDate: '1970-01-01T00:00:03.000Z',
      status: 'RECEIVED'
    })
  })

  it("gives demand decorations as the spec's key/value pairs and single-term constraints", () => {
    const property = 'golem.com.payment.platform.erc20-dev-agt.address'
    assert.deepEqual(decorationWire({ properties: { [property]: PAYER }, constraints: [`(${property}=*)`] }), {
      properties: [{ key: property, value: PAYER }],
      constraints: [`(${property}=*)`]
    })
  })

  it('reads allocation ids comma-separated (the spec) and repeated (ya-ts-client), each once', () => {
    assert.deepEqual(allocationIdsOf(['a,b']), ['a', 'b'])
    assert.deepEqual(allocationIdsOf(['a', 'b', 'a']), ['a', 'b'])
    assert.throws(() => allocationIdsOf([',']), refusedWith(/at least one allocation/))
  })
})
