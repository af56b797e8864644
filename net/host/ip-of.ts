// The IP address a multiaddr connects from, the key of the per-address
// budgets (undefined for addresses without one, such as a relayed circuit:
// the IP in it is the relay's, shared by every node relayed through it).
import type { Multiaddr } from '@multiformats/multiaddr'
import { isCircuit } from './reachability.ts'

export function ipOf(address: Multiaddr): string | undefined {
  if (isCircuit(address)) return undefined
  for (const component of address.getComponents()) {
    if (component.name === 'ip4' || component.name === 'ip6') return component.value
  }
  return undefined
}
