// The command line and the daemon's life as a user sees them, on the built
// program (what the `agora` bin runs; `npm run build` first):
//   cli.help, cli.usage_error  spawn to exit of `agora --help` / an unknown command
//   cli.id_show, cli.app_key_list  spawn to exit of those offline commands
//   cli.chain_dev.fresh_to_ready, cli.chain_dev.restart_to_ready  spawn of
//                              `agora chain dev` to the line it prints once its chain
//                              runs: on a new directory (contracts deployed) and again
//   daemon.start_to_api        spawn of `agora service run` to its "api listening" line
//   daemon.stop_idle           SIGTERM to exit of a daemon with nothing live
//   daemon.stop_with_activities  SIGTERM to exit of a provider running WASI activities
//                              (an agreement, a batch in its endless loop, the
//                              requester's event stream and long poll open)
//   daemon.stop_requester_with_activities  the same for the requester, afterwards
// Each figure is the median of several runs.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BUILT_MAIN, agora, reapChildren, spawnDaemon } from '../helpers/agora-process.ts'
import type { DaemonProcess } from '../helpers/agora-process.ts'
import { startChainDev } from '../helpers/chain-dev-process.ts'
import { providerOffer, requesterDemand } from '../helpers/golem-terms.ts'
import { MarketClient } from '../helpers/market-client.ts'
import { approvedAgreement } from '../helpers/negotiation.ts'
import type { Negotiated, Party } from '../helpers/negotiation.ts'
import { publishModule, startFileServer } from '../exe-unit/helpers.ts'
import { percentile, report } from './report.ts'

const CLI_RUNS = 9
const DAEMON_RUNS = 3
const ACTIVITIES = 2
const KEY = 'cli-bench-app-key-0001'
const ACTIVITY_API = '/activity-api/v1'
const JOIN_BOUND_MS = 300_000

const median = (samples: number[]): number => Math.round(percentile(samples, 50))

async function timedCommand(args: string[], expectedCode: number): Promise<number> {
  const startedAt = performance.now()
  const result = await agora(args, {}, BUILT_MAIN)
  const elapsed = performance.now() - startedAt
  if (result.code !== expectedCode) throw new Error(`agora ${args.join(' ')} exited ${result.code}: ${result.stderr}`)
  return elapsed
}

async function cliFigures(dir: string): Promise<void> {
  const dataDir = join(dir, 'cli')
  // The first run creates the node key; the figures are of a node that has one.
  await timedCommand(['id', 'show', '--data-dir', dataDir], 0)
  await timedCommand(['app-key', 'create', 'bench', '--data-dir', dataDir], 0)
  const figures: Record<string, number[]> = { 'cli.help': [], 'cli.usage_error': [], 'cli.id_show': [], 'cli.app_key_list': [] }
  for (let run = 0; run < CLI_RUNS; run++) {
    figures['cli.help']?.push(await timedCommand(['--help'], 0))
    figures['cli.usage_error']?.push(await timedCommand(['frobnicate'], 2))
    figures['cli.id_show']?.push(await timedCommand(['id', 'show', '--data-dir', dataDir], 0))
    figures['cli.app_key_list']?.push(await timedCommand(['app-key', 'list', '--data-dir', dataDir], 0))
  }
  for (const [name, samples] of Object.entries(figures)) report(name, median(samples), 'ms')
}

async function chainDevFigures(dir: string): Promise<void> {
  const fresh: number[] = []
  const restart: number[] = []
  for (let run = 0; run < DAEMON_RUNS; run++) {
    const chainDir = join(dir, `chain-${run}`)
    for (const samples of [fresh, restart]) {
      const startedAt = performance.now()
      const chain = await startChainDev(chainDir, [], BUILT_MAIN)
      samples.push(performance.now() - startedAt)
      chain.child.kill('SIGTERM')
      const code = await chain.exited
      if (code !== 0) throw new Error(`agora chain dev exited ${code} after SIGTERM: ${chain.stderr()}`)
    }
  }
  report('cli.chain_dev.fresh_to_ready', median(fresh), 'ms')
  report('cli.chain_dev.restart_to_ready', median(restart), 'ms')
}

interface Started {
  daemon: DaemonProcess
  startMs: number
  url: string
  listen: string[]
}

async function startTimed(dataDir: string, env: NodeJS.ProcessEnv = {}, args: string[] = []): Promise<Started> {
  const startedAt = performance.now()
  const daemon = spawnDaemon(dataDir, { AGORA_APPKEY: KEY, ...env }, BUILT_MAIN, args)
  const listening = await daemon.logged(record => record.msg === 'api listening')
  const startMs = performance.now() - startedAt
  const started = await daemon.logged(record => record.msg === 'agora daemon started')
  return { daemon, startMs, url: String(listening.url), listen: started.listen as string[] }
}

async function stopTimed(daemon: DaemonProcess): Promise<number> {
  const startedAt = performance.now()
  daemon.child.kill('SIGTERM')
  const code = await daemon.exited
  const elapsed = performance.now() - startedAt
  if (code !== 0) throw new Error(`the daemon exited ${code} after SIGTERM: ${daemon.stderr()}`)
  return elapsed
}

