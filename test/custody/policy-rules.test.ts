// The rules of a dataset's policy, each allowing and refusing with a reason
// that names it; several refusals at once; algorithms by hash and by signed
// manifests; the time window on a given time; the algorithm's hash read from
// its task package.
import assert from 'node:assert/strict'
import { NodeKey } from '../../net/index.ts'
import { algorithmHashOf, checkManifest, signManifest } from '../../custody/index.ts'
import type { DatasetPolicy, PolicyDecision, UseRequest } from '../../custody/index.ts'
import { judge, noPolicy } from '../../custody/policy/rules.ts'
import type { UsesSoFar } from '../../custody/policy/rules.ts'

const HASH = `sha3:${'a1'.repeat(32)}`
const OTHER_HASH = `sha3:${'b2'.repeat(32)}`
const requester = NodeKey.random().nodeId
const stranger = NodeKey.random().nodeId
const publisher = NodeKey.random()
const AT = Date.parse('2027-03-10T12:30:00Z')
const NONE: UsesSoFar = { total: 0, byRequester: 0 }

const base: DatasetPolicy = {
  dataset: 'patients',
  algorithms: { hashes: [HASH] },
  output: { maxBytes: 4096, minRows: 10, kinds: ['aggregate'], logs: 'none', exitCodes: 'status' }
}
const request = (change: Partial<UseRequest> = {}): UseRequest => ({ dataset: 'patients', requesterId: requester, algorithmHash: HASH, at: AT, ...change })
const rules = (decision: PolicyDecision): string[] => decision.reasons.map(reason => reason.rule)
const refusedBy = (decision: PolicyDecision, ...expected: string[]): void => {
  assert.equal(decision.allow, false, JSON.stringify(decision))
  assert.deepEqual(rules(decision), expected)
  for (const reason of decision.reasons) assert.ok(reason.message.length > 0)
}

