import assert from 'node:assert/strict'
import { NetHost, NodeKey } from '../../net/index.ts'
import { CLOSEST_PEERS_RETAG_MS } from '../../net/host/dht-upkeep.ts'
import { DEFAULT_RELAY_LIMITS, libp2pOptions } from '../../net/host/libp2p-options.ts'
import { libp2pLogger } from '../../net/host/quiet-logger.ts'

describe('the libp2p stack of a node', () => {
  const stack = (pingTimeoutMs: number): ReturnType<typeof libp2pOptions> =>
    libp2pOptions({
      privateKey: NodeKey.random().libp2pKey,
      listen: [],
      announce: [],
      isRefused: () => false,
      isAddressRefused: () => false,
      standing: () => 0,
      gossipHeartbeatMs: 500,
      inboundConnectionsPerSecond: 50,
      maxConnections: 300,
      dialTimeoutMs: 10_000,
      pingTimeoutMs,
      maxGossipUnsentBytes: 32 << 20,
      nat: { relayServer: false, relayLimits: DEFAULT_RELAY_LIMITS, reservations: 0, upnp: false, webrtc: true },
      stunServers: () => []
    })

  for (const pingTimeoutMs of [5_000, 30_000]) {
    it(`waits for a slow ping as long as asked (${pingTimeoutMs} ms), and starts the next one only after the last one's time is up`, () => {
      const monitor = stack(pingTimeoutMs).connectionMonitor
      assert.ok(monitor?.pingTimeout !== undefined && monitor.pingInterval !== undefined)
      assert.equal(monitor.pingTimeout.minTimeout, pingTimeoutMs)
      // One ping stream a connection: a second one opened while the first waits fails, and closes the connection.
      assert.ok(monitor.pingInterval > (monitor.pingTimeout.maxTimeout ?? Number.POSITIVE_INFINITY))
    })
  }

  it(`has the DHT re-tag its closest peers every ${CLOSEST_PEERS_RETAG_MS / 1000} s, not every 5 s`, async () => {
    const host = new NetHost({ key: NodeKey.random() })
    await host.start()
    const tagger = (
      host.libp2p.services.dht as unknown as { routingTable: { closestPeerTagger: { refreshInterval: number; timeout?: { _idleTimeout?: number } } } }
    ).routingTable.closestPeerTagger
    try {
      assert.equal(tagger.refreshInterval, CLOSEST_PEERS_RETAG_MS)
      // The running timer is the one with that interval.
      assert.equal(tagger.timeout?._idleTimeout, CLOSEST_PEERS_RETAG_MS)
    } finally {
      await host.stop()
    }
  })

  it("gives libp2p a logger that drops everything unless DEBUG asks for libp2p's own", () => {
    const quiet = libp2pLogger({})?.forComponent('libp2p:yamux')
    assert.ok(quiet !== undefined)
    assert.equal(quiet.enabled, false)
    // One logger for every scope: nothing is made per stream.
    assert.equal(quiet.newScope('outbound:1'), quiet)
    assert.equal(libp2pLogger({ DEBUG: '' }) !== undefined, true)
    assert.equal(libp2pLogger({ DEBUG: 'libp2p:*' }), undefined)
  })
})
