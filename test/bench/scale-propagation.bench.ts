// Offer propagation across 100 market nodes on loopback. Two cores cannot
// give each node a process of its own, so 4 worker processes
// (scale-propagation-worker.ts, over child_process IPC) run 25 nodes each;
// every node is a whole market node (libp2p host, LevelDB, market) with its
// own key and port, so all traffic between them crosses real TCP
// connections, also inside one process. Nodes join in rounds through nodes
// started before them. Offers are subscribed through one node's market and
// timed from that call until the last of the other 99 nodes takes it in
// (wall-clock times, comparable across the processes). The bytes every node
// sends are read from the kernel's socket table (socket-bytes.ts), from just
// before the first timed offer to just after the last, and set against the
// offer's own encoded size.
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { IpcWorker } from './ipc-worker.ts'
import { percentile, report } from './report.ts'
import { bytesSentBetween, socketBytesSent } from './socket-bytes.ts'
import type { NodeInfo, NodeTopology, WorkerEvent, WorkerRequest } from './scale-propagation-worker.ts'

const NODES = 100
const WORKERS = 4
const ROUNDS = 5
const WARM_UP_OFFERS = 3
const OFFERS = 40
// A quiet spell, measured for the background traffic.
const IDLE_MS = 10_000
const MESH_BOUND_MS = 120_000
// An offer gossip missed reaches a node by the resync with a random peer (every 60 s).
const OFFER_BOUND_MS = 150_000

const here = dirname(fileURLToPath(import.meta.url))
const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T

/** Offers followed: when each node that has reported took it in, and how many workers have reported all their nodes. */
const held = new Map<string, { times: number[]; workers: number }>()
const heldListeners = new Set<() => void>()
function onEvent(event: WorkerEvent): void {
  const seen = held.get(event.offerId) ?? { times: [], workers: 0 }
  held.set(event.offerId, { times: [...seen.times, ...event.times], workers: seen.workers + 1 })
  for (const listener of heldListeners) listener()
}

/** When each of the other nodes took the offer in. */
async function everywhere(offerId: string): Promise<number[]> {
  const done = (): boolean => (held.get(offerId)?.workers ?? 0) === WORKERS
  if (!done()) {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        heldListeners.delete(listener)
        reject(new Error(`offer ${offerId} not everywhere after ${OFFER_BOUND_MS} ms`))
      }, OFFER_BOUND_MS)
      const listener = (): void => {
        if (!done()) return
        clearTimeout(timer)
        heldListeners.delete(listener)
        resolve()
      }
      heldListeners.add(listener)
    })
  }
  return (held.get(offerId) as { times: number[] }).times
}

/** Every node has mesh peers for the offers topic, and the meshes join all nodes into one graph. */
function meshConnected(topology: NodeTopology[]): boolean {
  if (topology.length < NODES || topology.some(node => node.mesh.length < 2)) return false
  const edges = new Map<string, Set<string>>(topology.map(node => [node.nodeId, new Set<string>()]))
  for (const node of topology) {
    for (const peer of node.mesh) {
      edges.get(node.nodeId)?.add(peer)
      edges.get(peer)?.add(node.nodeId)
    }
  }
  const first = topology[0]?.nodeId as string
  const reached = new Set([first])
  const queue = [first]
  for (let at = queue.pop(); at !== undefined; at = queue.pop()) {
    for (const next of edges.get(at) ?? []) {
      if (reached.has(next)) continue
      reached.add(next)
      queue.push(next)
    }
  }
  return reached.size === NODES
}

