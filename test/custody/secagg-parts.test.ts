import assert from 'node:assert/strict'
import { SecaggAggregator, decodeSigned, encodeFixed, fixedToNumber } from '../../custody/index.ts'
import { NetHost, NodeKey } from '../../net/index.ts'
import { FIELD_PRIME, bigintToBytes, inverse, mul } from '../../custody/secagg/field.ts'
import { agreeKey, generateKeyPair } from '../../custody/secagg/key-agreement.ts'
import { addMask, expandMask } from '../../custody/secagg/prg.ts'
import { combineShares, splitSecret } from '../../custody/secagg/shamir.ts'
import { ManualClock } from '../helpers/manual-clock.ts'
import { Round } from '../../custody/secagg/rounds.ts'
import type { RoundEnd } from '../../custody/secagg/rounds.ts'

function seed(): Uint8Array {
  const bytes = new Uint8Array(32)
  crypto.getRandomValues(bytes)
  return bytes
}

describe('secure aggregation parts', () => {
  it('the field: 2^521 − 1, inverses multiply to 1', () => {
    assert.equal(FIELD_PRIME, 2n ** 521n - 1n)
    for (const value of [2n, 12345678901234567890n, FIELD_PRIME - 1n]) assert.equal(mul(value, inverse(value)), 1n)
    assert.throws(() => inverse(0n), RangeError)
    assert.throws(() => bigintToBytes(1n << 256n, 32), RangeError)
  })

  it('Shamir: any t of n shares give the seed back; t − 1 give something else', () => {
    const secret = seed()
    const shares = splitSecret(secret, 3, [1, 2, 3, 4, 5])
    for (const pick of [
      [0, 1, 2],
      [4, 2, 0],
      [1, 3, 4],
      [0, 1, 2, 3, 4]
    ])
      assert.deepEqual(combineShares(pick.map(i => shares[i]!)), secret)
    assert.throws(() => combineShares(shares.slice(0, 2)), /do not combine/)
    assert.throws(() => splitSecret(secret, 6, [1, 2, 3, 4, 5]), RangeError)
    assert.throws(() => splitSecret(secret, 2, [1, 1, 2]), RangeError)
  })

  it('key agreement: both ends derive the same key, distinct per purpose and per session', () => {
    const a = generateKeyPair()
    const b = generateKeyPair()
    assert.deepEqual(agreeKey(a.secretKey, b.publicKey, 's1', 'mask'), agreeKey(b.secretKey, a.publicKey, 's1', 'mask'))
    assert.notDeepEqual(agreeKey(a.secretKey, b.publicKey, 's1', 'mask'), agreeKey(a.secretKey, b.publicKey, 's1', 'share'))
    assert.notDeepEqual(agreeKey(a.secretKey, b.publicKey, 's1', 'mask'), agreeKey(a.secretKey, b.publicKey, 's2', 'mask'))
  })

  it('masks: the same seed expands to the same words; a mask added and subtracted wraps back mod 2^64', () => {
    const s = seed()
    const mask = expandMask(s, 1000)
    assert.deepEqual(expandMask(s, 1000), mask)
    assert.notDeepEqual(expandMask(seed(), 1000), mask)
    const words = encodeFixed([1.5, -2, 0], 16, 3)
    const masked = BigUint64Array.from(words)
    addMask(masked, mask.subarray(0, 3), 1)
    assert.notDeepEqual(masked, words)
    addMask(masked, mask.subarray(0, 3), -1)
    assert.deepEqual(masked, words)
  })

  it('fixed point: encodes and decodes two’s complement; refuses NaN, ∞ and what could overflow the sum', () => {
    const words = encodeFixed([1.5, -2.25, 0, 1 / 3], 16, 10)
    assert.deepEqual([...words].map(decodeSigned), [98304n, -147456n, 0n, 21845n])
    assert.equal(fixedToNumber(-147456n, 16), -2.25)
    assert.equal(fixedToNumber(-(2n ** 56n) - 32768n, 16), -(2 ** 40) - 0.5)
    assert.deepEqual([...encodeFixed([1], 16, 2, [-3n])].map(decodeSigned), [65533n])
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])
      assert.throws(() => encodeFixed([0, bad], 16, 2), { code: 'BadRequest', message: /value 1 is not a finite number/ })
    // 2^63 / 10 owners ≈ 9.2e17 units; 2^47 · 2^16 = 2^63 is over for any number of owners.
    assert.throws(() => encodeFixed([2 ** 47], 16, 1), { code: 'BadRequest', message: /too large/ })
    assert.doesNotThrow(() => encodeFixed([2 ** 43], 16, 10))
    assert.throws(() => encodeFixed([2 ** 44], 16, 10), { code: 'BadRequest', message: /10 contributions/ })
    assert.throws(() => encodeFixed([1], 16, 2, [1n, 2n]), { code: 'BadRequest', message: /noise has 2 values/ })
  })

  it('a round closes when all answered, or at its deadline with the threshold; under it, it fails', () => {
    const clock = new ManualClock()
    const ends: RoundEnd[] = []
    const full = new Round<number>('advertise', ['a', 'b', 'c'], 2, clock, 1000, end => ends.push(end))
    full.accept('a', 1)
    assert.throws(() => full.accept('a', 1), { code: 'Conflict' })
    assert.throws(() => full.accept('z', 1), { code: 'Forbidden' })
    full.accept('b', 1)
    full.accept('c', 1)
    assert.deepEqual(ends, [{ closed: true }])
    assert.throws(() => full.accept('c', 1), { code: 'Conflict', message: /closed/ })
    const late = new Round<number>('shares', ['a', 'b', 'c'], 2, clock, 1000, end => ends.push(end))
    late.accept('a', 1)
    late.accept('b', 1)
    clock.advance(999)
    assert.equal(ends.length, 1)
    clock.advance(1)
    assert.deepEqual(ends[1], { closed: true })
    const short = new Round<number>('masked', ['a', 'b', 'c'], 2, clock, 1000, end => ends.push(end))
    short.accept('a', 1)
    clock.advance(1000)
    assert.deepEqual(ends[2], { closed: false, error: 'only 1 of 3 owners answered the masked round before its deadline, under the threshold 2' })
    // All timers gone: nothing fires later.
    assert.deepEqual(clock.pending(), [])
  })
})

