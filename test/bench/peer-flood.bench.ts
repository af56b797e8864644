// A whole daemon, its REST /me polled while a hostile libp2p client (in its
// own process) floods it with bursts of 600 requests: the p95 of /me before
// and during the flood, how the flood was answered, and the peak RSS of the
// process (the daemon's) during the flood.
import { fork } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Cluster, TEST_APP_KEY } from '../helpers/cluster.ts'
import { percentile, report } from './report.ts'

const IDLE_MS = 3_000
const FLOOD_MS = 15_000

const here = dirname(fileURLToPath(import.meta.url))
const cluster = new Cluster()

async function pollMe(url: string, ms: number): Promise<number[]> {
  const latencies: number[] = []
  const until = performance.now() + ms
  while (performance.now() < until) {
    const started = performance.now()
    const response = await fetch(`${url}/me`, { headers: { authorization: `Bearer ${TEST_APP_KEY}` } })
    await response.text()
    if (response.status !== 200) throw new Error(`/me answered ${response.status}`)
    latencies.push(performance.now() - started)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
  return latencies
}

try {
  const node = await cluster.start()
  const url = node.service.status().apiUrl as string
  const idle = await pollMe(url, IDLE_MS)
  const rssBefore = process.memoryUsage().rss
  report('net.flood_rss_before_mb', Math.round(rssBefore / 1024 / 1024), 'MB')
  report('api.me_p95_idle', Math.round(percentile(idle, 95) * 10) / 10, 'ms')

  const client = fork(join(here, 'peer-flood-client.ts'), [node.addresses[0] as string], { stdio: 'inherit' })
  const outcome = new Promise<{ answers: Record<string, number>; keys: number }>((resolve, reject) => {
    client.once('message', message => {
      resolve(message as { answers: Record<string, number>; keys: number })
    })
    client.once('exit', code => {
      if (code !== 0) reject(new Error(`flood client exited with ${code}`))
    })
  })
  // Killed at the end on purpose: that exit is no failure.
  outcome.catch(() => {})
  try {
    // The first burst under way before timing.
    await new Promise(resolve => setTimeout(resolve, 1_000))
    // The daemon runs in this process: its RSS is this process's.
    let peakRss = process.memoryUsage().rss
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss)
    }, 100)
    const flooded = await pollMe(url, FLOOD_MS).finally(() => {
      clearInterval(sampler)
    })
    report('net.flood_rss_peak_mb', Math.round(peakRss / 1024 / 1024), 'MB')
    report('api.me_p95_under_peer_flood', Math.round(percentile(flooded, 95) * 10) / 10, 'ms')
    report('api.me_max_under_peer_flood', Math.round(Math.max(...flooded)), 'ms')
    const slowest = flooded.indexOf(Math.max(...flooded))
    console.log(`# the slowest /me was poll ${slowest + 1} of ${flooded.length} during the flood; polls over 200 ms: ${flooded.filter(ms => ms > 200).length}`)
    client.send('stop')
    // A client busy with its burst may not get to answer: its counts are then left out.
    const counts = await Promise.race([
      outcome,
      new Promise<undefined>(resolve => {
        setTimeout(() => {
          resolve(undefined)
        }, 30_000).unref()
      })
    ])
    if (counts === undefined) {
      console.log('# the flood client did not report its counts in time')
    } else {
      const { answers, keys } = counts
      const total = Object.values(answers).reduce((a, b) => a + b, 0)
      report('api.peer_flood.requests', total, 'requests')
      report('api.peer_flood.rate_limited', answers.RateLimited ?? 0, 'answers')
      report('api.peer_flood.keys_used', keys, 'keys')
      console.log(`# flood answers: ${JSON.stringify(answers)}`)
    }
  } finally {
    if (client.exitCode === null) client.kill('SIGKILL')
  }
} finally {
  await cluster.stop()
}
