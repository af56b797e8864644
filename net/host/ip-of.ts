// The IP address a multiaddr connects from, the key of the per-address
// budgets (undefined for addresses without one, such as a relayed circuit:
// the IP in it is the relay's, shared by every node relayed through it).
import type { Multiaddr } from '@multiformats/multiaddr'

export function ipOf(address: Multiaddr): string | undefined {
  const components = address.getComponents()
  if (components.some(component => component.name === 'p2p-circuit')) return undefined
  for (const component of components) {
    if (component.name === 'ip4' || component.name === 'ip6') return component.value
  }
  return undefined
}