describe('custody policy: the rules and their reasons', () => {
  it('algorithms.hashes: the listed hash is allowed, another refused, a package without a hash refused', () => {
    const allowed = judge(base, request(), NONE)
    assert.equal(allowed.allow, true)
    assert.deepEqual(rules(allowed), ['algorithms.hashes', 'requesters'])
    assert.match(allowed.reasons[0]!.message, /allowed by its hash/)
    refusedBy(judge(base, request({ algorithmHash: OTHER_HASH }), NONE), 'algorithms.hashes')
    const unnamed = judge(base, request({ algorithmHash: null }), NONE)
    refusedBy(unnamed, 'algorithms.hashes')
    assert.match(unnamed.reasons[0]!.message, /names no content hash/)
    refusedBy(judge({ ...base, algorithms: {} }, request(), NONE), 'algorithms.hashes')
  })

  it('algorithms.publishers: a manifest signed by a trusted publisher for the very hash allows it', () => {
    const policy: DatasetPolicy = { ...base, algorithms: { publishers: [publisher.nodeId] } }
    const manifest = signManifest(publisher, { name: 'mean', version: '1.0.0', hash: OTHER_HASH, outputs: ['aggregate'] })
    assert.deepEqual(checkManifest(manifest), { ok: true, publisher: publisher.nodeId })
    const decision = judge(policy, request({ algorithmHash: OTHER_HASH, manifest }), NONE)
    assert.equal(decision.allow, true, JSON.stringify(decision))
    assert.equal(decision.reasons[0]!.rule, 'algorithms.publishers')
    assert.match(decision.reasons[0]!.message, /mean 1\.0\.0/)
  })

  it('algorithms.publishers: no manifest, a forged or edited one, an untrusted publisher, another hash: each refused, saying why', () => {
    const policy: DatasetPolicy = { ...base, algorithms: { publishers: [publisher.nodeId] } }
    const manifest = signManifest(publisher, { name: 'mean', version: '1.0.0', hash: OTHER_HASH })
    const cases: Array<[Partial<UseRequest>, RegExp]> = [
      [{ algorithmHash: OTHER_HASH }, /no signed manifest/],
      [{ algorithmHash: OTHER_HASH, manifest: { ...manifest, version: '1.0.1' } }, /does not verify/],
      [{ algorithmHash: OTHER_HASH, manifest: { ...manifest, publisher: stranger } }, /does not verify/],
      [{ algorithmHash: OTHER_HASH, manifest: signManifest(NodeKey.random(), { name: 'mean', version: '1', hash: OTHER_HASH }) }, /is not trusted/],
      [{ algorithmHash: HASH, manifest }, new RegExp(`is for ${OTHER_HASH}, not for the algorithm ${HASH}`)],
      [{ algorithmHash: OTHER_HASH, manifest: { name: 'x' } as never }, /does not verify/]
    ]
    for (const [change, why] of cases) {
      const decision = judge(policy, request(change), NONE)
      refusedBy(decision, 'algorithms.publishers')
      assert.match(decision.reasons[0]!.message, why)
    }
  })

  it('with both ways set, an algorithm allowed by neither is refused by both rules', () => {
    const policy: DatasetPolicy = { ...base, algorithms: { hashes: [HASH], publishers: [publisher.nodeId] } }
    refusedBy(judge(policy, request({ algorithmHash: OTHER_HASH }), NONE), 'algorithms.hashes', 'algorithms.publishers')
    const manifest = signManifest(publisher, { name: 'mean', version: '2', hash: OTHER_HASH })
    assert.equal(judge(policy, request({ algorithmHash: OTHER_HASH, manifest }), NONE).allow, true)
  })

  it('requesters: a listed requester (any case) is allowed, another refused', () => {
    const policy: DatasetPolicy = { ...base, requesters: [requester.toUpperCase().replace('0X', '0x')] }
    assert.equal(judge(policy, request(), NONE).allow, true)
    refusedBy(judge(policy, request({ requesterId: stranger }), NONE), 'requesters')
    refusedBy(judge({ ...base, requesters: [] }, request(), NONE), 'requesters')
  })

  it('uses.max and uses.perRequester: allowed below the limit, refused at it', () => {
    const policy: DatasetPolicy = { ...base, uses: { max: 5, perRequester: 2 } }
    const below = judge(policy, request(), { total: 4, byRequester: 1 })
    assert.equal(below.allow, true)
    assert.deepEqual(rules(below), ['algorithms.hashes', 'requesters', 'uses.max', 'uses.perRequester'])
    refusedBy(judge(policy, request(), { total: 5, byRequester: 1 }), 'uses.max')
    refusedBy(judge(policy, request(), { total: 3, byRequester: 2 }), 'uses.perRequester')
    refusedBy(judge({ ...base, uses: { max: 0 } }, request(), NONE), 'uses.max')
  })

  it('window.from and window.until: open from (inclusive) until (exclusive)', () => {
    const policy: DatasetPolicy = { ...base, window: { from: '2027-03-10T12:00:00Z', until: '2027-03-10T13:00:00Z' } }
    assert.equal(judge(policy, request({ at: Date.parse('2027-03-10T12:00:00Z') }), NONE).allow, true)
    refusedBy(judge(policy, request({ at: Date.parse('2027-03-10T11:59:59.999Z') }), NONE), 'window.from')
    refusedBy(judge(policy, request({ at: Date.parse('2027-03-10T13:00:00Z') }), NONE), 'window.until')
  })

  it('window.hoursUtc: the hours of the day, wrapping past midnight when from > until', () => {
    const day: DatasetPolicy = { ...base, window: { hoursUtc: [9, 17] } }
    assert.equal(judge(day, request({ at: Date.parse('2027-03-10T09:00:00Z') }), NONE).allow, true)
    refusedBy(judge(day, request({ at: Date.parse('2027-03-10T17:00:00Z') }), NONE), 'window.hoursUtc')
    const night: DatasetPolicy = { ...base, window: { hoursUtc: [22, 6] } }
    assert.equal(judge(night, request({ at: Date.parse('2027-03-10T23:10:00Z') }), NONE).allow, true)
    assert.equal(judge(night, request({ at: Date.parse('2027-03-11T05:59:00Z') }), NONE).allow, true)
    refusedBy(judge(night, request({ at: Date.parse('2027-03-10T12:00:00Z') }), NONE), 'window.hoursUtc')
  })

  it('several rules refusing at once: every one is named, in the order of the policy', () => {
    const policy: DatasetPolicy = {
      ...base,
      requesters: [requester],
      uses: { max: 1, perRequester: 1 },
      window: { from: '2027-04-01T00:00:00Z', until: '2027-05-01T00:00:00Z', hoursUtc: [0, 6] }
    }
    const decision = judge(policy, request({ requesterId: stranger, algorithmHash: OTHER_HASH }), { total: 1, byRequester: 1 })
    refusedBy(decision, 'algorithms.hashes', 'requesters', 'uses.max', 'uses.perRequester', 'window.from', 'window.hoursUtc')
  })

  it('no policy: every use refused by the rule "policy"', () => {
    refusedBy(noPolicy('patients'), 'policy')
  })

  it("the algorithm's hash from its task package: sha3 of hash: packages, sha256 of a container digest, null otherwise", () => {
    const hex = 'AB'.repeat(32)
    assert.equal(algorithmHashOf(`hash:sha3:${hex}:http://127.0.0.1/x.wasm`), `sha3:${hex.toLowerCase()}`)
    assert.equal(algorithmHashOf(`hash://sha3:${'c'.repeat(56)}:https://example.org/image.gvmi`), `sha3:${'c'.repeat(56)}`)
    assert.equal(algorithmHashOf(`docker:alpine@sha256:${'d'.repeat(64)}`), `sha256:${'d'.repeat(64)}`)
    assert.equal(algorithmHashOf(`docker:sha256:${'e'.repeat(64)}`), `sha256:${'e'.repeat(64)}`)
    for (const without of ['docker:alpine:3', 'http://127.0.0.1/x.wasm', `hash:sha3:${'a'.repeat(63)}:http://x/`, `hash:sha3:${hex}:`, 42, undefined]) {
      assert.equal(algorithmHashOf(without), null, String(without))
    }
  })
})
