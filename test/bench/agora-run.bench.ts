// `agora run` of a trivial WASI job as a user sees it: the whole process, from
// spawn to exit, against a requester and a provider daemon on loopback with
// the dev chain (target: under 1.5 s). The module is a local file the requester
// serves; the payment is not waited for (--payment-wait 0), the rental's
// release (terminate, invoice, acceptance) is. Median of several runs.
//   BENCH agora_run_wasi_ms <median> ms
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { devNetworkConfig } from '../../payment/index.ts'
import { agora, reapChildren } from '../helpers/agora-process.ts'
import { deployAll, party } from '../helpers/contracts.ts'
import { devProvider, startDevChain } from '../helpers/dev-chain.ts'
import { GOLEM_APP_KEY, startDaemonPair } from '../helpers/golem-daemons.ts'
import { golemOffer } from '../helpers/golem-js.ts'
import { probeWasm } from '../helpers/golem-workload.ts'
import { startProviderAgent } from '../helpers/provider-agent.ts'
import { percentile, report } from './report.ts'

const RUNS = 7
const DEV_PLATFORM = 'erc20-dev-tglm'

const chain = await startDevChain()
const rpc = devProvider(chain)
const dir = await mkdtemp(join(tmpdir(), 'agora-run-bench-'))
try {
  const contracts = await deployAll(party(0, rpc).signer)
  const network = devNetworkConfig(chain.rpcUrl, String(contracts.token.target), {
    escrow: String(contracts.escrow.target),
    batchPayout: String(contracts.payouts.target)
  })
  const daemons = await startDaemonPair({ payment: { networks: [network], finalUsageWaitMs: 500 } })
  try {
    for (const daemon of [daemons.requester, daemons.provider]) await daemon.client.expect(200, 'POST', '/agora-api/v1/payment/fund', {})
    const offer = golemOffer(daemons.provider.nodeId, 'wasmtime')
    offer.properties[`golem.com.payment.platform.${DEV_PLATFORM}.address`] = daemons.provider.nodeId.toLowerCase()
    const agent = await startProviderAgent(daemons.provider.client, offer)
    const probe = join(dir, 'probe.wasm')
    await writeFile(probe, await probeWasm())
    const env = { AGORA_API_URL: daemons.requester.url, AGORA_APPKEY: GOLEM_APP_KEY }
    const args = ['run', '--image', probe, '--payment-wait', '0', '--', 'probe', '0', 'hi']
    // The first run offers the file and warms Node's compile cache, as any later run of the installed CLI finds them.
    const first = await agora(args, env)
    if (first.code !== 0 || first.stdout !== 'hi\n') throw new Error(`agora run failed (${first.code}): ${first.stderr}`)
    const samples: number[] = []
    for (let i = 0; i < RUNS; i++) {
      const started = performance.now()
      const result = await agora(args, env)
      samples.push(performance.now() - started)
      if (result.code !== 0 || result.stdout !== 'hi\n') throw new Error(`agora run failed (${result.code}): ${result.stderr}`)
    }
    console.log(`# runs (ms): ${samples.map(ms => Math.round(ms)).join(' ')}`)
    // Where the time goes: the process alone (agora --version), and the steps of one run as --json reports them.
    const bare = performance.now()
    await agora(['--version'], env)
    console.log(`# process start and exit alone (agora --version): ${Math.round(performance.now() - bare)} ms`)
    const json = await agora([...args.slice(0, -4), '--json', ...args.slice(-4)], env)
    console.log(`# one run's steps (ms): ${JSON.stringify(JSON.parse(json.stdout).timings)}`)
    report('agora_run_wasi_ms', Math.round(percentile(samples, 50)), 'ms')
    await agent.stop()
  } finally {
    await daemons.stop()
  }
} finally {
  await reapChildren()
  rpc.destroy()
  await chain.stop()
  await rm(dir, { recursive: true, force: true })
}
