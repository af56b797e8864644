// The SDK's rentals over real daemons: a requester and a provider `agora
// service run` on loopback paying on the dev chain, the provider answering
// through a minimal agent over its Market API. connect refuses a wrong key and
// names an absent daemon; rent runs, streams, moves files; a provider that
// terminates is noticed; release is bounded when the provider is gone.
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { devNetworkConfig, parseAmount } from '../../payment/index.ts'
import { AppKeyRefusedError, CommandFailedError, DaemonUnreachableError, NoMatchingOffersError, ProviderLostError, connect } from '../../sdk/index.ts'
import type { AgoraClient, Rental } from '../../sdk/index.ts'
import { reapChildren } from '../helpers/agora-process.ts'
import { deployAll, party } from '../helpers/contracts.ts'
import { devChainFixture } from '../helpers/dev-chain.ts'
import { GOLEM_APP_KEY, startDaemonPair } from '../helpers/golem-daemons.ts'
import type { DaemonPair } from '../helpers/golem-daemons.ts'
import { golemOffer } from '../helpers/golem-js.ts'
import { serveProbeWorkload } from '../helpers/golem-workload.ts'
import type { ServedWorkload } from '../helpers/golem-workload.ts'
import { startProviderAgent } from '../helpers/provider-agent.ts'
import type { ProviderAgent } from '../helpers/provider-agent.ts'

const DEV_PLATFORM = 'erc20-dev-tglm'

