// The task executor: one task per input across several providers, progress as
// events, results in input order, every rental released and paid.
//   AGORA_API_URL=http://127.0.0.1:7465 AGORA_APPKEY=… node examples/map.ts <image> <word>…
import { connect } from '../sdk/index.ts'
import { formatAmount } from '../payment/model/amounts.ts'

const [image, ...words] = process.argv.slice(2)
if (image === undefined || words.length === 0) throw new Error('usage: node examples/map.ts <image> <word>…')

const agora = await connect()
try {
  const executor = agora.executor({
    runtime: 'wasmtime',
    image,
    min: 1,
    max: 3,
    maxPrices: { startPrice: '0.01', cpuPerHour: '1', envPerHour: '1' },
    budget: '1',
    duration: 600
  })
  executor.addEventListener('done', event => {
    const { index, providerId } = (event as CustomEvent<{ index: number; providerId: string }>).detail
    console.log(`done: ${words[index]} on ${providerId}`)
  })
  const results = await executor.map(words, async ({ rental, signal }, word) => (await rental.run('shout', [word], { signal })).stdout.trimEnd(), {
    concurrency: 3,
    retries: 2,
    timeout: 30_000
  })
  console.log(`results: ${results.join(' ')}`)
  const reports = await executor.shutdown()
  const cost = reports.reduce((total, report) => total + report.cost, 0n)
  console.log(`rentals: ${reports.length}, cost: ${formatAmount(cost)}`)
} finally {
  await agora.close()
}
