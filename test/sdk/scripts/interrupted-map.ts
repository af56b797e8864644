// A requester script for the Ctrl-C test: maps long tasks over the providers
// with onInterrupt, printing one JSON line per event the test waits on.
import { connect, onInterrupt } from '../../../sdk/index.ts'

const say = (line: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify(line)}\n`)
}

const client = await connect({ url: String(process.env.SDK_TEST_URL), appKey: String(process.env.SDK_TEST_APPKEY) })
const interrupt = onInterrupt(client, { boundMs: Number(process.env.SDK_TEST_BOUND_MS) })
const executor = client.executor({
  runtime: 'wasmtime',
  image: String(process.env.SDK_TEST_IMAGE),
  min: 0,
  max: 3,
  budget: '3',
  duration: 600,
  startupTimeoutMs: 60_000,
  maxPrices: { startPrice: '1', cpuPerHour: '1', envPerHour: '1' }
})
executor.addEventListener('cost', event => say({ event: 'cost', cost: String((event as CustomEvent).detail.cost) }))
try {
  await executor.map(
    Array.from({ length: 6 }, (_, i) => i),
    async ({ rental, signal }, input) => {
      await rental.run('probe', ['0', `task-${input}`], { signal })
      say({ event: 'started', agreementId: rental.agreementId, providerId: rental.provider.id })
      // A long computation: it ends only when the run is cancelled.
      await new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }))
    },
    { concurrency: 3, signal: interrupt.signal }
  )
} catch (err) {
  say({ event: 'map ended', code: (err as { code?: string }).code })
}
// onInterrupt exits the process once the client is closed.
await interrupt.closed
