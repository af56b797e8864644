// The libp2p stack of an Agora node: TCP, circuit relay v2, Noise, Yamux,
// identify, ping, a Kademlia DHT of Agora's own, gossipsub, and NAT traversal
// (AutoNAT v2, DCUtR, an opt-in relay server, opt-in UPnP). The settings that
// differ from libp2p's defaults, and why, are next to each one.
import { hash } from 'node:crypto'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { autoNATv2 } from '@libp2p/autonat-v2'
import { circuitRelayServer, circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { dcutr } from '@libp2p/dcutr'
import { gossipsub } from '@libp2p/gossipsub'
import { identify, identifyPush } from '@libp2p/identify'
import { kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { uPnPNAT } from '@libp2p/upnp-nat'
import { addressFacts } from './reachability.ts'
import { WEBRTC_LISTEN_ADDRESS, webRtcAfterRelayed, webRtcTransport } from './webrtc.ts'
import { fewerYamuxWindowUpdates, noiseWithQuietDecoder } from './frame-costs.ts'
import { libp2pLogger } from './quiet-logger.ts'
import type { AddressFacts } from './reachability.ts'
import type { GossipSub } from '@libp2p/gossipsub'
import type { Identify, IdentifyPush } from '@libp2p/identify'
import type { KadDHT } from '@libp2p/kad-dht'
import type { Ping } from '@libp2p/ping'
import type { ConnectionGater, PeerId, PrivateKey } from '@libp2p/interface'
import type { Libp2pOptions } from 'libp2p'
import type { Multiaddr } from '@multiformats/multiaddr'

export const DHT_PROTOCOL = '/agora/kad/1.0.0'

/** The largest gossip frame (an RPC) a peer may send; larger ones end its stream. */
export const MAX_GOSSIP_FRAME_BYTES = 1 << 20

/**
 * The most one stream may have in flight towards this node: a stream paused
 * for being behind (gossip-intake.ts) holds at most this much more. It stays
 * below the read buffer a paused stream may hold (4 MiB) before the muxer
 * aborts it; libp2p's default (16 MiB) is above.
 */
export const MAX_STREAM_WINDOW_BYTES = 2 << 20

/** Streams one connection may have open towards this node at once. */
export const MAX_INBOUND_STREAMS_PER_CONNECTION = 128

/**
 * What a relay server grants each node it relays for. libp2p's defaults
 * (128 KiB and 2 minutes per relayed connection) only carry a hole punch; an
 * Agora job between two nodes that cannot punch through their NATs runs over
 * the relay, so its negotiation, activity, debit notes and payments must fit.
 * Bulk transfers (files) never go over a relay (see ProtocolDefinition).
 */
export interface RelayLimits {
  /** Nodes holding a reservation at once; beyond them a reservation is refused. */
  maxReservations: number
  /** How long a reservation lasts before its holder must renew it (libp2p renews it before it ends). */
  reservationTtlMs: number
  /** Bytes (both ways) one relayed connection may carry before the relay closes it. */
  dataBytes: bigint
  /** How long one relayed connection may stay open before the relay closes it. */
  durationMs: number
}

export const DEFAULT_RELAY_LIMITS: RelayLimits = {
  maxReservations: 64,
  reservationTtlMs: 60 * 60_000,
  dataBytes: 16n << 20n,
  durationMs: 15 * 60_000
}

export interface NatOptions {
  /** Relay for other nodes (off by default: relaying spends this node's bandwidth on others' traffic). */
  relayServer: boolean
  relayLimits: RelayLimits
  /** Relays this node holds a reservation on, so that nodes that cannot dial it reach it through them (0: none). */
  reservations: number
  /** Asks the local router for a port mapping by UPnP (off by default: it opens a port on the router). */
  upnp: boolean
  /** Direct connections by WebRTC with nodes reached only through a relay (on by default: webrtc.ts). */
  webrtc: boolean
}

export interface AgoraServices extends Record<string, unknown> {
  identify: Identify
  identifyPush: IdentifyPush
  ping: Ping
  dht: KadDHT
  pubsub: GossipSub
  addressFacts: AddressFacts
}

export interface StackOptions {
  privateKey: PrivateKey
  listen: string[]
  /** Announced as they are (verified by the operator), beside the listen addresses. */
  announce: string[]
  /** Refuses peers that are not Agora nodes or are banned. */
  isRefused: (peerId: PeerId) => boolean
  /** Refuses a connection's remote address (too many of its nodes banned), before any handshake. */
  isAddressRefused: (address: Multiaddr) => boolean
  /** The node's standing with us, from 0 (clean) to -1 (about to be banned). */
  standing: (peerId: string) => number
  gossipHeartbeatMs: number
  inboundConnectionsPerSecond: number
  maxConnections: number
  dialTimeoutMs: number
  /** The least time a ping may take before its connection is judged dead. */
  pingTimeoutMs: number
  /** Bytes gossip may hold unsent for one peer before its stream is closed. */
  maxGossipUnsentBytes: number
  nat: NatOptions
  /** The STUN servers WebRTC asks for this node's outside address, read at each connection. */
  stunServers: () => string[]
}

/** The address a node listens on for each relay reservation it wants. */
export const RELAY_LISTEN_ADDRESS = '/p2p-circuit'

export function libp2pOptions(options: StackOptions): Libp2pOptions<AgoraServices> {
  fewerYamuxWindowUpdates()
  const logger = libp2pLogger()
  const gater: ConnectionGater = {
    // Checked as the TCP connection comes in, before Noise costs any crypto.
    denyInboundConnection: connection => options.isAddressRefused(connection.remoteAddr),
    denyDialPeer: peerId => options.isRefused(peerId),
    denyInboundEncryptedConnection: peerId => options.isRefused(peerId),
    denyOutboundEncryptedConnection: peerId => options.isRefused(peerId),
    // A relay serves Agora nodes in good standing only, at both ends.
    denyInboundRelayReservation: peerId => options.isRefused(peerId),
    denyOutboundRelayedConnection: (source, destination) => options.isRefused(source) || options.isRefused(destination),
    denyInboundRelayedConnection: (relay, remotePeer) => options.isRefused(relay) || options.isRefused(remotePeer),
    // libp2p's default refuses nothing on Node; Agora runs on LANs and on one
    // machine in development, so private and loopback addresses are dialable.
    denyDialMultiaddr: () => false
  }
  return {
    privateKey: options.privateKey,
    ...(logger === undefined ? {} : { logger }),
    start: false,
    nodeInfo: { name: 'agora', version: '1' },
    addresses: {
      listen: [
        ...options.listen,
        ...Array.from({ length: options.nat.reservations }, () => RELAY_LISTEN_ADDRESS),
        // Reached through its relays, a node takes WebRTC connections they signal (webrtc.ts).
        ...(options.nat.webrtc && options.nat.reservations > 0 ? [WEBRTC_LISTEN_ADDRESS] : [])
      ],
      // A public address is otherwise announced only once AutoNAT has had it
      // confirmed by several peers; a relay's clients are given its announced
      // addresses in their reservations, so a relay should announce its own.
      appendAnnounce: options.announce
    },
    transports: [
      tcp(),
      // Dials /p2p-circuit addresses, and holds the reservations asked for by
      // RELAY_LISTEN_ADDRESS: relays are found among connected peers that
      // serve the hop protocol, then by a DHT walk; each reservation is renewed
      // before it expires, and replaced when its relay goes.
      circuitRelayTransport({ reservationCompletionTimeout: 10_000 }),
      // Direct connections between nodes behind NATs, signalled through a relay (webrtc.ts).
      ...(options.nat.webrtc ? [webRtcTransport(options.stunServers)] : [])
    ],
    // Less work per frame (frame-costs.ts), the same bytes on the wire.
    connectionEncrypters: [components => noiseWithQuietDecoder(noise()(components))],
    streamMuxers: [
      yamux({
        // Streams one connection may have open towards us at once. A node has
        // at most 64 requests handled at once (beyond them: RateLimited), plus
        // a few for gossip, identify, the DHT and ping; a stream beyond this is
        // reset by the muxer before any protocol negotiation costs us work
        // (libp2p's default, 1,000, let one peer's burst of hundreds of streams
        // keep this node's event loop busy, and its REST API waiting).
        maxInboundStreams: MAX_INBOUND_STREAMS_PER_CONNECTION,
        streamOptions: { maxStreamWindowSize: MAX_STREAM_WINDOW_BYTES }
      })
    ],
    connectionGater: gater,
    connectionMonitor: {
      // libp2p aborts a connection whose ping is not answered within 5 s (by
      // default, adapting to the pings seen). A ping waits behind whatever the
      // connection already carries, so a busy peer (a flood relayed, a loaded
      // machine) would lose its connections, and with them its gossip mesh,
      // just when it is slow; a peer that is really gone is found by TCP and
      // by the next pings all the same. The next ping starts only after the
      // last one's time is up: one connection may have one ping stream, and a
      // second one opened meanwhile fails, and closes the connection as dead.
      pingTimeout: { minTimeout: options.pingTimeoutMs, maxTimeout: options.pingTimeoutMs },
      pingInterval: options.pingTimeoutMs + 10_000
    },
    connectionManager: {
      maxConnections: options.maxConnections,
      dialTimeout: options.dialTimeoutMs,
      // Counted per remote IP: nodes behind one address (or a test on
      // loopback) would otherwise be refused after libp2p's default of 5/s.
      inboundConnectionThreshold: options.inboundConnectionsPerSecond,
      addressSorter: webRtcAfterRelayed
    },
    services: {
      identify: identify(),
      // Tells connected peers when this node's addresses change: a node
      // behind a NAT gains its relay address after its first connections, and
      // its relay (and the DHT, through it) must hand that address on.
      identifyPush: identifyPush(),
      ping: ping(),
      addressFacts: addressFacts(),
      // v2 rather than v1: it checks each address on its own (one unreachable
      // address does not condemn the others), and its server asks a client for
      // data before dialling an address that is not the client's own, so that
      // Agora nodes cannot be used to make a third party's host flooded by dials.
      autoNAT: autoNATv2(),
      // Upgrades a relayed connection to a direct one by a simultaneous dial.
      dcutr: dcutr(),
      ...natServices(options.nat),
      dht: kadDHT({
        // Agora's own DHT: its routing table holds Agora nodes only.
        protocol: DHT_PROTOCOL,
        // Every node answers queries; the default (client until a public
        // address is seen) would leave a LAN or loopback network with no servers.
        clientMode: false,
        // The default mapper drops private addresses, and with them every
        // peer of a LAN or loopback network.
        peerInfoMapper: passthroughMapper
      }),
      pubsub: gossipsub({
        // Entries carry their own signatures (signed envelopes), so a second
        // gossipsub signature per message would only cost time.
        globalSignaturePolicy: 'StrictNoSign',
        // The id of a message is the hash of its bytes: the same entry heard
        // from two peers is one message.
        msgIdFn: message => hash('sha256', message.data, 'buffer'),
        // A node alone on the network still publishes: the entry is stored
        // and handed to peers by anti-entropy sync when they connect.
        allowPublishToZeroTopicPeers: true,
        ignoreDuplicatePublishError: true,
        // A publisher sends to every subscribed peer, not only its mesh:
        // on small networks that is one hop to most nodes.
        floodPublish: true,
        // A shorter heartbeat than the default 1 s forms meshes and repairs
        // them faster; gossip traffic stays small at Agora's message rates.
        heartbeatInterval: options.gossipHeartbeatMs,
        fallbackToFloodsub: false,
        // Not over relayed connections: a node behind a NAT hears gossip from
        // the peers it reaches directly (its relay among them), and a relayed
        // connection's data budget is kept for the requests of a job.
        runOnLimitedConnection: false,
        doPX: false,
        maxInboundDataLength: MAX_GOSSIP_FRAME_BYTES,
        // Lazy gossip (IHAVE) to 2 peers outside the mesh, once per message,
        // rather than to 6 or a quarter of them for 3 heartbeats: a message is
        // an announcement of a few hashes, already sent to every mesh peer,
        // and the ids of each cost as much as the message itself. At 100 nodes
        // that was a third of the bytes sent per offer (a node that misses an
        // announcement still gets the entry at its next sync).
        Dlazy: 2,
        gossipFactor: 0,
        mcacheGossip: 1,
        // The next frame of a peer is taken when the last one is judged, so
        // what waits is counted (and bounded) as bytes read, not as RPCs
        // half-handled; see gossip-intake.ts.
        awaitRpcHandler: true,
        awaitRpcMessageHandler: true,
        // Unset, a peer that never reads would have every message of ours
        // kept for it; past this it is cut off as gossipsub does (forwarding
        // to a slow peer stops well before: see gossip-backpressure.ts).
        maxOutboundBufferSize: options.maxGossipUnsentBytes,
        scoreParams: {
          // Our own verdict on a peer (PeerGuard) counts in gossipsub's score:
          // a peer half way to a ban falls below the gossip threshold (-10).
          appSpecificScore: peerId => options.standing(peerId),
          appSpecificWeight: 20,
          // Gossipsub penalises more than 10 peers behind one IP address; on
          // one machine (development, tests, a provider running several
          // nodes) every peer is 127.0.0.1 and would soon be ignored.
          IPColocationFactorWhitelist: new Set(['127.0.0.1', '::1'])
        }
      })
    }
  }
}

/** The relay server and UPnP, each only when the node opts in. */
function natServices(nat: NatOptions): Record<string, (components: never) => unknown> {
  const services: Record<string, (components: never) => unknown> = {}
  if (nat.relayServer) {
    services.relay = circuitRelayServer({
      reservations: {
        maxReservations: nat.relayLimits.maxReservations,
        reservationTtl: nat.relayLimits.reservationTtlMs,
        applyDefaultLimit: true,
        defaultDataLimit: nat.relayLimits.dataBytes,
        defaultDurationLimit: nat.relayLimits.durationMs
      }
    }) as (components: never) => unknown
  }
  if (nat.upnp) services.upnp = uPnPNAT() as (components: never) => unknown
  return services
}
