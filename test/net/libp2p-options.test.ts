import assert from 'node:assert/strict'
import { NodeKey } from '../../net/index.ts'
import { DEFAULT_RELAY_LIMITS, libp2pOptions } from '../../net/host/libp2p-options.ts'

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
      nat: { relayServer: false, relayLimits: DEFAULT_RELAY_LIMITS, reservations: 0, upnp: false }
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
})
