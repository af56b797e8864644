import assert from 'node:assert/strict'
import { evaluate, Matcher, parseConstraints } from '../../market/language.ts'
import type { Constraint } from '../../market/language.ts'
import { OfferIndex } from '../../market/matching/offer-index.ts'
import { SeededDraws } from '../helpers/prng.ts'

// Seeded so that a failure can be replayed: the seed is in every message.
const SEED = Number(process.env.OFFER_INDEX_SEED ?? 20261202)

const RUNTIME = 'golem.runtime.name'
const PLATFORMS = ['erc20-holesky-tglm', 'erc20-polygon-glm', 'zksync-x']
const addressKey = (platform: string): string => `golem.com.payment.platform.${platform}.address`
const OTHER_KEYS = ['golem.inf.cpu.threads', 'golem.node.debug.subnet', 'golem.runtime.name[x]', 'golem.com.payment.platform.address']

// Texts that stand for themselves and texts another type can equal ("1" = 1.0, "true" = true).
const TEXTS = ['vm', 'wasmtime', 'VM', 'vm ', '', '1', '1.0', '01', 'true', 'false', '*', 'vm-nvidia']
// Values of every type a published property may have, most of them plain strings.
const VALUES: readonly unknown[] = [
  'vm',
  'vm',
  'wasmtime',
  'vm-nvidia',
  'VM',
  '',
  '1',
  'true',
  1,
  1.0,
  0,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  true,
  false,
  null,
  {},
  [],
  ['vm'],
  ['vm', 'wasmtime'],
  ['wasmtime', 1],
  [true],
  [['vm']],
  '0xabc'
]

class Gen extends SeededDraws {}

function offerProperties(g: Gen): Record<string, unknown> {
  const properties: Record<string, unknown> = {}
  if (g.int(6) !== 0) properties[RUNTIME] = g.pick(VALUES)
  for (const platform of PLATFORMS) if (g.int(2) === 0) properties[addressKey(platform)] = g.pick(VALUES)
  for (const key of OTHER_KEYS) if (g.int(2) === 0) properties[key] = g.pick(VALUES)
  return properties
}

function attribute(g: Gen): { name: string; aspect?: string } {
  switch (g.int(5)) {
    case 0:
    case 1:
      return { name: RUNTIME }
    case 2:
      return { name: addressKey(g.pick([...PLATFORMS, 'unknown-platform'])) }
    case 3:
      return g.int(3) === 0 ? { name: RUNTIME, aspect: 'x' } : { name: g.pick(OTHER_KEYS) }
    default:
      return { name: addressKey(g.pick(PLATFORMS)) }
  }
}

function literal(g: Gen): Extract<Constraint, { kind: 'compare' }>['value'] {
  switch (g.int(8)) {
    case 0:
      return {
        kind: 'pattern',
        parts: g.pick([
          ['vm', ''],
          ['', 'time'],
          ['', 'm', ''],
          ['w', 'm', 'e']
        ])
      }
    case 1:
      return {
        kind: 'list',
        items: [
          { kind: 'text', text: g.pick(TEXTS) },
          { kind: 'text', text: g.pick(TEXTS) }
        ]
      }
    case 2:
      return { kind: 'decimal', text: g.pick(['1', '0', '1.0']) }
    case 3:
      return { kind: 'version', text: '1.0.0' }
    default:
      return { kind: 'text', text: g.pick(TEXTS) }
  }
}

function tree(g: Gen, depth: number): Constraint {
  const roll = g.int(depth > 2 ? 4 : 9)
  if (roll === 0) return { kind: 'present', attribute: attribute(g) }
  if (roll <= 3) {
    const operator = g.int(4) === 0 ? g.pick(['<', '<=', '>', '>='] as const) : '='
    return { kind: 'compare', attribute: attribute(g), operator, value: literal(g) }
  }
  if (roll === 4) return { kind: 'true' }
  if (roll === 5) return { kind: 'not', operand: tree(g, depth + 1) }
  const operands = Array.from({ length: g.int(4) }, () => tree(g, depth + 1))
  return { kind: roll <= 6 ? 'or' : 'and', operands }
}

/** The offers that match, by evaluating both sides on every offer: what the index must never change. */
function byEvaluation(
  offers: ReadonlyMap<string, { properties: Record<string, unknown>; constraints: Constraint }>,
  demand: { properties: Record<string, unknown>; constraints: Constraint }
): string[] {
  return [...offers]
    .filter(([, offer]) => evaluate(demand.constraints, offer.properties) === 'True' && evaluate(offer.constraints, demand.properties) === 'True')
    .map(([id]) => id)
}

