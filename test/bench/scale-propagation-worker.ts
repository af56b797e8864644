// A worker process of scale-propagation.bench.ts: it runs a share of the
// network's nodes (each a whole market node, scale-node.ts) and answers the
// bench over IPC. For each offer the bench follows it says when the last of
// its nodes took it in (a wall-clock time, comparable across processes).
import { entryMessageBytes } from '../../net/index.ts'
import { providerOffer } from '../helpers/golem-terms.ts'
import { serveIpc } from './ipc-worker.ts'
import { CpuProfile } from './cpu-profile.ts'
import { listenPort, startScaleNode } from './scale-node.ts'
import type { ScaleNode } from './scale-node.ts'

export type WorkerRequest =
  | { op: 'start'; count: number; bootstrap: string[] }
  | { op: 'topology' }
  | { op: 'follow'; offerIds: string[] }
  | { op: 'publish'; node: number }
  | { op: 'profile'; action: 'start' }
  | { op: 'profile'; action: 'stop'; file: string }
  | { op: 'stop' }

export interface NodeInfo {
  nodeId: string
  address: string
  port: number
}

export interface NodeTopology {
  nodeId: string
  mesh: string[]
  connections: number
  /** Peers this node has connected to since it started (churn shows as a count that keeps growing). */
  connects: number
}

/** When each of the worker's nodes took the offer in. */
export type WorkerEvent = { event: 'held'; offerId: string; times: number[] }

const now = (): number => performance.timeOrigin + performance.now()
const nodes: ScaleNode[] = []
const profile = new CpuProfile()
const connects = new Map<ScaleNode, number>()
/** Per followed offer: when each node of this worker took it in. */
const followed = new Map<string, Map<ScaleNode, number>>()
/** Entries that came before the bench asked to follow them (a fast network beats the question). */
const early = new Map<string, Map<ScaleNode, number>>()

function arrived(node: ScaleNode, offerId: string): void {
  const times = followed.get(offerId) ?? early.get(offerId) ?? new Map<ScaleNode, number>()
  if (!followed.has(offerId)) early.set(offerId, times)
  if (!times.has(node)) times.set(node, now())
  report(offerId)
}

function report(offerId: string): void {
  const times = followed.get(offerId)
  if (times === undefined || times.size < nodes.length) return
  followed.delete(offerId)
  process.send?.({ event: 'held', offerId, times: [...times.values()] } satisfies WorkerEvent)
}

// The mesh is gossipsub's own; its public interface does not show it.
const meshOf = (node: ScaleNode): string[] =>
  (node.host.pubsub as unknown as { getMeshPeers: (topic: string) => string[] }).getMeshPeers(node.offers.gossipTopic)

const BOOTSTRAP_PEERS = 3
const pickSome = <T>(items: readonly T[], n: number): T[] =>
  items.length <= n ? [...items] : Array.from({ length: n }, () => items[Math.floor(Math.random() * items.length)] as T)

async function handle(request: WorkerRequest): Promise<unknown> {
  switch (request.op) {
    case 'start': {
      // Through a few nodes already there (as a bootstrap list) and one of this worker's own.
      const own = nodes.map(node => node.host.addresses()[0] as string)
      const bootstrapOf = (): string[] => [...new Set([...pickSome(request.bootstrap, BOOTSTRAP_PEERS), ...pickSome(own, 1)])]
      const started = await Promise.all(Array.from({ length: request.count }, async () => await startScaleNode({ bootstrap: bootstrapOf() })))
      for (const node of started) {
        node.offers.addEventListener('entry:added', event => {
          arrived(node, event.detail.id)
        })
        node.host.addEventListener('node:connect', () => {
          connects.set(node, (connects.get(node) ?? 0) + 1)
        })
        nodes.push(node)
      }
      return started.map(node => ({ nodeId: node.host.nodeId, address: node.host.addresses()[0] as string, port: listenPort(node.host) }) satisfies NodeInfo)
    }
    case 'topology':
      return nodes.map(
        node =>
          ({
            nodeId: node.host.nodeId,
            mesh: meshOf(node).map(peerId => node.host.directory.nodeIdOf(peerId) ?? peerId),
            connections: node.host.connectedNodes().length,
            connects: connects.get(node) ?? 0
          }) satisfies NodeTopology
      )
    case 'follow':
      for (const offerId of request.offerIds) {
        followed.set(offerId, early.get(offerId) ?? new Map())
        early.delete(offerId)
        report(offerId)
      }
      return true
    case 'publish': {
      const node = nodes[request.node] as ScaleNode
      const offer = providerOffer(node.host.nodeId, { 'golem.node.id.name': `scale-${Math.random().toString(36).slice(2)}` })
      const publishedAt = now()
      const offerId = await node.market.subscribe('offer', offer)
      const entry = node.offers.get(offerId)
      return { offerId, publishedAt, bytes: entry === undefined ? 0 : entryMessageBytes(entry.envelope) }
    }
    case 'profile':
      if (request.action === 'start') await profile.start()
      else await profile.stopInto(request.file)
      return true
    case 'stop':
      await Promise.all(nodes.map(async node => await node.stop()))
      nodes.length = 0
      return true
  }
}

serveIpc(handle)
