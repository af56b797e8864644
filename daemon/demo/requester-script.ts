// The demo's requester: a script over the SDK alone, as any requester writes
// one. The task executor maps the WASI workload over the words across three
// providers (one line per task as it starts, retries and ends); then, when a
// provider offers the `vm` runtime (its Docker engine answers), one container
// job runs on it.
import { connect, NoMatchingOffersError } from '../../sdk/index.ts'
import type { AgoraClient, RentalReport } from '../../sdk/index.ts'
import { formatAmount } from '../../payment/model/amounts.ts'

/** The inputs of the mapped WASI job: one task each. */
export const DEMO_WORDS: readonly string[] = [
  'agora',
  'market',
  'provider',
  'requester',
  'offer',
  'demand',
  'proposal',
  'agreement',
  'activity',
  'exescript',
  'wasi',
  'sandbox',
  'debit',
  'invoice',
  'voucher',
  'escrow',
  'payout',
  'ledger',
  'gossip',
  'libp2p',
  'noise',
  'yamux',
  'kademlia',
  'leveldb'
]

/** The container job's image: present on a provider whose engine answers (scripts/docker-up.sh builds it). */
export const DEMO_CONTAINER_IMAGE = process.env.AGORA_DEMO_IMAGE ?? 'docker:agora-test/busybox:1'

/** The most the demo pays per hour of CPU or of environment, and to start (tokens). */
const MAX_PRICES = { startPrice: '0.01', cpuPerHour: '1', envPerHour: '1' }

export interface RequesterScriptInput {
  readonly url: string
  readonly appKey: string
  /** The WASI workload as a Golem task package. */
  readonly taskPackage: string
  readonly words: readonly string[]
  readonly say: (line: string) => void
  readonly signal: AbortSignal
  /** Whether to try the container job (default: yes). */
  readonly container?: boolean
}

export interface TaskOutcome {
  readonly word: string
  readonly result: string
  readonly provider: string
}

export interface RequesterScriptOutcome {
  /** What to show as the results. */
  readonly lines: readonly string[]
  /** Each word's task, in input order. */
  readonly tasks: readonly TaskOutcome[]
  /** Every rental's report (the WASI ones, then the container's): agreement, provider, cost accepted, invoice. */
  readonly reports: readonly RentalReport[]
  /** The container job's stdout, or why it was skipped. */
  readonly container: { readonly ran: true; readonly stdout: string } | { readonly ran: false; readonly reason: string }
}

export async function runRequesterScript(input: RequesterScriptInput): Promise<RequesterScriptOutcome> {
  const { say, signal } = input
  const agora = await connect({ url: input.url, appKey: input.appKey, signal })
  try {
    const { tasks, reports } = await mapWords(agora, input)
    const container = input.container === false ? { ran: false as const, reason: 'not asked for' } : await containerJob(agora, say, signal)
    const allReports = container.report === undefined ? reports : [...reports, container.report]
    const lines = tasks.map((task, index) => `${String(index + 1).padStart(2)}. ${task.word} → ${task.result.trimEnd()}  (${task.provider})`)
    const perProvider = new Map<string, number>()
    for (const task of tasks) perProvider.set(task.provider, (perProvider.get(task.provider) ?? 0) + 1)
    lines.push(`tasks per provider: ${[...perProvider].map(([provider, count]) => `${provider} ${count}`).join(', ')}`)
    lines.push(container.ran ? `container job: ${container.stdout.trimEnd()}` : `container job skipped: ${container.reason}`)
    for (const report of allReports)
      lines.push(`rental ${report.agreementId.slice(0, 12)}…: cost ${formatAmount(report.cost)}, invoice ${report.invoiceId ?? '-'}`)
    return {
      lines,
      tasks,
      reports: allReports,
      container: container.ran ? { ran: true, stdout: container.stdout } : { ran: false, reason: container.reason }
    }
  } finally {
    await agora.close({ now: signal.aborted })
  }
}

/** The WASI job: one task per word over three providers, results in input order. */
async function mapWords(agora: AgoraClient, input: RequesterScriptInput): Promise<{ tasks: TaskOutcome[]; reports: RentalReport[] }> {
  const { say, signal, words } = input
  const executor = agora.executor({
    runtime: 'wasmtime',
    image: input.taskPackage,
    min: 3,
    max: 3,
    maxPrices: MAX_PRICES,
    budget: '1',
    duration: 900,
    signal
  })
  const nameOf = (detail: { providerId: string; providerName?: string }): string => detail.providerName ?? `${detail.providerId.slice(0, 10)}…`
  executor.addEventListener('started', event => {
    const detail = (event as CustomEvent<{ index: number; attempt: number; providerId: string; providerName?: string }>).detail
    say(
      `task ${detail.index + 1}/${words.length} "${words[detail.index]}" started on ${nameOf(detail)}${detail.attempt > 1 ? ` (attempt ${detail.attempt})` : ''}`
    )
  })
  executor.addEventListener('retried', event => {
    const detail = (event as CustomEvent<{ index: number; providerId: string; providerName?: string; error: Error }>).detail
    say(`task ${detail.index + 1} failed on ${nameOf(detail)} (${detail.error.message}); retried on another provider`)
  })
  executor.addEventListener('done', event => {
    const detail = (event as CustomEvent<{ index: number; providerId: string; providerName?: string }>).detail
    say(`task ${detail.index + 1}/${words.length} done on ${nameOf(detail)}`)
  })
  let results: TaskOutcome[] | undefined
  let failure: unknown
  try {
    results = await executor.map(
      words,
      async ({ rental, signal: attemptSignal }, word) => {
        const provider = rental.provider.name ?? rental.provider.id
        const { stdout } = await rental.run('shout', [word], { signal: attemptSignal })
        return { word, result: stdout, provider }
      },
      { concurrency: 3, timeout: 60_000 }
    )
  } catch (error) {
    failure = error
  }
  // Every rental released and its invoice accepted, whether the map ended or failed.
  const reports = await executor.shutdown()
  if (results === undefined) throw failure
  say(`executor: ${results.length} tasks done; rentals released, invoices accepted`)
  return { tasks: results, reports }
}

/** The container job, on a provider whose Docker engine answers; else why it is skipped. */
async function containerJob(
  agora: AgoraClient,
  say: (line: string) => void,
  signal: AbortSignal
): Promise<{ ran: true; stdout: string; report: RentalReport } | { ran: false; reason: string; report?: RentalReport }> {
  say(`container job: looking for a provider of the vm runtime (${DEMO_CONTAINER_IMAGE})`)
  let rental
  try {
    rental = await agora.rent({
      runtime: 'vm',
      image: DEMO_CONTAINER_IMAGE,
      maxPrices: MAX_PRICES,
      budget: '1',
      duration: 600,
      startupTimeoutMs: 15_000,
      signal
    })
  } catch (error) {
    if (error instanceof NoMatchingOffersError) return { ran: false, reason: 'no provider offers the vm runtime (no Docker engine answers on this machine)' }
    if (signal.aborted) throw error
    return { ran: false, reason: `the vm rental failed: ${(error as Error).message}` }
  }
  try {
    const { stdout } = await rental.run('/bin/sh', ['-c', 'echo "hello from a container on $(hostname)"'], { signal })
    say(`container job: done on ${rental.provider.name ?? rental.provider.id}`)
    return { ran: true, stdout, report: await rental.release() }
  } catch (error) {
    if (signal.aborted) throw error
    return { ran: false, reason: `the container command failed: ${(error as Error).message}`, report: await rental.release() }
  }
}