describe('sdk: connect, rent, run, release over real daemons', function () {
  this.timeout(240_000)
  const fixture = devChainFixture()
  let workload: ServedWorkload
  let daemons: DaemonPair
  let agent: ProviderAgent
  let client: AgoraClient
  let image: string

  before(async function () {
    this.timeout(180_000)
    const contracts = await deployAll(party(0, fixture.provider).signer)
    const network = devNetworkConfig(fixture.chain.rpcUrl, String(contracts.token.target), {
      escrow: String(contracts.escrow.target),
      batchPayout: String(contracts.payouts.target)
    })
    workload = await serveProbeWorkload()
    image = `hash:sha3:${workload.imageHash}:${workload.imageUrl}`
    daemons = await startDaemonPair({ payment: { networks: [network], debitNoteIntervalMs: 2_000, finalUsageWaitMs: 2_000 } })
    for (const daemon of [daemons.requester, daemons.provider]) await daemon.client.expect(200, 'POST', '/agora-api/v1/payment/fund', {})
    const offer = golemOffer(daemons.provider.nodeId, 'wasmtime')
    offer.properties[`golem.com.payment.platform.${DEV_PLATFORM}.address`] = daemons.provider.nodeId.toLowerCase()
    offer.properties['golem.com.pricing.model.linear.coeffs'] = [0.0001, 0.00005, 0.001]
    agent = await startProviderAgent(daemons.provider.client, offer)
    client = await connect({ url: daemons.requester.url, appKey: GOLEM_APP_KEY })
  })

  after(async function () {
    this.timeout(60_000)
    await client?.close({ now: true }).catch(() => {})
    await agent?.stop().catch(() => {})
    await workload?.close()
    await daemons?.stop()
    await reapChildren()
  })

  const rentProbe = async (): Promise<Rental> =>
    await client.rent({
      runtime: 'wasmtime',
      image,
      budget: '1',
      duration: 600,
      startupTimeoutMs: 60_000,
      maxPrices: { startPrice: '1', cpuPerHour: '1', envPerHour: '1' }
    })

  it('refuses a wrong app-key with AppKeyRefusedError naming the URL and where the key came from', async () => {
    await assert.rejects(connect({ url: daemons.requester.url, appKey: 'not-the-key' }), (error: unknown) => {
      assert.ok(error instanceof AppKeyRefusedError, String(error))
      assert.equal(error.code, 'Unauthorized')
      assert.ok(error.message.includes(daemons.requester.url), error.message)
      assert.ok(error.message.includes('the appKey option'), error.message)
      return true
    })
    await assert.rejects(connect({ url: daemons.requester.url }, { env: { AGORA_APPKEY: 'wrong-too' } }), (error: unknown) => {
      assert.ok(error instanceof AppKeyRefusedError)
      assert.ok(error.message.includes('AGORA_APPKEY'), error.message)
      return true
    })
    // The YAGNA_* names of a golem-js environment work as they are.
    const viaYagna = await connect({}, { env: { YAGNA_API_URL: daemons.requester.url, YAGNA_APPKEY: GOLEM_APP_KEY } })
    assert.equal(viaYagna.identity, daemons.requester.nodeId)
    await viaYagna.close()
  })

  it('says DaemonUnreachableError naming the URL when no daemon answers there', async () => {
    const server = createServer()
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as AddressInfo
    await new Promise(resolve => server.close(resolve))
    const url = `http://127.0.0.1:${port}`
    await assert.rejects(connect({ url, appKey: GOLEM_APP_KEY }), (error: unknown) => {
      assert.ok(error instanceof DaemonUnreachableError, String(error))
      assert.ok(error.message.includes(url), error.message)
      return true
    })
  })

  it('rents, runs with the exit code, throws CommandFailedError on exit 3 unless allowFailure, streams, releases', async () => {
    const rental = await rentProbe()
    assert.equal(rental.provider.id, daemons.provider.nodeId)
    assert.ok(agent.approved.has(rental.agreementId))
    const ok = await rental.run('probe', ['0', 'hello', 'world'])
    assert.deepEqual(ok, { stdout: 'hello world\n', stderr: '', exitCode: 0 })

    await assert.rejects(rental.run('probe', ['3', 'about', 'to', 'fail']), (error: unknown) => {
      assert.ok(error instanceof CommandFailedError, String(error))
      assert.equal(error.result.exitCode, 3)
      assert.equal(error.result.stdout, 'about to fail\n')
      return true
    })
    const allowed = await rental.run('probe', ['3', 'allowed'], { allowFailure: true })
    assert.deepEqual(allowed, { stdout: 'allowed\n', stderr: '', exitCode: 3 })

    const stream = rental.runAndStream('probe', ['0', 'streamed', 'out'])
    let streamed = ''
    for await (const chunk of stream.stdout) streamed += chunk
    assert.equal(streamed, 'streamed out\n')
    assert.equal((await stream.result).exitCode, 0)

    const costs: bigint[] = []
    rental.addEventListener('cost', event => costs.push((event as CustomEvent<{ cost: bigint }>).detail.cost))
    const report = await rental.release({ timeoutMs: 60_000 })
    assert.equal(report.agreementId, rental.agreementId)
    // The guard accepted the provider's invoice: the rental's cost is what it says, and more than the start price.
    assert.notEqual(
      report.invoiceId,
      undefined,
      JSON.stringify(report, (_, value) => (typeof value === 'bigint' ? String(value) : value))
    )
    const invoice = await daemons.requester.client.expect(200, 'GET', `/payment-api/v1/invoices/${report.invoiceId}`)
    assert.ok(['ACCEPTED', 'SETTLED'].includes(invoice.status), invoice.status)
    assert.equal(report.cost, parseAmount(invoice.amount, 'amount'))
    assert.ok(report.cost > 10n ** 15n, `at least the start price of 0.001: ${report.cost}`)
    assert.equal(rental.cost, report.cost)
    assert.equal(costs.at(-1), report.cost, 'the last cost event is the invoice')
    assert.equal(rental.state, 'released')
    assert.equal(await rental.release(), report, 'release is idempotent')
    const agreement = await daemons.requester.client.agreement(rental.agreementId)
    assert.equal(agreement.state, 'Terminated')
    await assert.rejects(rental.run('probe', ['0']), (error: unknown) => (error as { code?: string }).code === 'Gone')
  })

  it('uploads a file and downloads it back through the transfer API', async () => {
    const rental = await rentProbe()
    const dir = await mkdtemp(join(tmpdir(), 'agora-sdk-transfer-'))
    try {
      const bytes = new Uint8Array(300_000).map((_, index) => (index * 7) % 251)
      await rental.upload(bytes, '/work/input.bin')
      const local = join(dir, 'back.bin')
      await rental.download('/work/input.bin', local)
      assert.deepEqual(new Uint8Array(await readFile(local)), bytes)
      await assert.rejects(rental.upload(bytes, 'relative/path'), (error: unknown) => (error as { code?: string }).code === 'BadRequest')
      await assert.rejects(rental.download('/work/missing.bin', join(dir, 'none.bin')), (error: unknown) => (error as { code?: string }).code === 'Conflict')
    } finally {
      await rental.release()
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('ends with NoMatchingOffersError saying how many offers the max prices excluded', async () => {
    await assert.rejects(
      client.rent({ runtime: 'wasmtime', image, budget: '1', startupTimeoutMs: 4_000, maxPrices: { cpuPerHour: '0.0000001' } }),
      (error: unknown) => {
        assert.ok(error instanceof NoMatchingOffersError, String(error))
        assert.ok(error.explanation.offersKnown >= 1, JSON.stringify(error.explanation))
        assert.deepEqual(
          error.explanation.sdkChecks?.find(check => check.check === 'maxPrices'),
          { check: 'maxPrices', excluded: error.explanation.offersKnown },
          JSON.stringify(error.explanation)
        )
        return true
      }
    )
  })

  it('notices a provider that terminates: a lost event, then ProviderLostError on the next call', async () => {
    const rental = await rentProbe()
    const lost = new Promise<CustomEvent>(resolve => rental.addEventListener('lost', event => resolve(event as CustomEvent), { once: true }))
    await daemons.provider.client.expect(204, 'POST', `/market-api/v1/agreements/${rental.agreementId}/terminate`, { message: 'going offline' })
    const event = await lost
    assert.equal(event.detail.reason, 'going offline')
    assert.equal(rental.state, 'lost')
    await assert.rejects(rental.run('probe', ['0', 'again']), (error: unknown) => {
      assert.ok(error instanceof ProviderLostError, String(error))
      assert.equal(error.providerId, daemons.provider.nodeId)
      return true
    })
    await rental.release({ timeoutMs: 10_000 })
  })

  it('releases within its bound when the provider daemon is gone', async () => {
    const rental = await rentProbe()
    daemons.provider.process.child.kill('SIGKILL')
    await daemons.provider.process.exited
    // Nothing answers for the provider now: each step of release ends at its bound, and release returns.
    const report = await rental.release({ timeoutMs: 8_000 })
    assert.equal(report.agreementId, rental.agreementId)
    assert.equal(rental.state, 'released')
  })
})
