// Whether other nodes can dial this one, the relays it can be reached through
// instead, and how its connections run (direct, or through a relay). Read
// from libp2p's address manager: an address is shared with peers once it is
// verified (a private address at once, a public one once AutoNAT confirms it).
import { BlockList, isIPv4, isIPv6 } from 'node:net'
import type { Connection } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

export type ReachabilityStatus = 'public' | 'private' | 'unknown'

export interface Reachability {
  /**
   * public: an address of a public network was confirmed dialable (by AutoNAT,
   * or announced by the operator); private: every address is of a private or
   * loopback network, so only nodes of the same network, or relays, reach it;
   * unknown: a public address is not confirmed yet.
   */
  status: ReachabilityStatus
  /** Peer ids of the relays this node holds a reservation on. */
  relays: string[]
  /** Open connections to peers: direct (WebRTC's among them), and through a relay. */
  direct: number
  relayed: number
}

/** One address of this node, as libp2p's address manager knows it. */
export interface KnownAddress {
  multiaddr: Multiaddr
  verified: boolean
}

/** The part of libp2p's components the facts are read from. */
export interface AddressFactsComponents {
  addressManager: { getAddressesWithMetadata: () => KnownAddress[] }
}

export interface AddressFacts {
  known: () => KnownAddress[]
}

/** A libp2p service that only hands out the address manager's view (libp2p gives it to services alone). */
export function addressFacts(): (components: AddressFactsComponents) => AddressFacts {
  return components => ({ known: () => components.addressManager.getAddressesWithMetadata() })
}

// The ranges no one outside their own network can dial (RFC 1918, 6598, 3927,
// 4193, 4291 and their like).
const NOT_PUBLIC = new BlockList()
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['240.0.0.0', 4]
] as const)
  NOT_PUBLIC.addSubnet(network, prefix, 'ipv4')
for (const [network, prefix] of [
  ['::', 127],
  ['fc00::', 7],
  ['fe80::', 10],
  ['2001:db8::', 32]
] as const)
  NOT_PUBLIC.addSubnet(network, prefix, 'ipv6')

export function isPublicIp(ip: string): boolean {
  if (isIPv4(ip)) return !NOT_PUBLIC.check(ip, 'ipv4')
  if (isIPv6(ip)) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)
    if (mapped !== null) return !NOT_PUBLIC.check(mapped[1]!, 'ipv4')
    return !NOT_PUBLIC.check(ip, 'ipv6')
  }
  return false
}

export function isCircuit(address: Multiaddr): boolean {
  return address.getComponents().some(component => component.name === 'p2p-circuit')
}

/** Whether an address runs over WebRTC (a relay in it only signalled the connection). */
export function isWebRtc(address: Multiaddr): boolean {
  return address.getComponents().some(component => component.name === 'webrtc')
}

/** Whether a connection to this address carries its traffic through a relay. */
export function isRelayed(address: Multiaddr): boolean {
  return isCircuit(address) && !isWebRtc(address)
}

/** The relay's peer id in a /…/p2p/<relay>/p2p-circuit/… address. */
export function relayOf(address: Multiaddr): string | undefined {
  let relay: string | undefined
  for (const component of address.getComponents()) {
    if (component.name === 'p2p-circuit') return relay
    if (component.name === 'p2p') relay = component.value
  }
  return undefined
}

function hostOf(address: Multiaddr): { ip?: string; dns?: boolean } {
  for (const component of address.getComponents()) {
    if (component.name === 'ip4' || component.name === 'ip6') return { ip: component.value ?? '' }
    if (component.name.startsWith('dns')) return { dns: true }
  }
  return {}
}

export function statusOf(addresses: KnownAddress[]): ReachabilityStatus {
  let unconfirmed = false
  for (const address of addresses) {
    if (isCircuit(address.multiaddr)) continue
    const host = hostOf(address.multiaddr)
    // A name is the operator's announcement: it is as public as they made it.
    const isPublic = host.dns === true || (host.ip !== undefined && isPublicIp(host.ip))
    if (!isPublic) continue
    if (address.verified) return 'public'
    unconfirmed = true
  }
  return unconfirmed ? 'unknown' : 'private'
}

export function reachabilityOf(addresses: KnownAddress[], connections: Connection[]): Reachability {
  const relays = new Set<string>()
  for (const address of addresses) {
    if (!address.verified || !isCircuit(address.multiaddr)) continue
    const relay = relayOf(address.multiaddr)
    if (relay !== undefined) relays.add(relay)
  }
  let direct = 0
  let relayed = 0
  for (const connection of connections) {
    if (connection.status !== 'open') continue
    if (isRelayed(connection.remoteAddr)) relayed++
    else direct++
  }
  return { status: statusOf(addresses), relays: [...relays].sort(), direct, relayed }
}
