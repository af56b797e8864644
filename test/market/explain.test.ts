// The match explanation over a market with offers of several kinds: each
// top-level term of the demand counted against every offer (Undefined, a
// missing property, excludes and is counted apart), the offers whose own
// constraints refuse the demand counted by their failing terms, and the
// number that match both ways agreeing with the matcher.
import assert from 'node:assert/strict'
import { explainMatch, topLevelTerms } from '../../market/matching/explain.ts'
import { Matcher, parseConstraints } from '../../market/language.ts'

interface Kind {
  readonly count: number
  readonly properties: Record<string, unknown>
  readonly constraints: string
}

const OPEN = '(golem.srv.comp.expiration>0)'
// The market: what each kind is, and how many offers of it there are.
const KINDS: readonly Kind[] = [
  { count: 9, properties: { 'golem.runtime.name': 'vm', 'golem.inf.mem.gib': 16 }, constraints: OPEN },
  { count: 3, properties: { 'golem.runtime.name': 'wasmtime', 'golem.inf.mem.gib': 4 }, constraints: OPEN },
  { count: 2, properties: { 'golem.runtime.name': 'wasmtime' }, constraints: OPEN },
  { count: 4, properties: { 'golem.runtime.name': 'wasmtime', 'golem.inf.mem.gib': 16 }, constraints: OPEN },
  // Offers that refuse this demand: a subnet the demand is not in, and a property the demand lacks.
  {
    count: 2,
    properties: { 'golem.runtime.name': 'wasmtime', 'golem.inf.mem.gib': 16 },
    constraints: '(&(golem.node.debug.subnet=private)(golem.srv.comp.expiration>0))'
  },
  { count: 1, properties: { 'golem.runtime.name': 'vm', 'golem.inf.mem.gib': 32 }, constraints: '(agora.requester.tier>=2)' }
]

const offers = KINDS.flatMap(kind =>
  Array.from({ length: kind.count }, () => ({ properties: kind.properties, constraints: parseConstraints(kind.constraints) }))
)
const sum = (kinds: readonly Kind[]): number => kinds.reduce((total, kind) => total + kind.count, 0)
const demand = {
  properties: { 'golem.srv.comp.expiration': 1_900_000_000_000, 'golem.node.debug.subnet': 'public' },
  constraints: parseConstraints('(&(golem.runtime.name=wasmtime)(golem.inf.mem.gib>=8))')
}

describe('the match explanation', () => {
  it('counts what each demand term excluded, Undefined apart, in the demand’s order', () => {
    const counts = explainMatch(demand, offers)
    assert.equal(counts.offersKnown, sum(KINDS))
    const notWasm = KINDS.filter(k => k.properties['golem.runtime.name'] !== 'wasmtime')
    const noMem = KINDS.filter(k => k.properties['golem.inf.mem.gib'] === undefined)
    const lowMem = KINDS.filter(k => typeof k.properties['golem.inf.mem.gib'] === 'number' && (k.properties['golem.inf.mem.gib'] as number) < 8)
    assert.deepEqual(counts.demandConstraints, [
      { constraint: '(golem.runtime.name=wasmtime)', excluded: sum(notWasm), undefinedCount: 0 },
      { constraint: '(golem.inf.mem.gib>=8)', excluded: sum(noMem) + sum(lowMem), undefinedCount: sum(noMem) }
    ])
  })

  it('counts the offers whose own constraints refuse the demand by their failing terms, most first', () => {
    const counts = explainMatch(demand, offers)
    assert.deepEqual(counts.offerConstraints, [
      { constraint: '(golem.node.debug.subnet=private)', excluded: 2, undefinedCount: 0 },
      { constraint: '(agora.requester.tier>=2)', excluded: 1, undefinedCount: 1 }
    ])
  })

  it('matches as many offers as the matcher does', () => {
    const matcher = new Matcher()
    for (const [i, offer] of offers.entries()) matcher.addOffer({ id: `o${i}`, ...offer })
    const counts = explainMatch(demand, offers)
    assert.equal(counts.matching, matcher.match(demand).length)
    assert.equal(counts.matching, KINDS[3]?.count)
  })

  it('an empty market and an open demand: nothing known, no terms', () => {
    const counts = explainMatch({ properties: {}, constraints: parseConstraints('()') }, [])
    assert.deepEqual(counts, { offersKnown: 0, matching: 0, demandConstraints: [], offerConstraints: [] })
    assert.deepEqual(topLevelTerms(parseConstraints('(|(a=1)(b=2))')).length, 1)
  })

  it('keeps the list of offer terms short, whatever the market holds', () => {
    const many = Array.from({ length: 50 }, (_, i) => ({ properties: {}, constraints: parseConstraints(`(tier${i}=1)`) }))
    const counts = explainMatch(demand, many, 20)
    assert.equal(counts.offerConstraints.length, 20)
    assert.equal(counts.offersKnown, 50)
  })
})
