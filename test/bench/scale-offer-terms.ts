// The offers and the demand of scale-offers.bench.ts: Golem-style terms with
// the spread a real market has (several runtimes, several payment platforms,
// varied hardware and prices), drawn from a seeded generator.
import type { OfferPayload } from '../../market/model/wire.ts'
import { prng } from '../helpers/prng.ts'

// Runtime names with their shares of the offers.
const RUNTIMES: ReadonlyArray<readonly [string, number]> = [
  ['vm', 0.4],
  ['wasmtime', 0.2],
  ['vm-nvidia', 0.1],
  ['automatic', 0.1],
  ['outbound-gateway', 0.1],
  ['wasi', 0.1]
]
const PLATFORMS = ['erc20-holesky-tglm', 'erc20-polygon-glm', 'erc20-mainnet-glm']

export const SCALE_OFFER_CONSTRAINTS = '(&(golem.srv.comp.expiration>0)(golem.node.debug.subnet=agora-test))'

/** Draws offers one after another; the same seed draws the same offers. */
export function offerDrawer(seed: number): (signer: string, expiresAt: number) => OfferPayload {
  const random = prng(seed)
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T
  const runtime = (): string => {
    let roll = random()
    for (const [name, share] of RUNTIMES) {
      roll -= share
      if (roll < 0) return name
    }
    return 'vm'
  }
  let drawn = 0
  return (signer, expiresAt) => {
    const id = Array.from({ length: 8 }, () =>
      Math.floor(random() * 2 ** 32)
        .toString(16)
        .padStart(8, '0')
    ).join('')
    const properties: Record<string, unknown> = {
      'golem.inf.cpu.threads': pick([1, 2, 4, 8, 16, 32]),
      'golem.inf.mem.gib': pick([0.5, 1, 2, 4, 8, 16, 64]),
      'golem.inf.storage.gib': pick([1, 10, 40, 100, 500]),
      'golem.runtime.name': runtime(),
      'golem.runtime.version': pick(['0.2.5', '0.3.0', '0.4.1']),
      'golem.com.pricing.model': 'linear',
      'golem.com.pricing.model.linear.coeffs': [random() / 1000, random() / 10000, 0],
      'golem.com.usage.vector': ['golem.usage.cpu_sec', 'golem.usage.duration_sec'],
      'golem.node.id.name': `scale-provider-${drawn++}`,
      'golem.node.debug.subnet': 'agora-test'
    }
    // One or two payment platforms, each with the signer's address.
    const first = Math.floor(random() * PLATFORMS.length)
    properties[`golem.com.payment.platform.${PLATFORMS[first]}.address`] = signer
    if (random() < 0.3) properties[`golem.com.payment.platform.${PLATFORMS[(first + 1) % PLATFORMS.length]}.address`] = signer
    return { offerId: id, properties, constraints: SCALE_OFFER_CONSTRAINTS, timestamp: new Date().toISOString(), expiresAt }
  }
}

/** A requester's demand that a few thousand of the offers meet. */
export const SCALE_DEMAND = {
  properties: { 'golem.srv.comp.expiration': Date.now() + 3_600_000, 'golem.node.debug.subnet': 'agora-test' },
  constraints:
    '(&(golem.inf.mem.gib>=2)(golem.inf.storage.gib>=10)(golem.inf.cpu.threads>=4)' +
    '(golem.runtime.name=vm-nvidia)(golem.com.pricing.model=linear)(golem.com.payment.platform.erc20-polygon-glm.address=*))'
}
