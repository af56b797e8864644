// Secure aggregation on loopback: 10 owners sum 10,000-element vectors through
// one aggregator, all of them finishing, then with 2 owners dropping after
// ShareKeys (so that their pairwise masks are rebuilt from mask-key shares).
// Wall time runs from opening the session to the sum; a dropout's round is
// closed as soon as the others have answered (the aggregator's clock is
// advanced then), so the figure is the protocol's work, not its deadline.
// Bytes per owner: the JSON of every request an owner sends and every answer
// it gets (what the protocol puts on a stream, before Noise and yamux).
import { NetHost, NodeKey } from '../../net/index.ts'
import type { NetHost as Host } from '../../net/index.ts'
import { OwnerSession, SecaggAggregator, SecaggClient, SecaggOwner } from '../../custody/index.ts'
import { ManualClock } from '../helpers/manual-clock.ts'
import { waitFor } from '../helpers/wait.ts'
import { percentile, report } from './report.ts'

const OWNERS = 10
const LENGTH = 10_000
const THRESHOLD = 6
const RUNS = Number(process.env.SECAGG_BENCH_RUNS ?? 3)
const ROUND_MS = 600_000

type Counted = Pick<Host, 'request' | 'key' | 'nodeId'> & { bytes: number }

function counting(host: NetHost): Counted {
  const counted: Counted = {
    key: host.key,
    nodeId: host.nodeId,
    bytes: 0,
    request: async (definition, to, request, options) => {
      counted.bytes += Buffer.byteLength(JSON.stringify(request))
      const answer = await host.request(definition, to, request, options)
      counted.bytes += Buffer.byteLength(JSON.stringify(answer))
      return answer
    }
  }
  return counted
}

const clock = new ManualClock()
const aggregatorHost = new NetHost({ key: NodeKey.random() })
const aggregator = new SecaggAggregator(aggregatorHost, { clock })
const hosts: NetHost[] = []
try {
  await aggregator.start()
  await aggregatorHost.start()
  for (let i = 0; i < OWNERS; i++) {
    const host = new NetHost({ key: NodeKey.random() })
    await host.start()
    await host.dial(aggregatorHost.addresses()[0]!)
    hosts.push(host)
  }
  const values = hosts.map((_, i) => Array.from({ length: LENGTH }, (_, j) => ((i + 1) * (j + 1)) / 1000))

  async function run(dropouts: number): Promise<{ ms: number; bytesPerOwner: number }> {
    const owners = hosts.map(host => counting(host))
    const contributors = owners.map(owner => new SecaggOwner(owner))
    const started = performance.now()
    const { sessionId, url } = aggregator.create({ participants: hosts.map(h => h.nodeId), threshold: THRESHOLD, length: LENGTH, roundTimeoutMs: ROUND_MS })
    const staying = OWNERS - dropouts
    const sent = contributors
      .slice(0, staying)
      .map(
        async (contributor, i) =>
          await contributor.contribute({ url, requesterId: aggregatorHost.nodeId, dataset: 'bench', values: values[i]!, signal: AbortSignal.timeout(600_000) })
      )
    const quitting = owners.slice(staying).map(async owner => {
      const client = new SecaggClient(owner)
      const terms = await client.terms(aggregatorHost.nodeId, sessionId)
      const session = new OwnerSession(terms, owner.key)
      await client.submit(terms.aggregator, 'advertise', session.advertise())
      session.acceptKeys((await client.outcome(terms, 'advertise')).keys!)
      await client.submit(terms.aggregator, 'shares', session.shareKeys())
    })
    await Promise.all(quitting)
    if (dropouts > 0) {
      await waitFor(
        'the masked inputs of those staying',
        () => {
          const round = aggregator.inspect(sessionId)!.round
          return round.name === 'masked' && round.received.size === staying
        },
        600_000,
        5
      )
      clock.advance(ROUND_MS)
    }
    await Promise.all(sent)
    const view = await aggregator.view(sessionId, 600_000)
    const ms = performance.now() - started
    if (view.state !== 'Done') throw new Error(`the session ended ${view.state}: ${view.error}`)
    // The sum is checked, so that a wrong protocol cannot report a fast one.
    for (let j = 0; j < LENGTH; j++) {
      let expected = 0n
      for (let i = 0; i < staying; i++) expected += BigInt(Math.round(values[i]![j]! * 2 ** 16))
      if (view.sumFixed![j] !== expected.toString()) throw new Error(`wrong sum at ${j}`)
    }
    for (const contributor of contributors) await contributor.stop()
    const all = owners.slice(0, staying).reduce((sum, owner) => sum + owner.bytes, 0)
    return { ms, bytesPerOwner: Math.round(all / staying) }
  }

  // One run to warm up the JIT and the connections.
  await run(0)
  const clean = []
  for (let i = 0; i < RUNS; i++) clean.push(await run(0))
  report(
    'secagg_sum_10k_10_owners_ms',
    Math.round(
      percentile(
        clean.map(r => r.ms),
        50
      )
    ),
    'ms'
  )
  report(
    'secagg_bytes_per_owner',
    percentile(
      clean.map(r => r.bytesPerOwner),
      50
    ),
    'bytes'
  )
  const dropped = []
  for (let i = 0; i < RUNS; i++) dropped.push(await run(2))
  report(
    'secagg_sum_10k_10_owners_2_dropouts_ms',
    Math.round(
      percentile(
        dropped.map(r => r.ms),
        50
      )
    ),
    'ms'
  )
} finally {
  await aggregator.stop()
  await Promise.allSettled(hosts.map(async host => await host.stop()))
  await aggregatorHost.stop()
}
