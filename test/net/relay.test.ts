// NAT traversal on loopback: the relay server only when asked for, with the
// limits it is given; reservations, circuit addresses and the reachability
// facts; and which protocols may run over a relayed (limited) connection.
import assert from 'node:assert/strict'
import { multiaddr } from '@multiformats/multiaddr'
import Type from 'typebox'
import { DEFAULT_RELAY_LIMITS, NetError, NetHost, NodeKey, defineProtocol } from '../../net/index.ts'
import type { NatOptions } from '../../net/index.ts'
import { natOptionsOf } from '../../net/host/net-host.ts'
import { stunServersOf } from '../../net/host/webrtc.ts'
import { stunBinding } from '../helpers/stun-client.ts'
import { waitFor } from '../helpers/wait.ts'

const HOP = '/libp2p/circuit/relay/0.2.0/hop'
const WEBRTC_SIGNALLING = '/webrtc-signaling/0.0.1'

const Echo = Type.Object({ text: Type.String({ maxLength: 100 }) }, { additionalProperties: false })
const overRelay = defineProtocol({
  name: '/agora/test-relayed-echo/1',
  request: Echo,
  response: Echo,
  maxRequestBytes: 1024,
  maxResponseBytes: 1024,
  timeoutMs: 20_000,
  overRelay: true
})
const directOnly = defineProtocol({
  name: '/agora/test-direct-echo/1',
  request: Echo,
  response: Echo,
  maxRequestBytes: 1024,
  maxResponseBytes: 1024,
  timeoutMs: 20_000
})

interface RelayServiceView {
  reservations: { size: number; values: () => IterableIterator<{ limit?: { data?: bigint; duration?: number }; expiry: Date }> }
}

