// Requests through a relay on loopback: how long a node behind a relay takes
// to hold its reservation, and what a relayed request costs against a direct
// one (the relay's own hop, both ways, for every frame).
import Type from 'typebox'
import { NetHost, NodeKey, defineProtocol } from '../../net/index.ts'
import type { NatOptions } from '../../net/index.ts'
import { waitFor } from '../helpers/wait.ts'
import { percentile, report } from './report.ts'

const REQUESTS = 300
const Echo = Type.Object({ text: Type.String({ maxLength: 4096 }) }, { additionalProperties: false })
const echo = defineProtocol({
  name: '/agora/bench-echo/1',
  request: Echo,
  response: Echo,
  maxRequestBytes: 8192,
  maxResponseBytes: 8192,
  timeoutMs: 30_000,
  overRelay: true
})

const hosts: NetHost[] = []
async function start(nat: Partial<NatOptions>, bootstrap: string[] = []): Promise<NetHost> {
  const host = new NetHost({ key: NodeKey.random(), nat, bootstrap })
  hosts.push(host)
  await host.start()
  return host
}

async function roundTrips(from: NetHost, to: NetHost): Promise<number[]> {
  const samples: number[] = []
  const text = 'x'.repeat(1024)
  for (let i = 0; i < REQUESTS; i++) {
    const begun = performance.now()
    await from.request(echo, to.nodeId, { text })
    samples.push(performance.now() - begun)
  }
  return samples
}

try {
  const relay = await start({ relayServer: true })
  const begun = performance.now()
  const behind = await start({ reservations: 1 }, relay.addresses())
  await waitFor('a reservation', () => behind.reachability().relays.length === 1, 60_000)
  report('relay-reservation-ready', Math.round(performance.now() - begun), 'ms')
  await behind.handle(echo, async request => request)
  const circuit = behind.addresses().find(address => address.includes('/p2p-circuit/'))!
  const direct = behind.addresses().find(address => !address.includes('/p2p-circuit'))!

  const viaRelay = await start({})
  await viaRelay.dial(circuit)
  const relayed = await roundTrips(viaRelay, behind)
  const straight = await start({})
  await straight.dial(direct)
  const directSamples = await roundTrips(straight, behind)
  report('request-1kib-direct-p50', percentile(directSamples, 50), 'ms')
  report('request-1kib-relayed-p50', percentile(relayed, 50), 'ms')
  report('request-1kib-relayed-p95', percentile(relayed, 95), 'ms')
} finally {
  await Promise.all(hosts.map(async host => await host.stop()))
}