async function party(started: Started): Promise<Party> {
  const client = new MarketClient(started.url, KEY)
  return { nodeId: (await client.expect<{ identity: string }>(200, 'GET', '/me')).identity, client }
}

// Waits (long, for a loaded machine) until an offer of the provider has
// reached the requester, by gossip or by the periodic resync: from then on the
// two are joined and a negotiation's own waits suffice.
async function joined(provider: Party, requester: Party): Promise<void> {
  const name = `probe-${Math.random().toString(36).slice(2)}`
  const offer = providerOffer(provider.nodeId, { 'golem.node.id.name': name })
  const offerId = await provider.client.subscribe('offer', offer.properties, offer.constraints)
  const demand = requesterDemand()
  const demandId = await requester.client.subscribe('demand', demand.properties, demand.constraints)
  await requester.client.nextEvent(
    'demand',
    demandId,
    event => event.eventType === 'ProposalEvent' && event.proposal.properties['golem.node.id.name'] === name,
    JOIN_BOUND_MS
  )
  await provider.client.expect(204, 'DELETE', `/market-api/v1/offers/${offerId}`)
  await requester.client.expect(204, 'DELETE', `/market-api/v1/demands/${demandId}`)
}

// A loaded machine may still be slower than one negotiation's waits: a fresh
// offer is tried again, a few times.
async function agreed(provider: Party, requester: Party, taskPackage: string): Promise<Negotiated> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await approvedAgreement(provider, requester, {
        offerExtra: { 'golem.inf.mem.gib': 0.5, 'golem.inf.cpu.threads': 1 },
        demandExtra: { 'golem.srv.comp.task_package': taskPackage }
      })
    } catch (err) {
      if (attempt === 5) throw err
      console.log(`# negotiation attempt ${attempt} failed (${(err as Error).message}); trying again`)
    }
  }
}

async function daemonFigures(dir: string): Promise<void> {
  const files = await startFileServer()
  const loopPackage = await publishModule(files, 'loop')
  // The workload is served on loopback, which providers refuse by default.
  const providerConfig = join(dir, 'provider.json')
  await writeFile(providerConfig, JSON.stringify({ modules: { activity: { allowPrivateNetworks: true } } }))
  const startMs: number[] = []
  const idleStopMs: number[] = []
  const providerStopMs: number[] = []
  const requesterStopMs: number[] = []
  const open = new AbortController()
  try {
    for (let run = 0; run < DAEMON_RUNS; run++) {
      const idle = await startTimed(join(dir, `idle-${run}`))
      startMs.push(idle.startMs)
      idleStopMs.push(await stopTimed(idle.daemon))

      const providerStarted = await startTimed(join(dir, `provider-${run}`), {}, ['--config', providerConfig])
      const requesterStarted = await startTimed(join(dir, `requester-${run}`), { AGORA_BOOTSTRAP: providerStarted.listen[0] })
      const provider = await party(providerStarted)
      const requester = await party(requesterStarted)
      await joined(provider, requester)
      const negotiated = await agreed(provider, requester, loopPackage)
      for (let i = 0; i < ACTIVITIES; i++) {
        const { activityId } = await requester.client.expect<{ activityId: string }>(201, 'POST', `${ACTIVITY_API}/activity`, {
          agreementId: negotiated.agreementId
        })
        const script = [{ deploy: {} }, { start: { args: [] } }, { run: { entry_point: 'loop', args: [] } }]
        const batchId = await requester.client.expect<string>(200, 'POST', `${ACTIVITY_API}/activity/${activityId}/exec`, { text: JSON.stringify(script) })
        // Running once deploy and start are done: the loop never ends by itself.
        for (;;) {
          const results = await requester.client.expect<Array<{ index: number }>>(
            200,
            'GET',
            `${ACTIVITY_API}/activity/${activityId}/exec/${batchId}?pollTimeout=20`
          )
          if (results.some(result => result.index === 1)) break
        }
        // What a client leaves open: the batch's event stream and a long poll.
        void fetch(`${requesterStarted.url}${ACTIVITY_API}/activity/${activityId}/exec/${batchId}`, {
          headers: { authorization: `Bearer ${KEY}`, accept: 'text/event-stream' },
          signal: open.signal
        })
          .then(async response => await response.text())
          .catch(() => undefined)
      }
      void requester.client.call('GET', `/market-api/v1/demands/${negotiated.demandId}/events?timeout=60`).catch(() => undefined)
      providerStopMs.push(await stopTimed(providerStarted.daemon))
      requesterStopMs.push(await stopTimed(requesterStarted.daemon))
    }
  } finally {
    open.abort()
    await reapChildren()
    await files.close()
  }
  report('daemon.start_to_api', median(startMs), 'ms')
  report('daemon.stop_idle', median(idleStopMs), 'ms')
  report('daemon.stop_with_activities', median(providerStopMs), 'ms')
  report('daemon.stop_requester_with_activities', median(requesterStopMs), 'ms')
}

const dir = await mkdtemp(join(tmpdir(), 'agora-cli-bench-'))
try {
  await cliFigures(dir)
  await chainDevFigures(dir)
  await daemonFigures(dir)
} finally {
  await reapChildren()
  await rm(dir, { recursive: true, force: true })
}
