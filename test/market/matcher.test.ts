import assert from 'node:assert/strict'
import { Matcher, normaliseProperties, parseConstraints, satisfies } from '../../market/language.ts'
import type { FlatProperties } from '../../market/properties-types.ts'

const HOUR = 3_600_000
const NOW = 1_767_225_600_000 // 2026-01-01T00:00:00Z

// What a Golem provider publishes, in the nested form yagna accepts.
function providerOffer(overrides: Record<string, unknown> = {}): FlatProperties {
  return normaliseProperties({
    golem: {
      inf: { cpu: { threads: 4, architecture: 'x86_64' }, mem: { gib: 8 }, storage: { gib: 40 } },
      runtime: { name: 'vm', version: '0.3.0' },
      com: {
        pricing: { model: { '@tag': 'linear', linear: { coeffs: [0.0001, 0.00005, 0.0] } } },
        usage: { vector: ['golem.usage.cpu_sec', 'golem.usage.duration_sec'] },
        scheme: { '@tag': 'payu', payu: { 'debit-note.interval-sec?': 120 } },
        payment: { platform: { 'erc20-holesky-tglm': { address: '0x7c5f4e0d7e3c5b5d8e8c3a7b1f2e9d4c6a8b0e11' } } }
      },
      node: { id: { name: 'provider-1' }, debug: { subnet: 'public' } },
      srv: { caps: { 'multi-activity': true } }
    },
    ...overrides
  })
}

const PROVIDER_CONSTRAINTS = `(&
  (golem.srv.comp.expiration>${NOW + HOUR / 2})
  (golem.node.debug.subnet=public)
)`

function requestorDemand(expiration = NOW + HOUR): FlatProperties {
  return normaliseProperties({
    golem: {
      srv: { comp: { expiration, task_package: 'hash:sha3:9a3b…:http://registry/image' } },
      node: { debug: { subnet: 'public' } },
      com: { payment: { chosen_platform: 'erc20-holesky-tglm' } }
    }
  })
}

const REQUESTOR_CONSTRAINTS = `(&(golem.inf.mem.gib>=0.5)(golem.inf.storage.gib>=2)(golem.inf.cpu.threads>=1)
  (golem.runtime.name=vm)(golem.com.pricing.model=linear)
  (golem.com.payment.platform.erc20-holesky-tglm.address=*))`

describe('matching a Golem-style offer and demand', () => {
  it('the demand accepts the offer and the offer accepts the demand', () => {
    assert.ok(satisfies(REQUESTOR_CONSTRAINTS, providerOffer()))
    assert.ok(satisfies(PROVIDER_CONSTRAINTS, requestorDemand()))
  })

  it('each side can refuse on its own', () => {
    assert.ok(!satisfies(REQUESTOR_CONSTRAINTS, { ...providerOffer(), 'golem.runtime.name': 'wasmtime' }))
    assert.ok(!satisfies(REQUESTOR_CONSTRAINTS, { ...providerOffer(), 'golem.inf.mem.gib': 0.25 }))
    const withoutAddress = { ...providerOffer() }
    delete withoutAddress['golem.com.payment.platform.erc20-holesky-tglm.address']
    assert.ok(!satisfies(REQUESTOR_CONSTRAINTS, withoutAddress))
    assert.ok(!satisfies(PROVIDER_CONSTRAINTS, requestorDemand(NOW + HOUR / 4)))
  })

  it('a missing property makes the demand Undefined, which does not match', () => {
    const offer = { ...providerOffer() }
    delete offer['golem.inf.storage.gib']
    assert.ok(!satisfies(REQUESTOR_CONSTRAINTS, offer))
  })

  it('reads list-valued pricing and usage properties', () => {
    assert.ok(satisfies('(golem.com.usage.vector=golem.usage.cpu_sec)', providerOffer()))
    assert.ok(satisfies('(golem.com.pricing.model.linear.coeffs=[0.0001,0.00005,0])', providerOffer()))
    assert.ok(!satisfies('(golem.com.pricing.model.linear.coeffs=[0.0001,0.00005])', providerOffer()))
    assert.ok(satisfies('(golem.runtime.version>=v"0.2.9")', providerOffer()))
  })
})

