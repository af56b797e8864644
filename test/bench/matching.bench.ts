// Matching at market scale: one demand against 10,000 held offers,
// demands held while 10,000 offers arrive one by one, and one demand against
// 100,000 offers.
import { Matcher, parseConstraints } from '../../market/language.ts'
import type { Constraint } from '../../market/language.ts'
import type { FlatProperties } from '../../market/properties-types.ts'
import { percentile, report } from './report.ts'
import { prng } from '../helpers/prng.ts'
import { offerDrawer, SCALE_DEMAND } from './scale-offer-terms.ts'

const OFFERS = 10_000
const NOW = 1_767_225_600_000

const random = prng(42)
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T

const OFFER_CONSTRAINTS = [
  '(&(golem.srv.comp.expiration>1767225000000))',
  '(&(golem.srv.comp.expiration>1767225000000)(golem.node.debug.subnet=public))',
  '(|(golem.node.debug.subnet=public)(golem.node.debug.subnet=devnet*))',
  '()'
].map(text => parseConstraints(text))

function offer(i: number): { id: string; properties: FlatProperties; constraints: Constraint } {
  const properties: FlatProperties = {
    'golem.inf.cpu.threads': pick([1, 2, 4, 8, 16, 32]),
    'golem.inf.mem.gib': pick([0.25, 1, 2, 4, 8, 16, 64]),
    'golem.inf.storage.gib': pick([1, 10, 40, 100, 500]),
    'golem.runtime.name': random() < 0.85 ? 'vm' : pick(['wasmtime', 'vm-nvidia', 'automatic']),
    'golem.runtime.version': pick(['0.2.5', '0.3.0', '0.4.1-rc.1']),
    'golem.com.pricing.model': 'linear',
    'golem.com.pricing.model.linear.coeffs': [random() / 1000, random() / 10000, 0],
    'golem.com.usage.vector': ['golem.usage.cpu_sec', 'golem.usage.duration_sec'],
    'golem.node.id.name': `provider-${i}`,
    'golem.node.debug.subnet': random() < 0.9 ? 'public' : 'devnet-beta',
    'golem.srv.caps.multi-activity': true
  }
  if (random() < 0.9) properties['golem.com.payment.platform.erc20-holesky-tglm.address'] = `0x${i.toString(16).padStart(40, '0')}`
  return { id: `offer-${i}`, properties, constraints: pick(OFFER_CONSTRAINTS) }
}

const DEMAND = {
  properties: {
    'golem.srv.comp.expiration': NOW + 3_600_000,
    'golem.node.debug.subnet': 'public',
    'golem.com.payment.chosen-platform': 'erc20-holesky-tglm'
  } satisfies FlatProperties,
  constraints: parseConstraints(
    '(&(golem.inf.mem.gib>=0.5)(golem.inf.storage.gib>=2)(golem.inf.cpu.threads>=1)' +
      '(golem.runtime.name=vm)(golem.com.pricing.model=linear)(golem.com.payment.platform.erc20-holesky-tglm.address=*))'
  )
}

const offers = Array.from({ length: OFFERS }, (_, i) => offer(i))

// 1. One demand against 10,000 held offers.
const matcher = new Matcher()
for (const o of offers) matcher.addOffer(o)
const matched = matcher.match(DEMAND).length
report('matching.match.matched-offers', matched, 'offers')
for (let i = 0; i < 20; i++) matcher.match(DEMAND) // warm up
const samples: number[] = []
for (let i = 0; i < 200; i++) {
  const start = performance.now()
  matcher.match(DEMAND)
  samples.push(performance.now() - start)
}
report('matching.match.10k-offers.p50', percentile(samples, 50), 'ms')
report('matching.match.10k-offers.p95', percentile(samples, 95), 'ms')

// 2. 100 held demands, 10,000 offers arriving one by one.
const demands = Array.from({ length: 100 }, (_, i) => ({
  id: `demand-${i}`,
  properties: { ...DEMAND.properties, 'golem.srv.comp.expiration': NOW + (i % 2 === 0 ? 3_600_000 : -3_600_000) },
  constraints: parseConstraints(
    `(&(golem.inf.mem.gib>=${pick([0.5, 2, 8])})(golem.inf.cpu.threads>=${pick([1, 4, 8])})(golem.runtime.name=vm)` +
      '(golem.com.payment.platform.erc20-holesky-tglm.address=*))'
  )
}))
const arrivals = new Matcher()
for (const d of demands) arrivals.addDemand(d)
let pairs = 0
const start = performance.now()
for (const o of offers) pairs += arrivals.addOffer(o).length
const total = performance.now() - start
report('matching.arrivals.100-demands.10k-offers.total', total, 'ms')
report('matching.arrivals.100-demands.10k-offers.rate', OFFERS / (total / 1000), 'offers/s')
report('matching.arrivals.100-demands.10k-offers.matched-pairs', pairs, 'pairs')

// 3. One demand against 100,000 held offers drawn as scale-offers.bench.ts draws them (the
// network left out: this is the matcher's own cost), indexed and by a full scan.
const draw = offerDrawer(7)
const big = new Matcher()
const bigScanned = new Matcher({ indexed: false })
for (let i = 0; i < 100_000; i++) {
  const payload = draw(`0x${i.toString(16).padStart(40, '0')}`, NOW + 3_600_000)
  const held = { id: payload.offerId, properties: payload.properties as FlatProperties, constraints: parseConstraints(payload.constraints) }
  big.addOffer(held)
  bigScanned.addOffer(held)
}
const scaleDemand = { properties: SCALE_DEMAND.properties as FlatProperties, constraints: parseConstraints(SCALE_DEMAND.constraints) }
const timed = (which: Matcher, runs: number): { times: number[]; matched: number } => {
  const times: number[] = []
  let count = 0
  for (let i = 0; i < runs; i++) {
    const start = performance.now()
    count = which.match(scaleDemand).length
    times.push(performance.now() - start)
  }
  return { times, matched: count }
}
timed(big, 10) // warm up
const indexedTimes = timed(big, 100)
const scannedTimes = timed(bigScanned, 20)
if (indexedTimes.matched !== scannedTimes.matched) throw new Error(`the index matched ${indexedTimes.matched} offers, a full scan ${scannedTimes.matched}`)
report('matching.match.100k-offers.matched-offers', indexedTimes.matched, 'offers')
report('matching.match.100k-offers.p50', percentile(indexedTimes.times, 50), 'ms')
report('matching.match.100k-offers.p95', percentile(indexedTimes.times, 95), 'ms')
report('matching.match.100k-offers.full-scan.p50', percentile(scannedTimes.times, 50), 'ms')
