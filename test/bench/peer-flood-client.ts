// The hostile side of peer-flood.bench.ts, in its own process so that its
// work does not share the daemon's event loop: a libp2p client that floods
// one node with bursts of requests on /agora/market/1 (validly signed
// envelopes whose payload the market refuses) and /agora/sync/1, with a
// fresh key (and connection) for every burst: keys are free, so budgets and
// bans per key alone would never bind it. Told to stop, it reports how the
// requests were answered and exits.
import { multiaddr } from '@multiformats/multiaddr'
import { NetHost, NodeKey, signEnvelope } from '../../net/index.ts'
import { FRAME_VERSION, readFrame, sendFrame } from '../../net/protocol/frames.ts'
import { jsonBytes } from '../../net/protocol/json-bytes.ts'

const [target] = process.argv.slice(2)
if (target === undefined) throw new Error('usage: peer-flood-client.ts <multiaddr of the node to flood>')
const BURST = 600
const FLOODERS = 4

const answers = new Map<string, number>()
const count = (what: string): void => {
  answers.set(what, (answers.get(what) ?? 0) + 1)
}
let running = true
let keys = 0
// Told to stop: report what was answered so far and go, whatever is in flight.
process.on('message', message => {
  if (message !== 'stop') return
  running = false
  process.send?.({ answers: Object.fromEntries(answers), keys }, () => {
    process.exit(0)
  })
})
// The bench gone, for whatever reason: nothing left behind.
process.on('disconnect', () => {
  process.exit(0)
})

async function oneRequest(host: NetHost, protocol: string, body: unknown): Promise<void> {
  const peerId = multiaddr(target as string)
    .getComponents()
    .findLast(c => c.name === 'p2p')?.value
  const connection = host.libp2p.getConnections().find(c => c.remotePeer.toString() === peerId)
  if (connection === undefined) throw new Error('not connected')
  const signal = AbortSignal.timeout(15_000)
  // A client of its own making: no per-protocol cap on the streams it opens.
  const stream = await connection.newStream(protocol, { signal, maxOutboundStreams: 100_000 })
  // An answer that never comes ends with the wait, not never.
  signal.addEventListener(
    'abort',
    () => {
      stream.abort(new Error('no answer in time'))
    },
    { once: true }
  )
  try {
    await sendFrame(stream, jsonBytes({ v: FRAME_VERSION, body }), { signal })
    const frame = (await readFrame(stream, 64 * 1024)) as { ok: boolean; error?: { code: string } }
    count(frame.ok ? 'ok' : (frame.error?.code ?? 'error'))
  } finally {
    if (stream.status === 'open') stream.abort(new Error('done'))
  }
}

/** Bursts from fresh keys, one after another, until told to stop. */
async function floodWithFreshKeys(): Promise<void> {
  while (running) {
    const key = NodeKey.random()
    keys++
    const host = new NetHost({ key })
    await host.start()
    try {
      await host.dial(target as string)
      const envelope = signEnvelope(key, 'market.proposal', { nothing: 'the market would take' })
      const market = { kind: 'proposal', envelope }
      const sync = { op: 'ids', topic: 'offers', limit: 500 }
      // Let the connection settle on both sides before the first burst.
      await oneRequest(host, '/agora/sync/1', sync).catch(() => {
        count('stream_failed')
      })
      // One burst a key: the next comes from a node never seen before.
      if (running) {
        await Promise.all(
          Array.from({ length: BURST }, async (_, i) => {
            await oneRequest(host, i % 2 === 0 ? '/agora/market/1' : '/agora/sync/1', i % 2 === 0 ? market : sync).catch(() => {
              count('stream_failed')
            })
          })
        )
      }
    } catch {
      // Refused at the gate (or not answered): the next key tries again.
      count('dial_failed')
    } finally {
      await host.stop()
    }
  }
}

// Several at once, as a flooder with a few cores would.
await Promise.all(Array.from({ length: FLOODERS }, async () => await floodWithFreshKeys()))
