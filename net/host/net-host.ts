// The libp2p host of an Agora node, and the one door to the network for the
// other modules: connections by node id, request/response protocols, and
// broadcast topics. The libp2p key is the node key, so the peer id of a
// connection proves the node id at the other end.
import { TypedEventEmitter } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { slowClosestPeerTagging } from './dht-upkeep.ts'
import { parseNodeId } from '../identity/node-id.ts'
import { silentLogger } from '../logging/logger.ts'
import { NodeDirectory } from '../peers/node-directory.ts'
import { PeerGuard } from '../peers/peer-guard.ts'
import { systemClock } from '../peers/clock.ts'
import { NetError } from '../protocol/errors.ts'
import { RequestResponse } from '../protocol/request-response.ts'
import { Broadcast } from '../broadcast/broadcast.ts'
import { PULL_PROTOCOL, SYNC_PROTOCOL, pullHandler, syncHandler } from '../broadcast/sync.ts'
import { Bootstrapper } from './bootstrapper.ts'
import { boundForwarding } from './gossip-backpressure.ts'
import { boundIntake } from './gossip-intake.ts'
import type { IntakeStats } from './gossip-intake.ts'
import { ipOf } from './ip-of.ts'
import { DEFAULT_RELAY_LIMITS, libp2pOptions } from './libp2p-options.ts'
import type { AgoraServices, NatOptions } from './libp2p-options.ts'
import { reachabilityOf } from './reachability.ts'
import { StunServer } from './stun-server.ts'
import { stunEndpointsOf, stunServersOf, upgradeRelayedByWebRtc } from './webrtc.ts'
import type { Reachability } from './reachability.ts'
import type { NodeId } from '../identity/node-id.ts'
import type { NodeKey } from '../identity/node-key.ts'
import type { Logger } from '../logging/logger.ts'
import type { PeerGuardOptions } from '../peers/peer-guard.ts'
import type { Clock } from '../peers/clock.ts'
import type { InboundLimits } from '../protocol/request-response.ts'
import type { ProtocolDefinition } from '../protocol/definition.ts'
import type { RequestHandler, RequestOptions } from '../protocol/request-response.ts'
import type { BroadcastOptions } from '../broadcast/broadcast.ts'
import type { TopicDefinition } from '../broadcast/topic.ts'
import type { GossipSub } from '@libp2p/gossipsub'
import type { Libp2p, PeerId } from '@libp2p/interface'
import type { Static, TSchema } from 'typebox'

export interface NetHostInit {
  key: NodeKey
  /** Multiaddrs to listen on (default: an ephemeral port on 127.0.0.1). */
  listen?: string[]
  /** Multiaddrs of nodes to join through, each ending in /p2p/<peer id>. */
  bootstrap?: string[]
  /** Addresses this node is reached at, announced beside its listen addresses without waiting for AutoNAT. */
  announce?: string[]
  peerGuard?: Partial<PeerGuardOptions>
  /** Inbound requests handled at once, per node and in all (beyond them: RateLimited). */
  inbound?: Partial<InboundLimits>
  /** What the guard and the broadcasts read the time from (default: the system clock). */
  clock?: Clock
  /** Defaults for every broadcast of this host. */
  broadcast?: Partial<BroadcastOptions>
  /** Gossipsub heartbeat (default 500 ms). */
  gossipHeartbeatMs?: number
  /** New inbound connections accepted per second from one IP address (default 50). */
  inboundConnectionsPerSecond?: number
  maxConnections?: number
  dialTimeoutMs?: number
  /** The least time a ping may take before its connection is closed as dead (default 30 s). */
  pingTimeoutMs?: number
  bootstrapRetryMs?: { min: number; max: number }
  /** What gossip may hold unsent for one peer (defaults in DEFAULT_GOSSIP_BOUNDS). */
  gossipBounds?: Partial<GossipBounds>
  /** Where faults that no caller sees are logged (default: nowhere). */
  logger?: Logger
  /** NAT traversal: relay server, limits, reservations, UPnP (defaults in natOptionsOf). */
  nat?: Partial<NatOptions>
  /** How long a request that may not go over a relay waits for a direct connection (default DIRECT_CONNECTION_WAIT_MS). */
  directConnectionWaitMs?: number
}

