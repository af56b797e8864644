// Secure aggregation over real libp2p nodes on loopback: one aggregator (the
// requester's host) and owners joined to it, each with its contributor.
import { NetHost, NodeKey } from '../../net/index.ts'
import type { Clock } from '../../net/index.ts'
import { SecaggAggregator, SecaggOwner } from '../../custody/index.ts'
import type { ContributorOptions } from '../../custody/index.ts'
import { prng } from '../helpers/prng.ts'

export interface SecaggWorld {
  aggregatorHost: NetHost
  aggregator: SecaggAggregator
  owners: { host: NetHost; contributor: SecaggOwner }[]
  stop: () => Promise<void>
}

export async function secaggWorld(owners: number, clock: Clock, options: ContributorOptions = {}): Promise<SecaggWorld> {
  const aggregatorHost = new NetHost({ key: NodeKey.random() })
  const world: SecaggWorld = {
    aggregatorHost,
    aggregator: new SecaggAggregator(aggregatorHost, { clock }),
    owners: [],
    stop: async () => {
      for (const owner of world.owners) await owner.contributor.stop()
      await Promise.allSettled(world.owners.map(async owner => await owner.host.stop()))
      await world.aggregator.stop()
      await aggregatorHost.stop()
    }
  }
  try {
    await world.aggregator.start()
    await aggregatorHost.start()
    for (let i = 0; i < owners; i++) {
      const host = new NetHost({ key: NodeKey.random() })
      world.owners.push({ host, contributor: new SecaggOwner(host, options) })
      await host.start()
    }
    for (const { host } of world.owners) await host.dial(aggregatorHost.addresses()[0]!)
  } catch (err) {
    await world.stop()
    throw err
  }
  return world
}

/** Vectors of values with fractional parts, seeded. */
export function vectors(count: number, length: number, seed: number): number[][] {
  const random = prng(seed)
  return Array.from({ length: count }, () => Array.from({ length }, () => Math.round((random() - 0.5) * 2_000_000) / 1000))
}

/** The exact fixed-point sum, computed apart from the code under test. */
export function fixedSum(inputs: readonly (readonly number[])[], fractionalBits: number): string[] {
  const length = inputs[0]!.length
  return Array.from({ length }, (_, i) => inputs.reduce((sum, values) => sum + BigInt(Math.round(values[i]! * 2 ** fractionalBits)), 0n).toString())
}