describe('relays on loopback', function () {
  this.timeout(60_000)
  const hosts: NetHost[] = []
  interface HostOptions {
    bootstrap?: string[]
    directConnectionWaitMs?: number
    /** false: no listen address at all, so no node can reach this one but through a relay. */
    dialable?: boolean
  }
  async function startHost(nat: Partial<NatOptions>, { bootstrap = [], directConnectionWaitMs, dialable = true }: HostOptions = {}): Promise<NetHost> {
    const host = new NetHost({
      key: NodeKey.random(),
      bootstrap,
      nat,
      ...(dialable ? {} : { listen: [] }),
      bootstrapRetryMs: { min: 100, max: 400 },
      ...(directConnectionWaitMs === undefined ? {} : { directConnectionWaitMs })
    })
    hosts.push(host)
    await host.start()
    return host
  }

  afterEach(async () => {
    await Promise.all(hosts.splice(0).map(async host => await host.stop()))
  })

  /**
   * A relay, a node holding a reservation on it, and the circuit address that
   * node advertises. Undialable, the node is as if behind a NAT no hole can be
   * punched through: on loopback any direct dial gets through (libp2p's own
   * services dial one as soon as they speak to a peer they reach only through
   * a relay), and so does WebRTC, so a test that counts on the relayed
   * connection staying the only one needs both off.
   */
  async function relayAndClient(
    limits: Partial<typeof DEFAULT_RELAY_LIMITS> = {},
    dialable = true
  ): Promise<{ relay: NetHost; client: NetHost; circuit: string }> {
    const relay = await startHost({ relayServer: true, relayLimits: { ...DEFAULT_RELAY_LIMITS, ...limits } })
    const client = await startHost({ reservations: 1, ...(dialable ? {} : { webrtc: false }) }, { bootstrap: relay.addresses(), dialable })
    await waitFor('a reservation on the relay', () => client.reachability().relays.includes(relay.libp2p.peerId.toString()), 30_000)
    const circuit = client.addresses().find(address => address.includes('/p2p-circuit/'))
    assert.ok(circuit !== undefined, client.addresses().join(' '))
    return { relay, client, circuit }
  }

  it('serves as a relay only when asked to, and asks for no reservation on loopback alone unless told', async () => {
    const plain = await startHost({})
    assert.ok(!plain.libp2p.getProtocols().includes(HOP), 'no relay server by default')
    assert.equal(plain.libp2p.services.relay, undefined)
    assert.ok(!plain.addresses().some(address => address.includes('p2p-circuit')))
    const relay = await startHost({ relayServer: true })
    assert.ok(relay.libp2p.getProtocols().includes(HOP))
    // Defaults: no relay server, no UPnP; one reservation unless every listen address is loopback.
    assert.deepEqual(natOptionsOf(undefined, ['/ip4/127.0.0.1/tcp/0']), {
      relayServer: false,
      relayLimits: DEFAULT_RELAY_LIMITS,
      reservations: 0,
      upnp: false,
      webrtc: true
    })
    assert.equal(natOptionsOf(undefined, ['/ip4/0.0.0.0/tcp/7464']).reservations, 1)
    // WebRTC through NATs: a node with a reservation takes it, unless told not to.
    const behindNat = await startHost({ reservations: 1 }, { bootstrap: relay.addresses() })
    const noWebRtc = await startHost({ reservations: 1, webrtc: false }, { bootstrap: relay.addresses() })
    assert.ok(behindNat.libp2p.getProtocols().includes(WEBRTC_SIGNALLING), behindNat.libp2p.getProtocols().join(' '))
    assert.ok(!noWebRtc.libp2p.getProtocols().includes(WEBRTC_SIGNALLING))
    assert.equal(natOptionsOf({ reservations: 2 }, ['/ip4/127.0.0.1/tcp/0']).reservations, 2)
  })

  it('is public once it announces a public address, and that address is what its relay clients are given', async () => {
    const announced = '/dns4/relay.example.org/tcp/7464'
    const relay = new NetHost({ key: NodeKey.random(), announce: [announced], nat: { relayServer: true } })
    hosts.push(relay)
    await relay.start()
    assert.equal(relay.reachability().status, 'public')
    assert.ok(relay.addresses().includes(`${announced}/p2p/${relay.libp2p.peerId.toString()}`), relay.addresses().join(' '))
    const client = await startHost({ reservations: 1 }, { bootstrap: relay.addresses().filter(address => address.includes('/ip4/127.0.0.1/')) })
    await waitFor('a reservation on the relay', () => client.reachability().relays.length === 1, 30_000)
    assert.ok(
      client.addresses().some(address => address.startsWith(`${announced}/p2p/${relay.libp2p.peerId.toString()}/p2p-circuit`)),
      client.addresses().join(' ')
    )
  })

  it('grants each reservation the configured limits, and a relayed connection carries them', async () => {
    const limits = { dataBytes: 1n << 20n, durationMs: 90_000 }
    const { relay, client, circuit } = await relayAndClient(limits, false)
    const reservations = (relay.libp2p.services.relay as RelayServiceView).reservations
    assert.equal(reservations.size, 1)
    const [reservation] = [...reservations.values()]
    assert.deepEqual(reservation?.limit, { data: limits.dataBytes, duration: limits.durationMs })

    const dialer = await startHost({ reservations: 0 }, { dialable: false })
    assert.equal(await dialer.dial(circuit), client.nodeId)
    const [connection] = dialer.libp2p.getConnections(client.libp2p.peerId)
    assert.ok(connection !== undefined)
    assert.match(connection.remoteAddr.toString(), /\/p2p-circuit/)
    // What is left of the budget: the relay counts down from the configured limit as bytes flow (identify already did).
    const bytes = connection.limits?.bytes
    assert.ok(bytes !== undefined && bytes <= limits.dataBytes && bytes > limits.dataBytes / 2n, String(bytes))
    // The duration is enforced by the relay in milliseconds (checked above on its reservation); libp2p's
    // client side reads the same number as seconds, so its `seconds` is not compared here.
    assert.ok(connection.limits?.seconds !== undefined)
  })

  it('holds the configured number of reservations, for the configured time', async () => {
    const limits = { maxReservations: 3, reservationTtlMs: 10 * 60_000 }
    const before = Date.now()
    const { relay } = await relayAndClient(limits)
    const service = relay.libp2p.services.relay as RelayServiceView & { reservationStore: { maxReservations: number; reservationTtl: number } }
    // libp2p keeps these inside its reservation store; read back, they are what the node was given.
    assert.equal(service.reservationStore.maxReservations, limits.maxReservations)
    assert.equal(service.reservationStore.reservationTtl, limits.reservationTtlMs)
    const [reservation] = [...service.reservations.values()] as Array<{ expiry: Date }>
    assert.ok(reservation !== undefined)
    assert.ok(reservation.expiry.getTime() >= before + limits.reservationTtlMs)
    assert.ok(reservation.expiry.getTime() <= Date.now() + limits.reservationTtlMs)
  })

  it('reports reachability: private on loopback, the relay held, connections direct and relayed', async () => {
    const { relay, client, circuit } = await relayAndClient({}, false)
    assert.deepEqual(client.reachability(), {
      status: 'private',
      relays: [relay.libp2p.peerId.toString()],
      direct: 1,
      relayed: 0
    })
    const dialer = await startHost({ reservations: 0 }, { dialable: false })
    await dialer.dial(circuit)
    await waitFor('the relayed connection at the client', () => client.reachability().relayed === 1)
    assert.deepEqual(dialer.reachability(), { status: 'private', relays: [], direct: 1, relayed: 1 })
    assert.equal(relay.reachability().direct, 2)
  })

  it('runs a protocol that may go over a relay on the relayed connection; one that may not waits for a direct one, then fails clearly', async () => {
    const { client, circuit } = await relayAndClient({}, false)
    const served: string[] = []
    for (const definition of [overRelay, directOnly]) {
      await client.handle(definition, async request => {
        served.push(`${definition.name} ${request.text}`)
        return { text: request.text.toUpperCase() }
      })
    }
    const dialer = await startHost({ reservations: 0 }, { directConnectionWaitMs: 500, dialable: false })
    await dialer.dial(circuit)
    assert.deepEqual(await dialer.request(overRelay, client.nodeId, { text: 'relayed' }), { text: 'RELAYED' })
    const refusal = await dialer.request(directOnly, client.nodeId, { text: 'bulk' }).then(
      () => assert.fail('a direct-only protocol ran over a relay'),
      (err: unknown) => err
    )
    assert.ok(refusal instanceof NetError, String(refusal))
    assert.equal(refusal.code, 'Unreachable')
    assert.match(refusal.message, /reachable only through a relay, and \/agora\/test-direct-echo\/1 needs a direct connection \(none came within 500 ms\)/)
    assert.deepEqual(served, [`${overRelay.name} relayed`])
    // To the client, the relayed connection is still the only one (the direct one is the relay's).
    const toClient = dialer.libp2p.getConnections(client.libp2p.peerId)
    assert.deepEqual(
      toClient.map(connection => connection.limits !== undefined),
      [true]
    )
    assert.deepEqual({ direct: dialer.reachability().direct, relayed: dialer.reachability().relayed }, { direct: 1, relayed: 1 })
  })

  it('joins a relayed connection between two nodes that cannot dial each other with a direct one by WebRTC, which direct-only protocols take', async () => {
    const relay = await startHost({ relayServer: true })
    const client = await startHost({ reservations: 1 }, { bootstrap: relay.addresses(), dialable: false })
    await waitFor('a reservation on the relay', () => client.reachability().relays.length === 1, 30_000)
    const circuit = client.addresses().find(address => address.includes('/p2p-circuit/'))
    assert.ok(circuit !== undefined, client.addresses().join(' '))
    // The client asks its relay for its outside address: the relay answers STUN on its TCP port's number.
    const relayPort = Number(/\/tcp\/(\d+)\//.exec(circuit)?.[1])
    assert.deepEqual(stunServersOf(client.libp2p.services.addressFacts.known()), [`stun:127.0.0.1:${relayPort}`])
    const { mapped, ownPort } = await stunBinding('127.0.0.1', relayPort)
    assert.deepEqual(mapped, { address: '127.0.0.1', port: ownPort })
    await client.handle(directOnly, async request => ({ text: request.text.toUpperCase() }))
    const dialer = await startHost({ reservations: 0 }, { directConnectionWaitMs: 20_000, dialable: false })
    await dialer.dial(circuit)
    assert.deepEqual(await dialer.request(directOnly, client.nodeId, { text: 'bulk' }), { text: 'BULK' })
    const direct = dialer.libp2p.getConnections(client.libp2p.peerId).filter(connection => connection.limits === undefined)
    assert.ok(
      direct.some(connection => connection.remoteAddr.toString().endsWith(`/p2p-circuit/webrtc/p2p/${client.libp2p.peerId.toString()}`)),
      direct.map(connection => connection.remoteAddr.toString()).join(' ')
    )
    // Counted as direct: its traffic goes between the two, the relay only signalled it.
    assert.ok(dialer.reachability().direct >= 2, JSON.stringify(dialer.reachability()))
  })

  it('sends a direct-only request as soon as a direct connection comes', async () => {
    const { client, circuit } = await relayAndClient()
    await client.handle(directOnly, async request => ({ text: request.text.toUpperCase() }))
    const dialer = await startHost({}, { directConnectionWaitMs: 20_000 })
    await dialer.dial(circuit)
    const answer = dialer.request(directOnly, client.nodeId, { text: 'bulk' })
    // What hole punching would bring: a direct connection, opened while the request waits.
    const direct = client.addresses().find(address => !address.includes('p2p-circuit'))!
    await dialer.libp2p.dial(multiaddr(direct))
    assert.deepEqual(await answer, { text: 'BULK' })
  })
})