/**
 * No relay server, no UPnP, WebRTC on; one relay reservation, unless every listen
 * address is loopback: such a node is for this machine alone, and looking
 * for relays (a DHT walk that goes on until one is found) would only cost.
 */
export function natOptionsOf(nat: Partial<NatOptions> | undefined, listen: string[]): NatOptions {
  const loopbackOnly = listen.length > 0 && listen.every(address => /^\/(ip4\/127\.|ip6\/::1\/)/.test(address))
  return {
    relayServer: nat?.relayServer ?? false,
    relayLimits: { ...DEFAULT_RELAY_LIMITS, ...nat?.relayLimits },
    reservations: nat?.reservations ?? (loopbackOnly ? 0 : 1),
    upnp: nat?.upnp ?? false,
    webrtc: nat?.webrtc ?? true
  }
}

export interface GossipBounds {
  /** Bytes unsent to a peer beyond which messages of others are no longer forwarded to it (sync heals what it missed). */
  maxForwardUnsentBytes: number
  /** Bytes unsent to a peer beyond which its gossip stream is closed: it is not reading. */
  maxUnsentBytes: number
  /** Bytes read from one peer's gossip stream and not yet judged, beyond which it is read no more until half are. */
  maxUnjudgedBytes: number
}

export const DEFAULT_GOSSIP_BOUNDS: GossipBounds = {
  maxForwardUnsentBytes: 2 << 20,
  maxUnsentBytes: 32 << 20,
  // Twice the largest gossip frame (MAX_GOSSIP_FRAME_BYTES), and a little more.
  maxUnjudgedBytes: 4 << 20
}

export interface NetHostEvents {
  'node:connect': CustomEvent<NodeId>
  'node:disconnect': CustomEvent<NodeId>
}

export interface FindNodeOptions {
  signal?: AbortSignal
  /** false asks the network even when the peer store knows addresses. */
  useCache?: boolean
}

export class NetHost extends TypedEventEmitter<NetHostEvents> {
  readonly key: NodeKey
  readonly nodeId: NodeId
  readonly directory = new NodeDirectory()
  readonly guard: PeerGuard
  readonly clock: Clock
  readonly #init: NetHostInit
  readonly #protocols: RequestResponse
  readonly #topics = new Map<string, Broadcast<TSchema>>()
  #libp2p: Libp2p<AgoraServices> | undefined
  /** Peer id → the address it observed us at; one per connected peer. */
  readonly #observed = new Map<string, string>()
  readonly #bootstrapper: Bootstrapper
  readonly #log: Logger
  #forwardsSkipped = 0
  #intake: (() => IntakeStats) | undefined
  #stopWebRtcUpgrade: () => void = () => {}
  #stunServers: StunServer[] = []

