// Rent one WASI provider, run a command on it, read its output and exit code,
// release it and see what it cost.
//   AGORA_API_URL=http://127.0.0.1:7465 AGORA_APPKEY=… node examples/hello.ts <image> [word]
// <image>: a Golem task package (hash:sha3:<hex>:<url>) or a local .wasm file.
import { connect } from '../sdk/index.ts'
import { formatAmount } from '../payment/model/amounts.ts'

const [image, word = 'hello'] = process.argv.slice(2)
if (image === undefined) throw new Error('usage: node examples/hello.ts <image> [word]')

const agora = await connect()
try {
  const rental = await agora.rent({
    runtime: 'wasmtime',
    image,
    maxPrices: { startPrice: '0.01', cpuPerHour: '1', envPerHour: '1' },
    budget: '0.1',
    duration: 600
  })
  console.log(`rented ${rental.provider.name ?? rental.provider.id}`)
  const { stdout, exitCode } = await rental.run('shout', [word])
  console.log(`stdout: ${stdout.trimEnd()}`)
  console.log(`exit code: ${exitCode}`)
  const { cost, invoiceId } = await rental.release()
  console.log(`cost: ${formatAmount(cost)} (invoice ${invoiceId ?? 'none'})`)
} finally {
  await agora.close()
}
