// 1,000 tiny WASI tasks over three providers with one requester through the
// SDK's task executor (daemons in this process on the dev chain, direct
// payouts), every task's cost accounted and paid:
//   sdk.executor_tasks_per_second   tasks done / seconds from the map's start to its last result (target > 300)
//   sdk.executor_cost_accounted     1 when the costs add up, else 0: the accepted costs of the rentals' reports =
//                                   the invoices' amounts = the payments on chain = what the providers' balances
//                                   gained = what the requester's balance lost
//   sdk.executor_invoiced           the whole run's cost, in token units
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { invoicedByProvider, paidByProvider, waitForSettlement } from '../../daemon/demo/ledger.ts'
import { DEMO_APP_KEY, startMarketplace } from '../../daemon/demo/marketplace.ts'
import { balancesOf, fundAll } from '../../daemon/demo/money.ts'
import { serveWorkload, shouted } from '../../daemon/demo/workload.ts'
import { connect } from '../../sdk/index.ts'
import { report } from './report.ts'

const TASKS = 1_000
const CONCURRENCY = 6

const sum = (values: Iterable<bigint>): bigint => [...values].reduce((a, b) => a + b, 0n)

const root = await mkdtemp(join(tmpdir(), 'agora-bench-executor-'))
const workload = await serveWorkload(root)
const marketplace = await startMarketplace({ dir: root, providers: 3, agreementsPerProvider: CONCURRENCY / 3 })
try {
  const { parties, providers, requester } = marketplace
  await fundAll(parties)
  const before = await balancesOf(parties)
  const agora = await connect({ url: requester.url, appKey: DEMO_APP_KEY })
  let reports
  try {
    const executor = agora.executor({
      runtime: 'wasmtime',
      image: workload.taskPackage,
      min: 3,
      max: CONCURRENCY,
      maxPrices: { startPrice: '0.01', cpuPerHour: '1', envPerHour: '1' },
      budget: '5',
      duration: 900
    })
    const inputs = Array.from({ length: TASKS }, (_, i) => `task${i}`)
    const start = performance.now()
    const results = await executor.map(inputs, async ({ rental, signal }, word) => (await rental.run('shout', [word], { signal })).stdout, {
      concurrency: CONCURRENCY
    })
    const seconds = (performance.now() - start) / 1000
    report('sdk.executor_tasks_per_second', TASKS / seconds, 'tasks/s')
    results.forEach((result, i) => {
      if (result !== shouted(inputs[i]!)) throw new Error(`task ${i}: unexpected result ${JSON.stringify(result)}`)
    })
    reports = await executor.shutdown()
  } finally {
    await agora.close()
  }
  const ledger = await waitForSettlement(
    requester.api,
    providers.map(p => p.api),
    Date.now,
    Date.now() + 120_000
  ).catch((error: unknown) => {
    // Not accounted: said so, with why, before the run fails.
    report('sdk.executor_cost_accounted', 0, 'bool')
    throw error
  })
  const after = await balancesOf(parties)
  const invoiced = invoicedByProvider(ledger)
  const paid = paidByProvider(ledger)
  const accepted = sum(reports.map(r => r.cost))
  const total = sum(invoiced.values())
  const gained = providers.map(p => [p.nodeId.toLowerCase(), after.get(p.name)!.token - before.get(p.name)!.token] as const)
  const lost = before.get(requester.name)!.token - after.get(requester.name)!.token
  const accounted =
    total > 0n &&
    accepted === total &&
    sum(paid.values()) === total &&
    lost === total &&
    gained.every(([id, gain]) => gain === (invoiced.get(id) ?? 0n) && gain === (paid.get(id) ?? 0n))
  if (!accounted) {
    console.error({ accepted, total, paid: [...paid], lost, gained, invoiced: [...invoiced] })
  }
  report('sdk.executor_cost_accounted', accounted ? 1 : 0, 'bool')
  report('sdk.executor_invoiced', Number(total) / 1e18, 'tokens')
  report('sdk.executor_rentals', reports.length, 'rentals')
} finally {
  await marketplace.stop()
  await workload.close()
  await rm(root, { recursive: true, force: true })
}
