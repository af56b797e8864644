// The demo's scenario, step by step, as `npm run demo` shows it and the test
// suite checks it: the marketplace starts, every party is funded, the
// requester script runs through the SDK, the invoices are paid on chain, and
// what was agreed, billed and paid is read back with every balance.
import { readLedger, waitForSettlement } from './ledger.ts'
import type { Ledger } from './ledger.ts'
import { DEMO_APP_KEY, startMarketplace } from './marketplace.ts'
import type { Marketplace, Party } from './marketplace.ts'
import { balancesOf, fundAll } from './money.ts'
import type { Balances } from './money.ts'
import { balanceReport, ledgerReport } from './report.ts'
import { DEMO_WORDS, runRequesterScript } from './requester-script.ts'
import type { RequesterScriptOutcome } from './requester-script.ts'
import { serveWorkload } from './workload.ts'

/** How long the invoices may take to be paid on chain after the script ends. */
const SETTLEMENT_WAIT_MS = 60_000

export interface ScenarioOptions {
  /** A directory of its own; the caller removes it. */
  readonly dir: string
  readonly say: (line: string) => void
  readonly signal: AbortSignal
  readonly words?: readonly string[]
  /** Whether the requester script tries the container job (default: yes). */
  readonly container?: boolean
  /** Called with the running marketplace, before anything runs on it. */
  readonly onStarted?: (marketplace: Marketplace) => void
}

export interface ScenarioOutcome {
  readonly parties: readonly Party[]
  readonly script: RequesterScriptOutcome
  readonly ledger: Ledger
  readonly before: Balances
  readonly after: Balances
  /** Whether every invoice was paid on chain in time. */
  readonly settled: boolean
}

export async function runScenario(options: ScenarioOptions): Promise<ScenarioOutcome> {
  const { say, signal } = options
  const step = (title: string): void => say(`\n== ${title}`)
  step('Starting the marketplace: dev chain, 3 providers, 1 requester')
  const workload = await serveWorkload(options.dir)
  let marketplace: Marketplace | undefined
  try {
    marketplace = await startMarketplace({
      dir: options.dir,
      say,
      signal,
      onStopError: (part, error) => say(`${part}: stop failed: ${(error as Error).message}`)
    })
    options.onStarted?.(marketplace)
    const { parties, requester } = marketplace
    const providerApis = marketplace.providers.map(provider => provider.api)
    // Ctrl-C ends the scenario between steps; the SDK's calls end at once on the same signal.
    const checkStopped = (): void => {
      if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('stopped')
    }

    step('Funding every party from the dev chain faucet')
    await fundAll(parties)
    checkStopped()
    const before = await balancesOf(parties)
    say(`each party got test tokens and gas: ${parties.map(party => party.name).join(', ')}`)

    step('Running the requester script through the SDK')
    const script = await runRequesterScript({
      url: requester.url,
      appKey: DEMO_APP_KEY,
      taskPackage: workload.taskPackage,
      words: options.words ?? DEMO_WORDS,
      ...(options.container === undefined ? {} : { container: options.container }),
      say,
      signal
    })
    checkStopped()
    step('Results')
    for (const line of script.lines) say(line)

    step('Waiting for the invoices to be paid on chain')
    let ledger: Ledger
    let settled = true
    try {
      ledger = await waitForSettlement(requester.api, providerApis, Date.now, Date.now() + SETTLEMENT_WAIT_MS, signal)
      say(`every invoice is paid on chain (${ledger.invoices.length})`)
    } catch (error) {
      checkStopped()
      settled = false
      say((error as Error).message)
      ledger = await readLedger(requester.api, providerApis)
    }
    const after = await balancesOf(parties)
    step('What was agreed, billed and paid')
    say(ledgerReport(ledger, parties))
    say(balanceReport(parties, before, after))
    checkStopped()
    return { parties, script, ledger, before, after, settled }
  } finally {
    step('Stopping every daemon and the dev chain')
    await marketplace?.stop()
    await workload.close()
  }
}
