// Market figures over real daemons on loopback, driven through the REST API:
// demand subscribed → Approved agreement between two in-process daemons, and
// the resident memory of an idle `agora service run` process.
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Cluster } from '../helpers/cluster.ts'
import { execFileSync } from 'node:child_process'
import { BUILT_MAIN, startDaemon } from '../helpers/agora-process.ts'
import { approvedAgreement, negotiateAgreement } from '../helpers/negotiation.ts'
import { percentile, report } from './report.ts'

const ROUNDS = 30

async function demandToApproved(): Promise<void> {
  const cluster = new Cluster()
  try {
    const provider = await cluster.start()
    const requester = await cluster.start()
    await negotiateAgreement(provider, requester) // warm-up: connections, JIT
    const samples: number[] = []
    for (let i = 0; i < ROUNDS; i++) {
      const started = performance.now()
      await approvedAgreement(provider, requester)
      samples.push(performance.now() - started)
    }
    report('market.demand_to_approved.p50', percentile(samples, 50), 'ms')
    report('market.demand_to_approved.p95', percentile(samples, 95), 'ms')
  } finally {
    await cluster.stop()
  }
}

async function idleRss(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'agora-bench-rss-'))
  // Measured as installed: the built JavaScript the `agora` bin runs.
  execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' })
  const daemon = await startDaemon(join(dir, 'node'), { AGORA_APPKEY: 'bench-app-key-000001' }, BUILT_MAIN)
  try {
    await new Promise(resolve => setTimeout(resolve, 3_000))
    const status = await readFile(`/proc/${daemon.child.pid}/status`, 'utf8')
    const kib = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1])
    report('daemon.idle_rss', kib / 1024, 'MB')
  } finally {
    daemon.child.kill('SIGTERM')
    await daemon.exited
    await rm(dir, { recursive: true, force: true })
  }
}

await demandToApproved()
await idleRss()