describe('Matcher', () => {
  const demandC = parseConstraints(REQUESTOR_CONSTRAINTS)
  const offerC = parseConstraints(PROVIDER_CONSTRAINTS)

  function offers(m: Matcher): void {
    m.addOffer({ id: 'good', properties: providerOffer(), constraints: offerC })
    m.addOffer({ id: 'small', properties: { ...providerOffer(), 'golem.inf.storage.gib': 1 }, constraints: offerC })
    m.addOffer({ id: 'picky', properties: providerOffer(), constraints: parseConstraints('(golem.node.debug.subnet=private)') })
    m.addOffer({ id: 'open', properties: { ...providerOffer(), 'golem.inf.cpu.threads': 16 }, constraints: parseConstraints('()') })
  }

  it('match finds the offers that match a demand both ways', () => {
    const m = new Matcher()
    offers(m)
    assert.deepEqual(m.match({ properties: requestorDemand(), constraints: demandC }).sort(), ['good', 'open'])
    // The offers' expiration constraint refuses this demand; 'open' has none.
    assert.deepEqual(m.match({ properties: requestorDemand(NOW), constraints: demandC }), ['open'])
    assert.equal(m.offerCount, 4)
    assert.equal(m.demandCount, 0)
  })

  it('addOffer returns the held demands that the new offer matches', () => {
    const m = new Matcher()
    m.addDemand({ id: 'd1', properties: requestorDemand(), constraints: demandC })
    m.addDemand({ id: 'd-late', properties: requestorDemand(NOW), constraints: demandC })
    m.addDemand({ id: 'd-wasm', properties: requestorDemand(), constraints: parseConstraints('(golem.runtime.name=wasm*)') })
    assert.equal(m.demandCount, 3)
    assert.deepEqual(m.addOffer({ id: 'o1', properties: providerOffer(), constraints: offerC }), ['d1'])
    assert.deepEqual(m.addOffer({ id: 'o2', properties: { ...providerOffer(), 'golem.runtime.name': 'wasmtime' }, constraints: offerC }), ['d-wasm'])
    assert.deepEqual(m.addOffer({ id: 'o3', properties: providerOffer(), constraints: parseConstraints('()') }).sort(), ['d-late', 'd1'])
  })

  it('matchDemand answers for a held demand and is empty for an unknown one', () => {
    const m = new Matcher()
    offers(m)
    m.addDemand({ id: 'd1', properties: requestorDemand(), constraints: demandC })
    assert.deepEqual(m.matchDemand('d1').sort(), ['good', 'open'])
    assert.deepEqual(m.matchDemand('nope'), [])
  })

  it('removeOffer and removeDemand forget entries and say whether they were held', () => {
    const m = new Matcher()
    offers(m)
    m.addDemand({ id: 'd1', properties: requestorDemand(), constraints: demandC })
    assert.equal(m.removeOffer('good'), true)
    assert.equal(m.removeOffer('good'), false)
    assert.deepEqual(m.matchDemand('d1'), ['open'])
    assert.equal(m.offerCount, 3)
    assert.equal(m.removeDemand('d1'), true)
    assert.equal(m.removeDemand('d1'), false)
    assert.equal(m.demandCount, 0)
    assert.deepEqual(m.matchDemand('d1'), [])
    assert.deepEqual(m.addOffer({ id: 'good', properties: providerOffer(), constraints: offerC }), [])
  })

  it('adding an offer with a held id replaces it', () => {
    const m = new Matcher()
    m.addOffer({ id: 'o', properties: providerOffer(), constraints: offerC })
    m.addOffer({ id: 'o', properties: { ...providerOffer(), 'golem.runtime.name': 'wasmtime' }, constraints: offerC })
    assert.equal(m.offerCount, 1)
    assert.deepEqual(m.match({ properties: requestorDemand(), constraints: demandC }), [])
  })

  it('adding a demand with a held id replaces it', () => {
    const m = new Matcher()
    offers(m)
    m.addDemand({ id: 'd', properties: requestorDemand(), constraints: demandC })
    m.addDemand({ id: 'd', properties: requestorDemand(), constraints: parseConstraints('(golem.inf.cpu.threads>=8)') })
    assert.equal(m.demandCount, 1)
    assert.deepEqual(m.matchDemand('d'), ['open'])
  })
})