describe('the aggregator’s sessions', () => {
  it('bounds the sessions open at once, keeps an ended one readable a while, then forgets it', async () => {
    const clock = new ManualClock()
    const host = new NetHost({ key: NodeKey.random() })
    const aggregator = new SecaggAggregator(host, { clock, maxLiveSessions: 2, keepEndedMs: 5_000 })
    const participants = [NodeKey.random().nodeId, NodeKey.random().nodeId, NodeKey.random().nodeId]
    const request = { participants, threshold: 2, length: 3, roundTimeoutMs: 1_000 }
    const first = aggregator.create(request)
    aggregator.create({ ...request, roundTimeoutMs: 2_000 })
    assert.throws(() => aggregator.create(request), { code: 'CapacityExceeded' })
    clock.advance(1_000)
    const failed = await aggregator.view(first.sessionId)
    assert.equal(failed.state, 'Failed')
    assert.match(failed.error!, /only 0 of 3 owners answered the advertise round/)
    const third = aggregator.create(request)
    assert.notEqual(third.sessionId, first.sessionId)
    clock.advance(5_000)
    await assert.rejects(aggregator.view(first.sessionId), { code: 'NotFound' })
    for (const bad of [
      { ...request, threshold: 1 },
      { ...request, threshold: 4 },
      { ...request, participants: [participants[0]!, participants[0]!, participants[1]!] },
      { ...request, participants: [...participants, host.nodeId] },
      { ...request, length: 0 },
      { ...request, fractionalBits: 33 },
      { ...request, roundTimeoutMs: 10 }
    ])
      assert.throws(() => aggregator.create(bad), { code: 'BadRequest' })
    await aggregator.stop()
  })
})
