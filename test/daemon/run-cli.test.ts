// `agora run` as a user runs it: a child process against a requester daemon
// and a provider daemon (both `agora service run` processes) on a dev chain,
// the provider answering through a minimal agent over its Market API. The
// module is a local file the requester serves to the provider.
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { devNetworkConfig, parseAmount } from '../../payment/index.ts'
import { once } from 'node:events'
import { readFile } from 'node:fs/promises'
import { dockerUp, TEST_IMAGE } from '../exe-unit/docker.ts'
import { buildWat } from '../exe-unit/helpers.ts'
import { agora, reapChildren, spawnAgora } from '../helpers/agora-process.ts'
import { deployAll, party } from '../helpers/contracts.ts'
import { devChainFixture } from '../helpers/dev-chain.ts'
import { GOLEM_APP_KEY, startDaemonPair } from '../helpers/golem-daemons.ts'
import type { DaemonPair } from '../helpers/golem-daemons.ts'
import { golemOffer } from '../helpers/golem-js.ts'
import { probeWasm } from '../helpers/golem-workload.ts'
import { startProviderAgent } from '../helpers/provider-agent.ts'
import type { ProviderAgent } from '../helpers/provider-agent.ts'

const DEV_PLATFORM = 'erc20-dev-tglm'
const TX_HASH = /0x[0-9a-f]{64}/