  constructor(init: NetHostInit) {
    super()
    this.#init = init
    this.key = init.key
    this.nodeId = init.key.nodeId
    this.clock = init.clock ?? systemClock
    this.guard = new PeerGuard(init.peerGuard, this.clock)
    this.#log = init.logger ?? silentLogger
    this.#protocols = new RequestResponse(this.directory, this.guard, this.#log.child({ component: 'protocols' }), init.inbound, init.directConnectionWaitMs)
    void this.#protocols.handle(
      SYNC_PROTOCOL,
      syncHandler(name => this.#topics.get(name))
    )
    void this.#protocols.handle(
      PULL_PROTOCOL,
      pullHandler(name => this.#topics.get(name))
    )
    this.guard.addEventListener('peer:banned', event => {
      void this.#disconnect(event.detail.nodeId)
    })
    const retry = init.bootstrapRetryMs ?? { min: 1_000, max: 30_000 }
    this.#bootstrapper = new Bootstrapper(
      (init.bootstrap ?? []).map(address => multiaddr(address)),
      async address => await this.libp2p.dial(address),
      peerId => this.#libp2p?.getConnections().some(c => c.remotePeer.toString() === peerId) ?? false,
      { minRetryMs: retry.min, maxRetryMs: retry.max }
    )
  }

  /** The libp2p node underneath, for diagnostics and tests. */
  get libp2p(): Libp2p<AgoraServices> {
    if (this.#libp2p === undefined) throw new NetError('NotStarted', 'the network host is not started')
    return this.#libp2p
  }

  /** Messages of others not forwarded to a peer because too much was unsent to it already. */
  get forwardsSkipped(): number {
    return this.#forwardsSkipped
  }

  /** Gossip read and not yet judged, and how often a peer's stream was paused for it. */
  get gossipIntake(): IntakeStats {
    return this.#intake?.() ?? { backlogBytes: 0, pauses: 0 }
  }

  async start(): Promise<void> {
    if (this.#libp2p !== undefined) return
    const init = this.#init
    const gossipBounds = { ...DEFAULT_GOSSIP_BOUNDS, ...init.gossipBounds }
    const gossipLog = this.#log.child({ component: 'gossip' })
    const listen = init.listen ?? ['/ip4/127.0.0.1/tcp/0']
    const nat = natOptionsOf(init.nat, listen)
    const libp2p = await createLibp2p(
      libp2pOptions({
        privateKey: init.key.libp2pKey,
        listen,
        announce: init.announce ?? [],
        nat,
        isRefused: peerId => this.#isRefused(peerId),
        isAddressRefused: address => {
          const ip = ipOf(address)
          return ip !== undefined && this.guard.isAddressRefused(ip)
        },
        standing: peerId => this.#standing(peerId),
        gossipHeartbeatMs: init.gossipHeartbeatMs ?? 500,
        inboundConnectionsPerSecond: init.inboundConnectionsPerSecond ?? 50,
        maxConnections: init.maxConnections ?? 300,
        dialTimeoutMs: init.dialTimeoutMs ?? 10_000,
        pingTimeoutMs: init.pingTimeoutMs ?? 30_000,
        maxGossipUnsentBytes: gossipBounds.maxUnsentBytes,
        stunServers: () => stunServersOf(this.#libp2p?.services.addressFacts.known() ?? [])
      })
    )
    slowClosestPeerTagging(libp2p.services.dht)
    this.#intake = boundIntake(libp2p.services.pubsub, { maxStreamBacklogBytes: gossipBounds.maxUnjudgedBytes })
    boundForwarding(libp2p.services.pubsub, {
      maxUnsentBytes: gossipBounds.maxForwardUnsentBytes,
      onSkipped: peerId => {
        this.#forwardsSkipped++
        gossipLog.debug({ peerId }, 'message not forwarded: too much unsent to the peer already')
      }
    })
    // A node shares the budgets of the address it connects from.
    libp2p.addEventListener('connection:open', event => {
      const nodeId = this.directory.learnPeer(event.detail.remotePeer)
      const ip = ipOf(event.detail.remoteAddr)
      if (nodeId !== undefined && ip !== undefined) this.guard.bindAddress(nodeId, ip)
    })
    libp2p.addEventListener('peer:connect', event => {
      this.#onConnect(event.detail)
    })
    // What each connected peer saw us dial from or answer on (identify's observedAddr):
    // behind a NAT, the outside addresses, which the listen addresses do not say.
    libp2p.addEventListener('peer:identify', event => {
      const observed = event.detail.observedAddr
      if (observed !== undefined) this.#observed.set(event.detail.peerId.toString(), observed.toString())
    })
    libp2p.addEventListener('peer:disconnect', event => {
      this.#observed.delete(event.detail.toString())
      const nodeId = this.directory.learnPeer(event.detail)
      if (nodeId !== undefined) this.safeDispatchEvent('node:disconnect', { detail: nodeId })
    })
    // Peers the DHT tells us of: their ids carry their keys, so their node ids are known.
    libp2p.addEventListener('peer:discovery', event => {
      this.directory.learnPeer(event.detail.id)
    })
    await libp2p.start()
    this.#libp2p = libp2p
    if (nat.webrtc) this.#stopWebRtcUpgrade = upgradeRelayedByWebRtc(libp2p, this.#log.child({ component: 'nat' }))
    if (nat.relayServer) this.#stunServers = await this.#startStun(listen, libp2p)
    await this.#protocols.start(libp2p)
    for (const topic of this.#topics.values()) topic.start()
    await this.#bootstrapper.start()
  }

  async stop(): Promise<void> {
    const libp2p = this.#libp2p
    if (libp2p === undefined) return
    this.#bootstrapper.stop()
    for (const topic of this.#topics.values()) topic.stop()
    this.#protocols.stop()
    this.#stopWebRtcUpgrade()
    this.#libp2p = undefined
    await Promise.all(this.#stunServers.map(async server => await server.close()))
    this.#stunServers = []
    await libp2p.stop()
  }

  /**
   * A relay's STUN servers: on each address it listens on, at the UDP port of
   * its TCP port's number (where the nodes with a reservation look). A port
   * taken by something else costs only that server.
   */
  async #startStun(listen: string[], libp2p: Libp2p): Promise<StunServer[]> {
    const servers: StunServer[] = []
    for (const { host, port } of stunEndpointsOf(listen, libp2p.getMultiaddrs())) {
      try {
        servers.push(await StunServer.listen(host, port))
      } catch (err) {
        this.#log.warn(
          { host, port, err: (err as Error).message },
          'no STUN server on this address: nodes behind NATs relayed here may not get a direct connection'
        )
      }
    }
    return servers
  }

  /** The gossipsub service underneath (broadcast topics use it). */
  get pubsub(): GossipSub {
    return this.libp2p.services.pubsub
  }

  /** Full multiaddrs this node listens on, each ending in /p2p/<peer id>. */
  addresses(): string[] {
    return this.libp2p.getMultiaddrs().map(address => address.toString())
  }

  /** The addresses connected peers observed this node at (identify), deduplicated. */
  observedAddresses(): string[] {
    return [...new Set(this.#observed.values())].sort()
  }

  /** Each connected node with its PeerGuard score (0 for a clean node, down to the ban threshold). */
  connectedScores(): Array<{ nodeId: NodeId; score: number }> {
    return this.connectedNodes().map(nodeId => ({ nodeId, score: this.guard.scoreOf(nodeId) }))
  }

  /** Whether other nodes can dial this one, the relays it holds reservations on, and its connections by kind. */
  reachability(): Reachability {
    const libp2p = this.libp2p
    return reachabilityOf(libp2p.services.addressFacts.known(), libp2p.getConnections())
  }

  connectedNodes(): NodeId[] {
    const nodes = new Set<NodeId>()
    // From the connections' own peer ids: libp2p's getPeers() rebuilds each from
    // a string, which for a secp256k1 key costs a curve point decompression.
    for (const connection of this.libp2p.getConnections()) {
      const nodeId = this.directory.learnPeer(connection.remotePeer)
      if (nodeId !== undefined) nodes.add(nodeId)
    }
    return [...nodes]
  }

  /** Connects to a multiaddr (with /p2p/<peer id>); returns the node id at the other end. */
  async dial(address: string): Promise<NodeId> {
    const connection = await this.libp2p.dial(multiaddr(address))
    const nodeId = this.directory.learnPeer(connection.remotePeer)
    if (nodeId === undefined) throw new NetError('Unreachable', `${address} is not an Agora node`)
    return nodeId
  }

  async hangUp(nodeId: NodeId): Promise<void> {
    const peerId = this.directory.peerIdOf(parseNodeId(nodeId))
    if (peerId !== undefined) await this.libp2p.hangUp(peerId)
  }

  /** Addresses of a node: its peer id from the directory, then a DHT lookup. */
  async findNode(nodeId: NodeId, options: FindNodeOptions = {}): Promise<string[]> {
    const target = parseNodeId(nodeId)
    const peerId = this.directory.peerIdOf(target)
    if (peerId === undefined)
      throw new NetError('Unreachable', `node ${target} unreachable: its peer id is not known (never connected, no signed message seen)`)
    try {
      const found = await this.libp2p.peerRouting.findPeer(peerId, {
        ...(options.signal === undefined ? {} : { signal: options.signal }),
        useCache: options.useCache ?? true
      })
      return found.multiaddrs.map(address => address.toString())
    } catch (err) {
      throw new NetError('Unreachable', `node ${target} not found in the DHT`, { cause: err })
    }
  }

  /** Serves a request/response protocol (before or after start). */
  async handle<Req extends TSchema, Res extends TSchema>(definition: ProtocolDefinition<Req, Res>, handler: RequestHandler<Req, Res>): Promise<void> {
    await this.#protocols.handle(definition, handler)
  }

  async unhandle(definition: ProtocolDefinition): Promise<void> {
    await this.#protocols.unhandle(definition)
  }

  /** Sends one request to a node and waits for its response; throws NetError or RemoteError. */
  async request<Req extends TSchema, Res extends TSchema>(
    definition: ProtocolDefinition<Req, Res>,
    to: NodeId,
    request: Static<Req>,
    options?: RequestOptions
  ): Promise<Static<Res>> {
    return await this.#protocols.request(definition, to, request, options)
  }

  /** The broadcast of a topic; one per topic name, started with the host. */
  broadcast<S extends TSchema>(definition: TopicDefinition<S>): Broadcast<S> {
    const existing = this.#topics.get(definition.name)
    if (existing !== undefined) {
      if (existing.definition !== (definition as unknown as TopicDefinition)) throw new Error(`topic ${definition.name} is already defined differently`)
      return existing as unknown as Broadcast<S>
    }
    const topic = new Broadcast<S>(this, definition, this.#init.broadcast)
    this.#topics.set(definition.name, topic as unknown as Broadcast<TSchema>)
    if (this.#libp2p !== undefined) topic.start()
    return topic
  }

  #onConnect(peerId: PeerId): void {
    const nodeId = this.directory.learnPeer(peerId)
    if (nodeId === undefined) return
    this.safeDispatchEvent('node:connect', { detail: nodeId })
    // Anti-entropy: learn what the new peer knows that we do not. Not over a
    // relay (sync may not use one): the periodic resync finds the peer once a
    // direct connection comes, and the relay itself is a direct peer to sync with.
    if (this.libp2p.getConnections(peerId).every(connection => connection.limits !== undefined)) return
    for (const topic of this.#topics.values()) void topic.syncWith(nodeId).catch(() => {})
  }

  #isRefused(peerId: PeerId): boolean {
    const nodeId = this.directory.learnPeer(peerId)
    return nodeId === undefined || this.guard.isBanned(nodeId)
  }

  #standing(peerId: string): number {
    const nodeId = this.directory.nodeIdOf(peerId)
    if (nodeId === undefined) return -1
    return Math.max(-1, this.guard.scoreOf(nodeId) / -this.guard.options.banThreshold)
  }

  async #disconnect(nodeId: NodeId): Promise<void> {
    const peerId = this.directory.peerIdOf(nodeId)
    if (peerId === undefined || this.#libp2p === undefined) return
    await this.#libp2p.hangUp(peerId).catch(() => {})
  }
}
