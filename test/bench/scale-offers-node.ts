// One market node of scale-offers.bench.ts, alone in its process so that its
// memory is its own: the node that holds the network's offers, or the one
// that joins late and syncs them. It answers the bench over IPC.
import { Matcher, parseConstraints } from '../../market/language.ts'
import type { PeerGuardOptions } from '../../net/index.ts'
import { percentile } from './report.ts'
import { serveIpc } from './ipc-worker.ts'
import { listenPort, startScaleNode } from './scale-node.ts'
import type { ScaleNode } from './scale-node.ts'

export type OffersNodeRequest =
  | { op: 'start'; bootstrap: string[]; peerGuard?: Partial<PeerGuardOptions> }
  | { op: 'dial'; addresses: string[] }
  | { op: 'hold'; count: number; boundMs: number }
  | { op: 'rss' }
  | { op: 'match'; properties: Record<string, unknown>; constraints: string; runs: number }
  | { op: 'stop' }

export interface MatchTimes {
  matched: number
  p50: number
  p95: number
  fullScanP50: number
}

let node: ScaleNode | undefined
let startedAt = 0
/** Offers the node did not take in, by reason: any at all would make the figures wrong. */
const refused: Record<string, number> = {}

/** Resolves once the node holds `count` offers: checked on each offer it takes in. */
async function hold(count: number, boundMs: number): Promise<number> {
  const offers = (node as ScaleNode).offers
  // Every 30 s, how far it is and how busy its process is: where the time goes.
  let last = { at: performance.now(), size: offers.size, cpu: process.cpuUsage() }
  const progress = setInterval(() => {
    const now = { at: performance.now(), size: offers.size, cpu: process.cpuUsage() }
    const seconds = (now.at - last.at) / 1000
    const cpu = (now.cpu.user + now.cpu.system - last.cpu.user - last.cpu.system) / 1e6 / seconds
    console.error(`# ${now.size} offers held, ${Math.round((now.size - last.size) / seconds)}/s, process busy ${Math.round(cpu * 100)}%`)
    last = now
  }, 30_000)
  try {
    return await held(offers, count, boundMs)
  } finally {
    clearInterval(progress)
  }
}

async function held(offers: ScaleNode['offers'], count: number, boundMs: number): Promise<number> {
  if (offers.size < count) {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        offers.removeEventListener('entry:added', check)
        reject(new Error(`${offers.size} of ${count} offers held after ${boundMs} ms (refused: ${JSON.stringify(refused)})`))
      }, boundMs)
      function check(): void {
        if (offers.size < count) return
        clearTimeout(timer)
        offers.removeEventListener('entry:added', check)
        resolve()
      }
      offers.addEventListener('entry:added', check)
    })
  }
  return performance.now() - startedAt
}

function timeMatches(matcher: Matcher, demand: Parameters<Matcher['match']>[0], runs: number): { matched: number; times: number[] } {
  let matched = 0
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const start = performance.now()
    matched = matcher.match(demand).length
    times.push(performance.now() - start)
  }
  return { matched, times }
}

serveIpc<OffersNodeRequest>(async request => {
  switch (request.op) {
    case 'start':
      startedAt = performance.now()
      node = await startScaleNode({ bootstrap: request.bootstrap, ...(request.peerGuard === undefined ? {} : { peerGuard: request.peerGuard }) })
      node.offers.addEventListener('entry:refused', event => {
        refused[event.detail.reason] = (refused[event.detail.reason] ?? 0) + 1
      })
      return { nodeId: node.host.nodeId, address: node.host.addresses()[0], port: listenPort(node.host) }
    case 'dial':
      for (const address of request.addresses) await (node as ScaleNode).host.dial(address)
      return true
    case 'hold':
      return await hold(request.count, request.boundMs)
    case 'rss':
      globalThis.gc?.()
      return { rss: process.memoryUsage().rss, offers: node?.market.offerCount() ?? 0, storedBytes: node?.offers.bytes ?? 0, refused }
    case 'match': {
      // The market's matcher is its own; a matcher over the same offers, indexed and not, is timed here.
      const indexed = new Matcher()
      const scanned = new Matcher({ indexed: false })
      for (const entry of (node as ScaleNode).offers.entries()) {
        const offer = { id: entry.id, properties: entry.payload.properties, constraints: parseConstraints(entry.payload.constraints) }
        indexed.addOffer(offer)
        scanned.addOffer(offer)
      }
      const demand = { properties: request.properties, constraints: parseConstraints(request.constraints) }
      timeMatches(indexed, demand, 10) // warm up
      const fast = timeMatches(indexed, demand, request.runs)
      const full = timeMatches(scanned, demand, Math.max(5, Math.floor(request.runs / 4)))
      if (fast.matched !== full.matched) throw new Error(`the index matched ${fast.matched} offers, a full scan ${full.matched}`)
      return {
        matched: fast.matched,
        p50: percentile(fast.times, 50),
        p95: percentile(fast.times, 95),
        fullScanP50: percentile(full.times, 50)
      } satisfies MatchTimes
    }
    case 'stop':
      await node?.stop()
      node = undefined
      return true
  }
})