describe('the offer index', () => {
  it('never changes what a demand matches, nor the order (random offers and demands)', () => {
    const g = new Gen(SEED)
    for (let round = 0; round < 40; round++) {
      const indexed = new Matcher()
      const scanned = new Matcher({ indexed: false })
      const offers = new Map<string, { properties: Record<string, unknown>; constraints: Constraint }>()
      for (let i = 0; i < 150; i++) {
        // Ids repeat: offers are replaced (and some removed) as well as added.
        const id = `offer-${g.int(120)}`
        if (g.int(10) === 0) {
          assert.equal(indexed.removeOffer(id), scanned.removeOffer(id))
          offers.delete(id)
          continue
        }
        const offer = { id, properties: offerProperties(g), constraints: g.int(4) === 0 ? tree(g, 1) : ({ kind: 'true' } as const) }
        indexed.addOffer(offer)
        scanned.addOffer(offer)
        offers.set(id, offer)
      }
      for (let d = 0; d < 60; d++) {
        const demand = { properties: offerProperties(g), constraints: tree(g, 0) }
        const expected = scanned.match(demand)
        const context = `seed ${SEED}, round ${round}, demand ${JSON.stringify(demand.constraints)}`
        assert.deepEqual(indexed.match(demand), expected, context)
        assert.deepEqual([...expected].sort(), byEvaluation(offers, demand).sort(), context)
      }
    }
  })

  it('keeps a held demand matching the same offers as a full scan while offers come and go', () => {
    const g = new Gen(SEED + 1)
    const indexed = new Matcher()
    const scanned = new Matcher({ indexed: false })
    for (let d = 0; d < 30; d++) {
      const demand = { id: `demand-${d}`, properties: offerProperties(g), constraints: tree(g, 0) }
      indexed.addDemand(demand)
      scanned.addDemand(demand)
    }
    for (let i = 0; i < 400; i++) {
      const id = `offer-${g.int(100)}`
      if (g.int(5) === 0) {
        indexed.removeOffer(id)
        scanned.removeOffer(id)
      } else {
        const offer = { id, properties: offerProperties(g), constraints: { kind: 'true' } as const }
        assert.deepEqual(indexed.addOffer(offer), scanned.addOffer(offer))
      }
      const d = `demand-${g.int(30)}`
      assert.deepEqual(indexed.matchDemand(d), scanned.matchDemand(d), `seed ${SEED + 1}, step ${i}, ${d}`)
    }
  })

  describe('what it narrows to', () => {
    const offers = [
      { id: 'vm-holesky', properties: { [RUNTIME]: 'vm', [addressKey('erc20-holesky-tglm')]: '0x1' } },
      { id: 'vm-polygon', properties: { [RUNTIME]: 'vm', [addressKey('erc20-polygon-glm')]: '0x2' } },
      { id: 'wasm-holesky', properties: { [RUNTIME]: 'wasmtime', [addressKey('erc20-holesky-tglm')]: '0x3' } },
      { id: 'numeric', properties: { [RUNTIME]: 1 } },
      { id: 'listed', properties: { [RUNTIME]: ['vm', 'wasmtime'] } },
      { id: 'bare', properties: {} }
    ]
    const index = new OfferIndex<(typeof offers)[number]>()
    for (const offer of offers) index.add(offer)
    const ids = (text: string): string[] | undefined => {
      const buckets = index.candidates(parseConstraints(text))
      return buckets === undefined ? undefined : [...new Set(buckets.flatMap(bucket => [...bucket.keys()]))].sort()
    }

    it('a runtime equality in the top-level and: that runtime, lists naming it and values of other types', () => {
      assert.deepEqual(ids('(&(golem.inf.cpu.threads>=1)(golem.runtime.name=vm))'), ['listed', 'numeric', 'vm-holesky', 'vm-polygon'])
    })

    it('a platform address asked for: the offers that have it, the smaller side of an and', () => {
      assert.deepEqual(ids('(golem.com.payment.platform.erc20-polygon-glm.address=*)'), ['vm-polygon'])
      assert.deepEqual(ids('(&(golem.runtime.name=vm)(golem.com.payment.platform.erc20-polygon-glm.address=*))'), ['vm-polygon'])
      assert.deepEqual(ids('(golem.com.payment.platform.nowhere.address=*)'), [])
    })

    it('each narrowing term of an and, smallest first: the offers in all of them are the only ones tried', () => {
      const conditions = index.conditions(
        parseConstraints('(&(golem.runtime.name=vm)(golem.inf.cpu.threads>=1)(golem.com.payment.platform.erc20-polygon-glm.address=*))')
      )
      const sets = conditions.map(condition => [...new Set(condition.buckets.flatMap(bucket => [...bucket.keys()]))].sort())
      assert.deepEqual(sets, [['vm-polygon'], ['listed', 'numeric', 'vm-holesky', 'vm-polygon']])
      // Each condition's test on an offer's properties says what its buckets say.
      for (const condition of conditions) {
        const filed = new Set(condition.buckets.flatMap(bucket => [...bucket.keys()]))
        for (const offer of offers) assert.equal(condition.holds(offer.properties), filed.has(offer.id), offer.id)
      }
      assert.deepEqual(index.conditions(parseConstraints('(golem.inf.cpu.threads>=1)')), [])
    })

    it('an or of narrowed terms: their union', () => {
      assert.deepEqual(ids('(|(golem.runtime.name=wasmtime)(golem.com.payment.platform.erc20-polygon-glm.address=*))'), [
        'listed',
        'numeric',
        'vm-polygon',
        'wasm-holesky'
      ])
    })

    it('what it cannot be sure of: every offer', () => {
      for (const text of [
        '(golem.runtime.name=vm*)',
        '(golem.runtime.name=[vm,wasmtime])',
        '(golem.runtime.name>=vm)',
        '(!(golem.runtime.name=vm))',
        '(|(golem.runtime.name=vm)(golem.inf.cpu.threads>=1))',
        '(golem.runtime.name=*)',
        '()'
      ]) {
        assert.equal(ids(text), undefined, text)
      }
    })

    it('forgets a removed offer', () => {
      const again = new OfferIndex<(typeof offers)[number]>()
      for (const offer of offers) again.add(offer)
      again.remove(offers[1]!)
      const buckets = again.candidates(parseConstraints('(golem.com.payment.platform.erc20-polygon-glm.address=*)'))
      assert.deepEqual(
        buckets?.map(bucket => bucket.size),
        [0]
      )
    })
  })
})