describe('agora run: one command on a provider, from the command line, paid on the dev chain', function () {
  this.timeout(300_000)
  const fixture = devChainFixture()
  let daemons: DaemonPair
  let agent: ProviderAgent
  let vmAgent: ProviderAgent
  let dir: string
  let probe: string
  let env: NodeJS.ProcessEnv

  before(async function () {
    this.timeout(400_000)
    // The engine answers before the provider starts, so that its vm runtime is offered.
    await dockerUp()
    const contracts = await deployAll(party(0, fixture.provider).signer)
    const network = devNetworkConfig(fixture.chain.rpcUrl, String(contracts.token.target), {
      escrow: String(contracts.escrow.target),
      batchPayout: String(contracts.payouts.target)
    })
    // Direct settlement in short batches: the requester's own payment, with its transaction, comes within the test's wait.
    daemons = await startDaemonPair({
      payment: { networks: [network], debitNoteIntervalMs: 2_000, finalUsageWaitMs: 2_000, settlement: 'direct', directBatchIntervalMs: 500 }
    })
    for (const daemon of [daemons.requester, daemons.provider]) await daemon.client.expect(200, 'POST', '/agora-api/v1/payment/fund', {})
    const offer = golemOffer(daemons.provider.nodeId, 'wasmtime')
    offer.properties[`golem.com.payment.platform.${DEV_PLATFORM}.address`] = daemons.provider.nodeId.toLowerCase()
    offer.properties['golem.com.pricing.model.linear.coeffs'] = [0.0001, 0.00005, 0.001]
    agent = await startProviderAgent(daemons.provider.client, offer)
    const vmOffer = golemOffer(daemons.provider.nodeId, 'vm')
    vmOffer.properties[`golem.com.payment.platform.${DEV_PLATFORM}.address`] = daemons.provider.nodeId.toLowerCase()
    vmOffer.properties['golem.com.pricing.model.linear.coeffs'] = [0.0001, 0.00005, 0.001]
    vmAgent = await startProviderAgent(daemons.provider.client, vmOffer)
    dir = await mkdtemp(join(tmpdir(), 'agora-run-'))
    probe = join(dir, 'probe.wasm')
    await writeFile(probe, await probeWasm())
    env = { AGORA_API_URL: daemons.requester.url, AGORA_APPKEY: GOLEM_APP_KEY }
  })

  after(async function () {
    this.timeout(60_000)
    await agent?.stop().catch(() => {})
    await vmAgent?.stop().catch(() => {})
    await daemons?.stop()
    await reapChildren()
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  const run = async (args: string[], extraEnv: NodeJS.ProcessEnv = {}) => await agora(['run', ...args], { ...env, ...extraEnv })
  const allocations = async (): Promise<unknown[]> => await daemons.requester.client.expect<unknown[]>(200, 'GET', '/payment-api/v1/allocations')
  const offered = async (): Promise<unknown[]> =>
    (await daemons.requester.client.expect<{ offered: unknown[] }>(200, 'GET', '/agora-api/v1/transfers/')).offered

  it('runs a local WASI module, streams its output, prints the exit code, the cost and the payment transaction, exits 0', async () => {
    const result = await run(['--runtime', 'wasmtime', '--image', probe, '--budget', '1', '--payment-wait', '90', '--', 'probe', '0', 'hello', 'world'])
    assert.equal(result.code, 0, result.stderr)
    assert.equal(result.stdout, 'hello world\n')
    assert.match(result.stderr, /agora: exit code 0\n/)
    const cost = /agora: cost ([0-9.]+) GLM \(agreement ([0-9a-f]+), provider (0x[0-9a-f]{40})\)/.exec(result.stderr)
    assert.ok(cost !== null, result.stderr)
    assert.ok(parseAmount(cost[1], 'cost') > 0n, 'the work was paid for')
    assert.equal(cost[3], daemons.provider.nodeId.toLowerCase())
    assert.match(result.stderr, new RegExp(`agora: payment ${TX_HASH.source}\\n`))
    // Piped: plain progress lines, no terminal control codes.
    assert.match(result.stderr, /agora: looking for a provider/)
    assert.equal(result.stderr.includes('\u001b['), false)
    const invoices = await daemons.requester.client.expect<any[]>(200, 'GET', '/payment-api/v1/invoices?maxItems=100')
    const invoice = invoices.find(i => i.agreementId === cost[2])
    assert.ok(invoice !== undefined, 'the provider invoiced the agreement')
    assert.equal(invoice.amount, cost[1], 'the cost printed is the amount accepted')
  })

  it("exits with the command's own non-zero exit code, and --json prints one document", async () => {
    const failed = await run(['--image', probe, '--payment-wait', '0', '--', 'probe', '3', 'oops'])
    assert.equal(failed.code, 3, failed.stderr)
    assert.equal(failed.stdout, 'oops\n')
    assert.match(failed.stderr, /agora: exit code 3\n/)

    const json = await run(['--image', probe, '--json', '--payment-wait', '90', '--', 'probe', '5', 'for', 'scripts'])
    assert.equal(json.code, 5, json.stderr)
    const document = JSON.parse(json.stdout)
    assert.equal(json.stdout.trim().split('\n').length, 1, 'one JSON document, nothing else on stdout')
    assert.equal(document.exitCode, 5)
    assert.equal(document.stdout, 'for scripts\n')
    assert.equal(document.runtime, 'wasmtime')
    assert.equal(document.providerId, daemons.provider.nodeId.toLowerCase())
    assert.match(document.agreementId, /^[0-9a-f]+$/)
    assert.ok(parseAmount(document.cost, 'cost') > 0n)
    assert.equal(document.payment.status, 'paid')
    assert.match(document.payment.txHash, TX_HASH)
    assert.equal(json.stderr, '', '--json prints no progress')
  })

  it("runs a command in an image present in the provider's Docker engine (docker:<image>)", async () => {
    const result = await run(['--image', `docker:${TEST_IMAGE}`, '--payment-wait', '0', '--', 'echo', 'hi'])
    assert.equal(result.code, 0, result.stderr)
    assert.equal(result.stdout, 'hi\n')
    assert.match(result.stderr, /agora: looking for a provider \(vm,/)
    const absent = await run(['--image', 'docker:agora-test/absent:1', '--runtime', 'vm', '--payment-wait', '0', '--', 'true'])
    assert.equal(absent.code, 4, absent.stderr)
    assert.match(absent.stderr, /not available on this provider/)
  })

  it('without a matching offer exits 3 and says why', async () => {
    const before = await allocations()
    const none = await run(['--image', probe, '--subnet', 'nowhere', '--startup-timeout', '3', '--', 'probe', '0'])
    assert.equal(none.code, 3, none.stderr)
    assert.match(none.stderr, /agora: no matching offers/)
    assert.match(none.stderr, /offer\(s\) known, 0 matching/)
    assert.match(none.stderr, /golem\.node\.debug\.subnet=nowhere\) excluded [1-9]/)
    const json = await run(['--image', probe, '--subnet', 'nowhere', '--startup-timeout', '3', '--json', '--', 'probe', '0'])
    assert.equal(json.code, 3)
    const { error } = JSON.parse(json.stdout)
    assert.equal(error.code, 'NotFound')
    assert.ok(error.explanation.offersKnown >= 1, JSON.stringify(error))
    assert.equal(error.explanation.matching, 0)
    assert.equal((await allocations()).length, before.length, 'no allocation is left behind')
  })

  it('refuses bad arguments with a usage error (exit 2) and changes nothing on the daemon', async () => {
    const allocationsBefore = await allocations()
    const offeredBefore = await offered()
    for (const args of [
      ['--image', probe, '--budget', '-1', '--', 'probe', '0'],
      ['--image', probe, '--budget', '1e3', '--', 'probe', '0'],
      ['--image', probe, '--max-price', 'cheap', '--', 'probe', '0'],
      ['--image', probe, '--timeout', '0', '--', 'probe', '0'],
      ['--image', probe, '--runtime', 'qemu', '--', 'probe', '0'],
      ['--runtime', 'wasmtime', '--image', 'docker:busybox', '--', 'echo', 'hi'],
      ['--image', probe, '--env', 'NOT A NAME', '--', 'probe', '0'],
      ['--image', probe, '--api-url', 'ftp://x', '--', 'probe', '0'],
      ['--image', probe],
      ['--', 'probe', '0'],
      ['--image', probe, '--no-such-option', '--', 'probe', '0']
    ]) {
      const refused = await run(args)
      assert.equal(refused.code, 2, `${args.join(' ')}: ${refused.stderr}`)
      assert.match(refused.stderr, /^agora: /, args.join(' '))
      assert.equal(refused.stdout, '')
    }
    const missing = await run(['--image', join(dir, 'absent.wasm'), '--', 'probe', '0'])
    assert.equal(missing.code, 2, missing.stderr)
    assert.match(missing.stderr, /absent\.wasm/)
    assert.deepEqual(await allocations(), allocationsBefore)
    assert.deepEqual(await offered(), offeredBefore)
  })

  it('Ctrl-C stops the command, releases the rental (the agreement terminated, the allocation given back) and exits 130', async () => {
    const loop = join(dir, 'loop.wasm')
    await writeFile(loop, await buildWat('loop.wat', await readFile(new URL('../fixtures/wasi/loop.wat', import.meta.url), 'utf8')))
    const allocationsBefore = await allocations()
    const startedAt = new Date().toISOString()
    const child = spawnAgora(['run', '--image', loop, '--', 'loop'], env)
    let stderr = ''
    const running = new Promise<void>(resolve => {
      child.stderr?.on('data', (chunk: Buffer) => {
        stderr += chunk.toString()
        if (stderr.includes('agora: running on')) resolve()
      })
    })
    const exited = once(child, 'exit')
    await running
    child.kill('SIGINT')
    const [code] = await exited
    assert.equal(code, 130, stderr)
    assert.match(stderr, /interrupted: releasing the rental/)
    const agreements = await daemons.requester.client.expect<any[]>(200, 'GET', `/market-api/v1/agreements?afterDate=${encodeURIComponent(startedAt)}`)
    assert.equal(agreements.length, 1, JSON.stringify(agreements))
    const agreement = await daemons.requester.client.expect<any>(200, 'GET', `/market-api/v1/agreements/${agreements[0].id ?? agreements[0].agreementId}`)
    assert.equal(agreement.state, 'Terminated')
    assert.deepEqual(await allocations(), allocationsBefore, 'the allocation was given back')
  })

  it('reports a refused app-key readably with exit code 5', async () => {
    const refused = await run(['--image', probe, '--', 'probe', '0'], { AGORA_APPKEY: 'not-the-key-0000000000' })
    assert.equal(refused.code, 5, refused.stderr)
    assert.match(refused.stderr, /app-key/i)
  })
})
