// golem-js 3.x, unchanged, pays for its work through an Agora requester daemon
// on a real dev chain: `glm.oneOf` makes an allocation and a demand decorated
// with it, rents the provider's wasmtime exe-unit, runs a command, and
// `stopAndFinalize()` waits for the provider's invoice, which golem-js accepts.
// The provider's daemon then claims the escrow and marks its invoice SETTLED,
// and the token moved on chain.
import assert from 'node:assert/strict'
import { GolemNetwork } from '@golem-sdk/golem-js'
import type { ResourceRental } from '@golem-sdk/golem-js'
import { Contract } from 'ethers'
import type { InterfaceAbi } from 'ethers'
import { devNetworkConfig, parseAmount, testTokenArtifact } from '../../payment/index.ts'
import { reapChildren } from '../helpers/agora-process.ts'
import { deployAll, party } from '../helpers/contracts.ts'
import { devChainFixture } from '../helpers/dev-chain.ts'
import { GOLEM_APP_KEY, startDaemonPair } from '../helpers/golem-daemons.ts'
import type { DaemonPair } from '../helpers/golem-daemons.ts'
import { golemOffer, recordingLogger } from '../helpers/golem-js.ts'
import type { RecordingLogger } from '../helpers/golem-js.ts'
import { serveProbeWorkload } from '../helpers/golem-workload.ts'
import type { ServedWorkload } from '../helpers/golem-workload.ts'
import { recordFetch } from '../helpers/http-recorder.ts'
import type { HttpRecorder } from '../helpers/http-recorder.ts'
import { startProviderAgent } from '../helpers/provider-agent.ts'
import type { ProviderAgent } from '../helpers/provider-agent.ts'
import { eventually } from '../helpers/wait.ts'

/** The dev network's own platform name; golem-js asks for it by its alias erc20-holesky-tglm (PAYMENT_NETWORK's default). */
const DEV_PLATFORM = 'erc20-dev-tglm'
const EVENT_WAIT_MS = 90_000

