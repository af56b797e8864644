// Direct connections between nodes that cannot dial each other (both behind
// NATs): WebRTC, whose ICE punches a hole through both NATs by UDP, with
// the offer and answer carried over the relayed connection they already
// have. DCUtR's simultaneous TCP dial cannot work from Node: it must dial
// from the port the node listens on, and Node binds no outgoing socket to a
// port a server holds. Each node asks the relays it holds a reservation on
// for its outside address (STUN, which relays answer: stun-server.ts).
import { circuitRelayAddressesLast, loopbackAddressLast, publicAddressesFirst, reliableTransportsFirst } from '@libp2p/utils'
import { webRTC } from '@libp2p/webrtc'
import { multiaddr } from '@multiformats/multiaddr'
import { deadlineSignal } from '../events/deadline.ts'
import { isCircuit, isRelayed, isWebRtc } from './reachability.ts'
import type { KnownAddress } from './reachability.ts'
import type { Address, Connection, IdentifyResult, Libp2p } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Logger } from '../logging/logger.ts'

/** The address a node listens on to take WebRTC connections signalled through its relays. */
export const WEBRTC_LISTEN_ADDRESS = '/webrtc'

/** The protocol WebRTC's offer and answer go by (libp2p's): every node with the transport serves it. */
const SIGNALLING_PROTOCOL = '/webrtc-signaling/0.0.1'

/** How long one attempt at a WebRTC connection may take, signalling and ICE together. */
const UPGRADE_TIMEOUT_MS = 30_000

/** The WebRTC transport, its STUN servers read at each connection (the relays change). */
export function webRtcTransport(stunServers: () => string[]): ReturnType<typeof webRTC> {
  return webRTC({
    rtcConfiguration: () => ({ iceServers: stunServers().map(urls => ({ urls })) })
  })
}

/**
 * The order libp2p dials a peer's addresses in (loopback last, public first,
 * relayed last, certified first, reliable transports first), with WebRTC
 * after a relayed address: a first connection through the relay comes at
 * once, and WebRTC is tried over it (upgradeRelayedByWebRtc). Tried first,
 * ICE behind a NAT that lets no hole through would make every first contact
 * wait for its timeout (libp2p's 6 s an address).
 */
export function webRtcAfterRelayed(a: Address, b: Address): -1 | 0 | 1 {
  return (
    loopbackAddressLast(a.multiaddr, b.multiaddr) ||
    publicAddressesFirst(a.multiaddr, b.multiaddr) ||
    webRtcLast(a.multiaddr, b.multiaddr) ||
    circuitRelayAddressesLast(a.multiaddr, b.multiaddr) ||
    (a.isCertified === b.isCertified ? 0 : a.isCertified ? -1 : 1) ||
    reliableTransportsFirst(a.multiaddr, b.multiaddr)
  )
}

function webRtcLast(a: Multiaddr, b: Multiaddr): -1 | 0 | 1 {
  const aWebRtc = isWebRtc(a)
  return aWebRtc === isWebRtc(b) ? 0 : aWebRtc ? 1 : -1
}

/**
 * The STUN servers of the relays this node holds a reservation on: each at
 * the UDP port of the number its TCP address has, where a relay answers.
 */
export function stunServersOf(addresses: KnownAddress[]): string[] {
  const servers = new Set<string>()
  for (const { multiaddr: address, verified } of addresses) {
    if (!verified || !isRelayed(address)) continue
    let host: string | undefined
    for (const component of address.getComponents()) {
      if (component.name === 'ip4') host = component.value
      else if (component.name === 'ip6') host = `[${component.value}]`
      else if (component.name === 'tcp' && host !== undefined) {
        servers.add(`stun:${host}:${component.value}`)
        break
      } else if (component.name === 'p2p-circuit') break
    }
  }
  return [...servers].sort()
}

/**
 * Once identify tells that the peer at the other end of a relayed connection
 * this node opened takes WebRTC, dials it so, through the same relay; the
 * requests that need a direct connection then take that one. Returns what
 * stops it.
 */
export function upgradeRelayedByWebRtc(libp2p: Libp2p, log: Logger): () => void {
  const trying = new Set<string>()
  const onIdentify = (event: CustomEvent<IdentifyResult>): void => {
    const { connection, peerId, protocols } = event.detail
    if (!isRelayed(connection.remoteAddr) || connection.direction !== 'outbound' || !protocols.includes(SIGNALLING_PROTOCOL)) return
    const peer = peerId.toString()
    if (trying.has(peer) || hasDirect(libp2p.getConnections(peerId))) return
    const target = webRtcAddressThrough(connection.remoteAddr, peer)
    trying.add(peer)
    const deadline = deadlineSignal(UPGRADE_TIMEOUT_MS)
    libp2p
      .dial(target, { signal: deadline.signal })
      .then(
        () => {
          log.info({ peerId: peer }, 'relayed connection joined by a direct one (WebRTC)')
        },
        (err: unknown) => {
          log.info({ peerId: peer, err: (err as Error).message }, 'no direct connection by WebRTC: the relayed one stays')
        }
      )
      .finally(() => {
        deadline.clear()
        trying.delete(peer)
      })
  }
  libp2p.addEventListener('peer:identify', onIdentify)
  return () => {
    libp2p.removeEventListener('peer:identify', onIdentify)
  }
}

function hasDirect(connections: Connection[]): boolean {
  return connections.some(connection => connection.status === 'open' && !isRelayed(connection.remoteAddr))
}

/** /…/p2p/<relay>/p2p-circuit/p2p/<peer> → /…/p2p/<relay>/p2p-circuit/webrtc/p2p/<peer> */
function webRtcAddressThrough(relayed: Multiaddr, peer: string): Multiaddr {
  const circuit = relayed.toString().replace(new RegExp(`/p2p/${peer}$`), '')
  return multiaddr(`${circuit}/webrtc/p2p/${peer}`)
}

/**
 * Where a relay's STUN servers listen: the host of each TCP address it
 * listens on, at the port number the TCP listener was given.
 */
export function stunEndpointsOf(listen: string[], bound: Multiaddr[]): Array<{ host: string; port: number }> {
  const endpoints = new Map<string, { host: string; port: number }>()
  for (const address of listen) {
    const [ip, tcp] = multiaddr(address).getComponents()
    if ((ip?.name !== 'ip4' && ip?.name !== 'ip6') || tcp?.name !== 'tcp' || ip.value === undefined) continue
    const host = ip.value
    const port = Number(tcp.value)
    const ports = port !== 0 ? [port] : boundPorts(bound, ip.name, host)
    for (const boundPort of ports) endpoints.set(`${host} ${boundPort}`, { host, port: boundPort })
  }
  return [...endpoints.values()]
}

function boundPorts(bound: Multiaddr[], family: string, host: string): number[] {
  const wildcard = host === '0.0.0.0' || host === '::'
  const ports = new Set<number>()
  for (const address of bound) {
    if (isCircuit(address)) continue
    const [ip, tcp] = address.getComponents()
    if (ip?.name !== family || tcp?.name !== 'tcp') continue
    if (wildcard || ip.value === host) ports.add(Number(tcp.value))
  }
  return [...ports]
}
