// The IP address a multiaddr connects from, the key of the per-address
// budgets (undefined for addresses without one, such as a relayed circuit).
import type { Multiaddr } from '@multiformats/multiaddr'

export function ipOf(address: Multiaddr): string | undefined {
  for (const component of address.getComponents()) {
    if (component.name === 'ip4' || component.name === 'ip6') return component.value
  }
  return undefined
}
