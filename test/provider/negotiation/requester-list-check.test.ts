import assert from 'node:assert/strict'
import { requesterListCheck } from '../../../daemon/provider/negotiation/requester-list-check.ts'
import type { NodeId } from '../../../net/index.ts'
import { inputOf, REQUESTER } from './input.ts'

const OTHER = '0x3333333333333333333333333333333333333333' as NodeId

describe('provider negotiation: requester allow/deny lists', () => {
  it('accepts anyone with empty lists', () => {
    assert.equal(requesterListCheck.check(inputOf()).verdict, 'accept')
  })
  it('rejects a denied requester, whatever the case of its id', () => {
    const outcome = requesterListCheck.check(inputOf({ settings: { denyRequesters: [REQUESTER.toUpperCase().replace('0X', '0x') as NodeId] } }))
    assert.equal(outcome.verdict === 'reject' && outcome.code, 'RequestorNotAllowed')
  })
  it('with an allow list, rejects a requester not on it and accepts one on it', () => {
    assert.equal(requesterListCheck.check(inputOf({ settings: { allowRequesters: [OTHER] } })).verdict, 'reject')
    assert.equal(requesterListCheck.check(inputOf({ settings: { allowRequesters: [OTHER, REQUESTER] } })).verdict, 'accept')
  })
  it('deny wins over allow', () => {
    assert.equal(requesterListCheck.check(inputOf({ settings: { allowRequesters: [REQUESTER], denyRequesters: [REQUESTER] } })).verdict, 'reject')
  })
})