describe('golem-js 3.x pays an Agora provider on the dev chain (oneOf → exe.run → stopAndFinalize)', function () {
  this.timeout(240_000)
  const fixture = devChainFixture()
  let workload: ServedWorkload
  let daemons: DaemonPair
  let agent: ProviderAgent
  let recorder: HttpRecorder
  let logger: RecordingLogger
  let glm: GolemNetwork
  let token: Contract
  let rental: ResourceRental | undefined

  before(async function () {
    this.timeout(180_000)
    const contracts = await deployAll(party(0, fixture.provider).signer)
    const network = devNetworkConfig(fixture.chain.rpcUrl, String(contracts.token.target), {
      escrow: String(contracts.escrow.target),
      batchPayout: String(contracts.payouts.target)
    })
    token = new Contract(String(contracts.token.target), testTokenArtifact.abi as InterfaceAbi, fixture.provider)
    workload = await serveProbeWorkload()
    // Debit notes every 2 s; the invoice right after the activity's final usage.
    daemons = await startDaemonPair({ payment: { networks: [network], debitNoteIntervalMs: 2_000, finalUsageWaitMs: 2_000 } })
    for (const daemon of [daemons.requester, daemons.provider]) await daemon.client.expect(200, 'POST', '/agora-api/v1/payment/fund', {})
    const offer = golemOffer(daemons.provider.nodeId, 'wasmtime')
    offer.properties[`golem.com.payment.platform.${DEV_PLATFORM}.address`] = daemons.provider.nodeId.toLowerCase()
    offer.properties['golem.com.pricing.model.linear.coeffs'] = [0.0001, 0.00005, 0.001]
    agent = await startProviderAgent(daemons.provider.client, offer)
    recorder = recordFetch(daemons.requester.url)
    logger = recordingLogger()
    glm = new GolemNetwork({ api: { url: daemons.requester.url, key: GOLEM_APP_KEY }, logger })
    await glm.connect()
  })

  afterEach(function () {
    if (this.currentTest?.state === 'failed') {
      console.error(`calls Agora answered with an error so far:\n  ${recorder.failures().join('\n  ')}`)
      console.error(`golem-js errors so far:\n  ${logger.errors().join('\n  ')}`)
    }
  })

  after(async function () {
    this.timeout(60_000)
    recorder?.restore()
    await glm?.disconnect().catch(() => {})
    await agent?.stop().catch(() => {})
    await workload?.close()
    await daemons?.stop()
    await reapChildren()
  })

  it('rents with an allocation, runs, finalizes; the invoice is accepted by golem-js, claimed and SETTLED, the token moved on chain', async () => {
    const providerAddress = daemons.provider.nodeId.toLowerCase()
    const before = (await token.getFunction('balanceOf')(providerAddress)) as bigint
    rental = await glm.oneOf({
      order: {
        demand: { workload: { runtime: { name: 'wasmtime' }, imageUrl: workload.imageUrl, imageHash: workload.imageHash } },
        market: { rentHours: 0.25, pricing: { model: 'linear', maxStartPrice: 1, maxCpuPerHourPrice: 1, maxEnvPerHourPrice: 1 } }
      }
    })
    const agreementId = rental.agreement.id
    const [allocation] = await daemons.requester.client.expect(200, 'GET', '/payment-api/v1/allocations')
    assert.equal(allocation.paymentPlatform, DEV_PLATFORM)
    assert.equal(rental.agreement.demand.paymentPlatform, DEV_PLATFORM)

    const exe = await rental.getExeUnit()
    const result = await exe.run('probe', ['0', 'paid', 'work'])
    assert.equal(result.result, 'Ok', JSON.stringify(result))
    assert.equal(result.stdout, 'paid work\n')

    // Waits until golem-js has the provider's invoice: it resolves then, while its accept may still be on its way.
    await rental.stopAndFinalize(AbortSignal.timeout(EVENT_WAIT_MS))

    const received = (await daemons.requester.client.expect(200, 'GET', '/payment-api/v1/invoices?maxItems=100')).filter(
      (invoice: any) => invoice.agreementId === agreementId
    )
    assert.equal(received.length, 1, JSON.stringify(received))
    const { invoiceId } = received[0]
    const accepts = await recorder.answered(call => call.method === 'POST' && call.path === `/payment-api/v1/invoices/${invoiceId}/accept`)
    assert.deepEqual(
      accepts.map(call => call.status),
      [200],
      'golem-js accepted it once'
    )
    const invoice = await daemons.requester.client.expect(200, 'GET', `/payment-api/v1/invoices/${invoiceId}`)
    assert.ok(['ACCEPTED', 'SETTLED'].includes(invoice.status), `golem-js accepted the invoice: ${invoice.status}`)
    assert.ok(parseAmount(invoice.amount, 'amount') > 0n, `an invoice for the work done: ${invoice.amount}`)
    // (Its demand's event poll may race its own unsubscribe: a 404 the market answers rightly.)
    const refused = recorder.calls.filter(call => call.path.startsWith('/payment-api/') && typeof call.status === 'number' && call.status >= 400)
    assert.deepEqual(refused, [], 'no Payment API call golem-js made was refused')

    // The provider's daemon claims the escrow at the agreement's end and marks its invoice SETTLED once verified on chain.
    const settled = await eventually(
      'the provider to mark its invoice SETTLED',
      async () => {
        const ours = await daemons.provider.client.expect(200, 'GET', `/payment-api/v1/invoices/${invoice.invoiceId}`)
        return ours.status === 'SETTLED' ? ours : undefined
      },
      EVENT_WAIT_MS
    )
    assert.equal(settled.amount, invoice.amount)
    const after = (await token.getFunction('balanceOf')(providerAddress)) as bigint
    assert.equal(after - before, parseAmount(invoice.amount, 'amount'), 'the invoice amount moved to the provider on chain')
    const allocationAfter = await daemons.requester.client.call('GET', `/payment-api/v1/allocations/${allocation.allocationId}`)
    assert.ok(allocationAfter.status === 410 || allocationAfter.body.spentAmount === invoice.amount, JSON.stringify(allocationAfter.body))
  })
})
