// Gossip propagation on loopback: 20 nodes, each joining through a random
// earlier one; once the mesh has formed, entries are published from random
// nodes and timed from publish until every node holds them. Every wait is on
// events (subscriptions, grafts, heartbeats, entries), with bounds generous
// enough for a loaded machine: a slow start makes slow figures, not a failure.
import { NetHost, NodeKey } from '../../net/index.ts'
import { percentile, report } from './report.ts'
import type { Broadcast } from '../../net/index.ts'
import { toyTopic } from '../helpers/toy-topic.ts'
import type { Toy } from '../helpers/toy-topic.ts'

const NODES = 20
const ENTRIES = 30
const MESH_BOUND_MS = 180_000
// An entry gossip missed reaches a node by the resync with a random peer (every 60 s).
const ENTRY_BOUND_MS = 300_000

const toys = toyTopic('bench-toys', 'bench.toy', { maxEntries: 10_000, maxPerSigner: 1_000 })

interface Node {
  host: NetHost
  toys: Broadcast<typeof Toy>
  seen: Map<string, number>
  heartbeats: number
}

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T

/** Resolves once `condition` holds, checking it again on every one of `events` from `targets`. */
async function until(what: string, condition: () => boolean, targets: EventTarget[], events: string[], ms: number): Promise<void> {
  if (condition()) return
  await new Promise<void>((resolve, reject) => {
    const check = (): void => {
      if (condition()) done()
    }
    const timer = setTimeout(() => {
      done(new Error(`timed out after ${ms} ms waiting for ${what} (gossip peers/connections per node: ${topology()})`))
    }, ms)
    function done(err?: Error): void {
      clearTimeout(timer)
      for (const target of targets) for (const event of events) target.removeEventListener(event, check)
      if (err === undefined) resolve()
      else reject(err)
    }
    for (const target of targets) for (const event of events) target.addEventListener(event, check)
  })
}

// Every node reaches every other through peers subscribed to the topic (a
// node that joined through one peer may have only that one).
function gossipConnected(): boolean {
  const byId = new Map(nodes.map(node => [node.host.nodeId, node]))
  const reached = new Set<Node>([nodes[0] as Node])
  const queue = [nodes[0] as Node]
  for (let node = queue.pop(); node !== undefined; node = queue.pop()) {
    for (const peer of node.toys.gossipPeers()) {
      const next = byId.get(peer)
      if (next === undefined || reached.has(next)) continue
      reached.add(next)
      queue.push(next)
    }
  }
  return reached.size === nodes.length
}

function topology(): string {
  return nodes.map(node => `${node.toys.gossipPeers().length}/${node.host.connectedNodes().length}`).join(' ')
}

globalThis.gc?.()
const rssBefore = process.memoryUsage().rss
const nodes: Node[] = []
const startedAt = performance.now()
for (let i = 0; i < NODES; i++) {
  const bootstrap = i === 0 ? [] : pick(nodes).host.addresses()
  const host = new NetHost({ key: NodeKey.random(), bootstrap })
  const node: Node = { host, toys: host.broadcast(toys), seen: new Map(), heartbeats: 0 }
  node.toys.addEventListener('entry:added', event => {
    node.seen.set(event.detail.id, performance.now())
  })
  await host.start()
  host.pubsub.addEventListener('gossipsub:heartbeat', () => {
    node.heartbeats++
  })
  nodes.push(node)
}
report('net-start-20-nodes', Math.round(performance.now() - startedAt), 'ms')

try {
  const meshStart = performance.now()
  const pubsubs = nodes.map(node => node.host.pubsub)
  await until('a connected gossip graph', gossipConnected, pubsubs, ['subscription-change', 'gossipsub:heartbeat'], MESH_BOUND_MS)
  // Two more heartbeats of every node, so that every mesh has grafted.
  const counted = nodes.map(node => node.heartbeats)
  await until(
    'two heartbeats everywhere',
    () => nodes.every((node, i) => node.heartbeats >= (counted[i] ?? 0) + 2),
    pubsubs,
    ['gossipsub:heartbeat'],
    MESH_BOUND_MS
  )
  report('net-mesh-ready', Math.round(performance.now() - meshStart), 'ms')
  const connections = nodes.map(node => node.host.connectedNodes().length)
  report('net-connections-per-node-avg', connections.reduce((a, b) => a + b, 0) / NODES, 'connections')

  const latencies: number[] = []
  for (let i = 0; i < ENTRIES; i++) {
    const publisher = pick(nodes)
    const id = `bench-${i}`
    const published = performance.now()
    await publisher.toys.publish({ id, note: 'x'.repeat(200), expiresAt: Date.now() + 600_000 })
    await until(
      `entry ${id} everywhere`,
      () => nodes.every(node => node.seen.has(id)),
      nodes.map(node => node.toys),
      ['entry:added'],
      ENTRY_BOUND_MS
    )
    latencies.push(Math.max(...nodes.filter(node => node !== publisher).map(node => (node.seen.get(id) as number) - published)))
    await new Promise(resolve => setTimeout(resolve, 20 + Math.random() * 30))
  }
  report('net-propagation-p50', percentile(latencies, 50), 'ms')
  report('net-propagation-p95', percentile(latencies, 95), 'ms')
  report('net-propagation-max', Math.max(...latencies), 'ms')
  globalThis.gc?.()
  report('net-rss-per-node', Math.round(((process.memoryUsage().rss - rssBefore) / NODES / 1024 / 1024) * 10) / 10, 'MiB')
} finally {
  await Promise.all(
    nodes.map(async node => {
      await node.host.stop()
    })
  )
}
