// The Node view: who this node is and how it is connected.
import { useEffect, useState } from 'preact/hooks'
import { get } from '../api.ts'
import { bytes, duration } from '../format.ts'
import { useLoaded } from '../hooks.ts'
import { Empty, Frame } from './common.tsx'

interface NodeInfo {
  nodeId: string
  peerId: string
  version: string
  startedAt: string
  uptimeSeconds: number
  addresses: string[]
  observedAddresses?: string[]
  peers: Array<{ nodeId: string; score?: number }>
  reachability: Reachability
  offersKnown: number
  rssBytes: number
}

/** How others reach this node (AutoNAT's verdict on its addresses, the relays it holds reservations on, its connections by kind). */
interface Reachability {
  status: 'public' | 'private' | 'unknown'
  relays: string[]
  direct: number
  relayed: number
}

// Peers, offers and memory change slowly and have no event stream: a look every 15 s is enough.
const REFRESH_MS = 15_000
const FIRST_RENDER_MARK = 'agora:first-render'

export function NodeView() {
  const [tick, setTick] = useState(0)
  useEffect(() => {
    const timer = setInterval(() => setTick(n => n + 1), REFRESH_MS)
    return () => clearInterval(timer)
  }, [])
  const loaded = useLoaded(signal => get<NodeInfo>('/agora-api/v1/node', signal), [tick])
  // Marks when the first view first shows its data (the benchmark reads it; it costs nothing otherwise).
  const ready = loaded.state === 'ready'
  useEffect(() => {
    if (ready && performance.getEntriesByName(FIRST_RENDER_MARK).length === 0) performance.mark(FIRST_RENDER_MARK)
  }, [ready])
  return (
    <section aria-labelledby="node-title">
      <h2 id="node-title">Node</h2>
      <Frame loaded={loaded}>
        {node => (
          <>
            <dl class="facts">
              <dt>Node id</dt>
              <dd>
                <code id="node-id">{node.nodeId}</code> <CopyButton text={node.nodeId} label="Copy the node id" />
              </dd>
              <dt>Peer id</dt>
              <dd>
                <code>{node.peerId}</code>
              </dd>
              <dt>Version</dt>
              <dd>{node.version}</dd>
              <dt>Uptime</dt>
              <dd>{duration(node.uptimeSeconds)}</dd>
              <dt>Offers known</dt>
              <dd>{node.offersKnown}</dd>
              <dt>Memory (RSS)</dt>
              <dd>{bytes(node.rssBytes)}</dd>
              <dt>Peers</dt>
              <dd id="peer-count">{node.peers.length}</dd>
            </dl>
            <h3>Listen addresses</h3>
            {node.addresses.length === 0 ? (
              <Empty what="addresses" />
            ) : (
              <ul class="plain">
                {node.addresses.map(address => (
                  <li key={address}>
                    <code>{address}</code>
                  </li>
                ))}
              </ul>
            )}
            <h3>Observed addresses</h3>
            {(node.observedAddresses ?? []).length === 0 ? (
              <Empty what="addresses observed by peers" />
            ) : (
              <ul class="plain" id="observed-addresses">
                {(node.observedAddresses ?? []).map(address => (
                  <li key={address}>
                    <code>{address}</code>
                  </li>
                ))}
              </ul>
            )}
            <ReachabilityFacts reachability={node.reachability} />
            <h3>Connected peers</h3>
            {node.peers.length === 0 ? (
              <Empty what="peers" />
            ) : (
              <table id="peers">
                <caption class="visually-hidden">Connected peers and their scores</caption>
                <thead>
                  <tr>
                    <th scope="col">Node</th>
                    <th scope="col">Score</th>
                  </tr>
                </thead>
                <tbody>
                  {node.peers.map(peer => (
                    <tr key={peer.nodeId} data-node-id={peer.nodeId}>
                      <td>
                        <code>{peer.nodeId}</code>
                      </td>
                      <td class="number score">{peer.score === undefined ? '—' : Number(peer.score.toFixed(2))}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            <p class="count">A peer’s score is this node’s standing of it: 0 when it behaved, lower after each violation; at the threshold it is banned.</p>
          </>
        )}
      </Frame>
    </section>
  )
}

function CopyButton({ text, label }: { text: string; label: string }) {
  const [done, setDone] = useState(false)
  const copy = () => {
    navigator.clipboard.writeText(text).then(
      () => setDone(true),
      () => setDone(false)
    )
  }
  return (
    <button type="button" onClick={copy} aria-label={label}>
      {done ? 'Copied' : 'Copy'}
    </button>
  )
}

const STATUS_MEANING: Record<Reachability['status'], string> = {
  public: 'other nodes can dial it',
  private: 'other nodes reach it through relays',
  unknown: 'not confirmed yet'
}

function ReachabilityFacts({ reachability }: { reachability: Reachability }) {
  return (
    <>
      <h3>Reachability</h3>
      <dl class="facts" id="reachability">
        <dt>Status</dt>
        <dd id="reachability-status" data-status={reachability.status}>
          {reachability.status} — {STATUS_MEANING[reachability.status]}
        </dd>
        <dt>Connections</dt>
        <dd id="reachability-connections" data-direct={reachability.direct} data-relayed={reachability.relayed}>
          {reachability.direct} direct, {reachability.relayed} relayed
        </dd>
        <dt>Relays</dt>
        <dd>
          {reachability.relays.length === 0 ? (
            'none'
          ) : (
            <ul class="plain">
              {reachability.relays.map(relay => (
                <li key={relay}>
                  <code>{relay}</code>
                </li>
              ))}
            </ul>
          )}
        </dd>
      </dl>
    </>
  )
}