interface Worker {
  ipc: IpcWorker<WorkerRequest, WorkerEvent>
  nodes: NodeInfo[]
}
const workers: Worker[] = Array.from({ length: WORKERS }, () => ({ ipc: new IpcWorker(join(here, 'scale-propagation-worker.ts'), [], onEvent), nodes: [] }))
try {
  await Promise.all(workers.map(async worker => await worker.ipc.ready))
  const startedAt = performance.now()
  // A first node, then rounds of nodes in every worker at once, each through nodes already there.
  const seed = await (workers[0] as Worker).ipc.call<NodeInfo[]>({ op: 'start', count: 1, bootstrap: [] })
  workers[0]?.nodes.push(...seed)
  const addresses: string[] = seed.map(info => info.address)
  for (let round = 0; round < ROUNDS; round++) {
    const known = [...addresses]
    const started = await Promise.all(
      workers.map(async (worker, w) => {
        const count = Math.floor(((round + 1) * NODES) / WORKERS / ROUNDS) - Math.floor((round * NODES) / WORKERS / ROUNDS) - (w === 0 && round === 0 ? 1 : 0)
        return await worker.ipc.call<NodeInfo[]>({ op: 'start', count, bootstrap: known })
      })
    )
    started.forEach((infos, i) => {
      workers[i]?.nodes.push(...infos)
      addresses.push(...infos.map(info => info.address))
    })
  }
  report('scale.start-100-nodes', Math.round(performance.now() - startedAt), 'ms')

  const meshStart = performance.now()
  let topology: NodeTopology[] = []
  for (const deadline = Date.now() + MESH_BOUND_MS; ; ) {
    topology = (await Promise.all(workers.map(async worker => await worker.ipc.call<NodeTopology[]>({ op: 'topology' })))).flat()
    if (meshConnected(topology)) break
    if (Date.now() > deadline)
      throw new Error(
        `no connected offer mesh after ${MESH_BOUND_MS} ms (mesh/connections per node: ${topology.map(node => `${node.mesh.length}/${node.connections}`).join(' ')})`
      )
    await new Promise(resolve => setTimeout(resolve, 500))
  }
  report('scale.mesh-ready', Math.round(performance.now() - meshStart), 'ms')
  const average = (values: number[]): number => Math.round((values.reduce((a, b) => a + b, 0) / values.length) * 10) / 10
  report('scale.connections-per-node', average(topology.map(node => node.connections)), 'connections')
  report('scale.mesh-peers-per-node', average(topology.map(node => node.mesh.length)), 'peers')

  const publish = async (): Promise<{ latency: number; median: number; bytes: number }> => {
    const worker = pick(workers)
    const { offerId, publishedAt, bytes } = await worker.ipc.call<{ offerId: string; publishedAt: number; bytes: number }>({
      op: 'publish',
      node: Math.floor(Math.random() * worker.nodes.length)
    })
    await Promise.all(workers.map(async w => await w.ipc.call({ op: 'follow', offerIds: [offerId] })))
    const times = await everywhere(offerId)
    await new Promise(resolve => setTimeout(resolve, 20 + Math.random() * 30))
    // The publisher's own arrival is at the call's end, not a propagation.
    const others = times.filter(at => at > publishedAt).map(at => at - publishedAt)
    return { latency: Math.max(...times) - publishedAt, median: percentile(others, 50), bytes }
  }
  for (let i = 0; i < WARM_UP_OFFERS; i++) await publish()

  // What the network sends with no offers at all (heartbeats, DHT upkeep, pings), to tell it apart.
  const ports = new Set(workers.flatMap(worker => worker.nodes.map(node => node.port)))
  const idleFrom = socketBytesSent(ports)
  const idleStart = performance.now()
  await new Promise(resolve => setTimeout(resolve, IDLE_MS))
  const idleBytes = bytesSentBetween(idleFrom, socketBytesSent(ports))
  const idlePerNodePerSecond = idleBytes / NODES / ((performance.now() - idleStart) / 1000)
  report('scale.idle-bytes-per-node-per-s', Math.round(idlePerNodePerSecond), 'bytes')

  const connectsOf = async (): Promise<number> =>
    (await Promise.all(workers.map(async worker => await worker.ipc.call<NodeTopology[]>({ op: 'topology' }))))
      .flat()
      .reduce((sum, node) => sum + node.connects, 0)
  const connectsBefore = await connectsOf()
  // SCALE_PROFILE_DIR: each worker's CPU profile of the offers' window alone, for a look at where its time goes.
  const profileDir = process.env.SCALE_PROFILE_DIR
  if (profileDir !== undefined) await Promise.all(workers.map(async worker => await worker.ipc.call({ op: 'profile', action: 'start' })))
  const offersStart = performance.now()
  const before = socketBytesSent(ports)
  const latencies: number[] = []
  const medians: number[] = []
  const sizes: number[] = []
  for (let i = 0; i < OFFERS; i++) {
    const { latency, median, bytes } = await publish()
    latencies.push(latency)
    medians.push(median)
    sizes.push(bytes)
  }
  const sent = bytesSentBetween(before, socketBytesSent(ports))
  const windowMs = performance.now() - offersStart
  if (profileDir !== undefined)
    await Promise.all(
      workers.map(async (worker, w) => await worker.ipc.call({ op: 'profile', action: 'stop', file: join(profileDir, `worker-${w}.cpuprofile`) }))
    )
  report('scale.offers-window', Math.round(windowMs), 'ms')
  // Connections made while the offers ran: a stable network makes few.
  report('scale.connects-per-node-per-min', Math.round((((await connectsOf()) - connectsBefore) / NODES / (windowMs / 60_000)) * 10) / 10, 'connects')
  // Half the nodes hold an offer by this time: the rest of the p50 is the tail.
  report('scale.propagation.100-nodes.half-held.p50', Math.round(percentile(medians, 50)), 'ms')
  report('scale.propagation.100-nodes.p50', Math.round(percentile(latencies, 50)), 'ms')
  report('scale.propagation.100-nodes.p95', Math.round(percentile(latencies, 95)), 'ms')
  report('scale.propagation.100-nodes.max', Math.round(Math.max(...latencies)), 'ms')
  const offerSize = Math.round(sizes.reduce((a, b) => a + b, 0) / sizes.length)
  const perNodePerOffer = Math.round(sent / NODES / OFFERS)
  report('scale.offer-size', offerSize, 'bytes')
  report('scale.bytes-per-node-per-offer', perNodePerOffer, 'bytes')
  report('scale.bytes-per-node-per-offer.ratio', Math.round((perNodePerOffer / offerSize) * 100) / 100, 'x')
  // The same, less the background the quiet spell measured (pings, DHT upkeep, heartbeats), which
  // runs through the offers' window too: what the offers themselves cost.
  const aboveIdle = Math.round(perNodePerOffer - (idlePerNodePerSecond * windowMs) / 1000 / OFFERS)
  report('scale.bytes-per-node-per-offer.above-idle', aboveIdle, 'bytes')
  report('scale.bytes-per-node-per-offer.above-idle.ratio', Math.round((aboveIdle / offerSize) * 100) / 100, 'x')
} finally {
  await Promise.allSettled(workers.map(async worker => await worker.ipc.stop({ op: 'stop' })))
}
