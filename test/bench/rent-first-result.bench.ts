// rent() to the first result, WASI, on loopback: a requester daemon and a
// provider daemon in this process on the dev chain, the SDK over the
// requester's REST API. Each sample is timed from the rent() call to the
// first RunResult of `shout`, with the provider's offer already known to the
// requester (a warm-up rental first); the release is not timed.
//   sdk.rent_first_result_ms.p50 / .p95   target < 300 ms (golem-js on yagna: tens of seconds)
//   sdk.rent_ms.p50                        of which rent() itself: demand, negotiation, agreement, activity, deploy
//   sdk.first_run_ms.p50                   of which the first run (one ExeScript batch)
//   sdk.rent_failures                      rent() calls that found no provider agreeing (not timed)
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DEMO_APP_KEY, startMarketplace } from '../../daemon/demo/marketplace.ts'
import { fundAll } from '../../daemon/demo/money.ts'
import { serveWorkload, shouted } from '../../daemon/demo/workload.ts'
import { connect, NoMatchingOffersError } from '../../sdk/index.ts'
import { percentile, report } from './report.ts'

const SAMPLES = 15
const RENT = { runtime: 'wasmtime', maxPrices: { startPrice: '0.01', cpuPerHour: '1', envPerHour: '1' }, budget: '0.1', duration: 600 } as const

const root = await mkdtemp(join(tmpdir(), 'agora-bench-rent-'))
const workload = await serveWorkload(root)
const marketplace = await startMarketplace({
  dir: root,
  providers: 1,
  // Each sample is a new agreement; the ones released before may still count until they are paid.
  agreementsPerProvider: SAMPLES + 2,
  ...(process.env.AGORA_BENCH_LOG === undefined ? {} : { logLevel: process.env.AGORA_BENCH_LOG as 'debug' })
})
try {
  await fundAll(marketplace.parties)
  const agora = await connect({ url: marketplace.requester.url, appKey: DEMO_APP_KEY })
  try {
    const options = { ...RENT, image: workload.taskPackage }
    // Warm-up: the offer is known, the task package cached on the provider, the code paths compiled.
    const warm = await agora.rent(options)
    await warm.run('shout', ['warm'])
    await warm.release()
    const total: number[] = []
    const renting: number[] = []
    const running: number[] = []
    // A rent() that fails is counted, not timed (sdk.rent_failures), and the samples go on.
    let failures = 0
    for (let i = 0; i < SAMPLES; i++) {
      const start = performance.now()
      let rental
      try {
        rental = await agora.rent({ ...options, startupTimeoutMs: 10_000 })
      } catch (error) {
        if (!(error instanceof NoMatchingOffersError)) throw error
        failures++
        continue
      }
      const rented = performance.now()
      const result = await rental.run('shout', [`word${i}`])
      const end = performance.now()
      if (result.stdout !== shouted(`word${i}`)) throw new Error(`unexpected result ${JSON.stringify(result.stdout)}`)
      total.push(end - start)
      renting.push(rented - start)
      running.push(end - rented)
      await rental.release()
    }
    report('sdk.rent_failures', failures, 'rents')
    report('sdk.rent_first_result_ms.p50', percentile(total, 50), 'ms')
    report('sdk.rent_first_result_ms.p95', percentile(total, 95), 'ms')
    report('sdk.rent_ms.p50', percentile(renting, 50), 'ms')
    report('sdk.first_run_ms.p50', percentile(running, 50), 'ms')
  } finally {
    await agora.close()
  }
} finally {
  await marketplace.stop()
  await workload.close()
  await rm(root, { recursive: true, force: true })
}
