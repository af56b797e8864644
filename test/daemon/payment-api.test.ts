// The Payment API of a real daemon (its payment module, LevelDB, settlement on
// a real dev chain): funds from the dev faucet, allocations covered by the
// balance on chain, the status and accounts, and every refusal leaving the
// node's database exactly as it was. The documents' path between two daemons
// is test/compat/golem-js-payment.test.ts.
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { devNetworkConfig } from '../../payment/index.ts'
import { deployAll, party } from '../helpers/contracts.ts'
import { devChainFixture } from '../helpers/dev-chain.ts'
import { startProbedNode } from '../helpers/probed-node.ts'
import type { ProbedNode } from '../helpers/probed-node.ts'
import { waitFor } from '../helpers/wait.ts'

const P = '/payment-api/v1'
const X = '/agora-api/v1/payment'
const PLATFORM = 'erc20-dev-tglm'

describe('the Payment API of a daemon on the dev chain', function () {
  this.timeout(120_000)
  const fixture = devChainFixture()
  let dir: string
  let node: ProbedNode

  before(async () => {
    const contracts = await deployAll(party(0, fixture.provider).signer)
    const network = devNetworkConfig(fixture.chain.rpcUrl, String(contracts.token.target), {
      escrow: String(contracts.escrow.target),
      batchPayout: String(contracts.payouts.target)
    })
    dir = await mkdtemp(join(tmpdir(), 'agora-payment-api-'))
    node = await startProbedNode(join(dir, 'node'), [], {
      configure: config => {
        config.modules.payment = { networks: [network] }
      }
    })
  })

  after(async () => {
    await node?.stop()
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  /** Asserts that `call` answers `status` and leaves the database as it was. */
  async function refusedUnchanged(status: number, method: string, path: string, body?: unknown): Promise<string> {
    const before = await node.dump()
    const reply = await node.client.call(method, path, body)
    assert.equal(reply.status, status, `${method} ${path} ${JSON.stringify(body)}: ${JSON.stringify(reply.body)}`)
    assert.deepEqual(Object.keys(reply.body ?? {}).sort(), ['code', 'message'])
    assert.deepEqual(await node.dump(), before, `${method} ${path} changed the database`)
    return reply.body.message
  }

  it('funds the node from the dev faucet, which the status and accounts then show', async () => {
    // A fresh key has no gas: the driver's status says so, and says nothing once funded.
    assert.deepEqual(await node.client.expect(200, 'GET', `${P}/payments/status`), [
      { kind: 'InsufficientGas', driver: 'erc20', network: 'dev', address: node.nodeId.toLowerCase() }
    ])
    const funded = await node.client.expect(200, 'POST', `${X}/fund`)
    assert.equal(funded.token, '1000')
    assert.ok(funded.txHashes.length > 0)
    assert.deepEqual(await node.client.expect(200, 'GET', `${P}/payments/status?network=dev&driver=erc20`), [])
    assert.deepEqual(await node.client.expect(200, 'GET', `${P}/payments/status?network=elsewhere`), [])
    assert.equal((await node.client.call('GET', `${P}/payments/status?driver=zksync`)).status, 404)
    const status = await node.client.expect(200, 'GET', `${X}/status?platform=erc20-holesky-tglm`)
    assert.equal(status.tokenBalance, '1000')
    assert.equal(status.network, 'dev')
    assert.equal(status.driver, 'erc20')
    assert.deepEqual(await node.client.expect(200, 'GET', `${X}/status?network=dev&driver=erc20`), status)
    const [account] = await node.client.expect(200, 'GET', `${P}/requestorAccounts`)
    assert.deepEqual(account, {
      platform: PLATFORM,
      address: node.nodeId.toLowerCase(),
      driver: 'erc20',
      network: 'dev',
      token: 'tglm',
      send: true,
      receive: false
    })
    assert.equal((await node.client.expect(200, 'GET', `${P}/providerAccounts`))[0].receive, true)
  })

  it("creates an allocation from golem-js's body on the platform's alias, amends it, decorates a demand, releases it", async () => {
    const now = new Date()
    const created = await node.client.expect(201, 'POST', `${P}/allocations`, {
      totalAmount: '12.5',
      paymentPlatform: 'erc20-holesky-tglm',
      address: node.nodeId,
      timestamp: now.toISOString(),
      timeout: new Date(+now + 3600_000).toISOString(),
      makeDeposit: false,
      remainingAmount: '',
      spentAmount: '',
      allocationId: ''
    })
    assert.equal(created.paymentPlatform, PLATFORM)
    assert.equal(created.address, node.nodeId.toLowerCase())
    assert.equal(created.totalAmount, '12.5')
    assert.equal(created.remainingAmount, '12.5')
    assert.equal(created.spentAmount, '0')
    const path = `${P}/allocations/${created.allocationId}`
    assert.equal((await node.client.expect(200, 'PUT', path, { totalAmount: '20' })).remainingAmount, '20')
    const status = await node.client.expect(200, 'GET', `${X}/status`)
    assert.equal(status.reserved, '20')
    const property = `golem.com.payment.platform.${PLATFORM}.address`
    assert.deepEqual(await node.client.expect(200, 'GET', `${P}/demandDecorations?allocationIds=${created.allocationId}`), {
      properties: [{ key: property, value: node.nodeId.toLowerCase() }],
      constraints: [`(${property}=*)`]
    })
    assert.equal((await node.client.call('DELETE', path)).status, 200)
    await refusedUnchanged(410, 'DELETE', path)
  })

  it('refuses bad amounts, unknown platforms, an allocation the balance does not cover, and unknown documents, changing nothing', async () => {
    const body = { totalAmount: '1', paymentPlatform: PLATFORM }
    assert.match(await refusedUnchanged(400, 'POST', `${P}/allocations`, { ...body, totalAmount: '1.0000000000000000001' }), /totalAmount has 19 decimals/)
    assert.match(await refusedUnchanged(400, 'POST', `${P}/allocations`, { ...body, totalAmount: '-3' }), /totalAmount must be a non-negative decimal/)
    assert.match(await refusedUnchanged(400, 'POST', `${P}/allocations`, { ...body, totalAmount: 'NaN' }), /totalAmount must be a non-negative decimal/)
    await refusedUnchanged(400, 'POST', `${P}/allocations`, { ...body, address: `0x${'11'.repeat(20)}` })
    assert.match(await refusedUnchanged(404, 'POST', `${P}/allocations`, { ...body, paymentPlatform: 'erc20-nosuch-tglm' }), /erc20-nosuch-tglm/)
    await refusedUnchanged(409, 'POST', `${P}/allocations`, { ...body, totalAmount: '1000.000000000000000001' })
    await refusedUnchanged(404, 'GET', `${X}/status?platform=erc20-nosuch-tglm`)
    await refusedUnchanged(404, 'GET', `${P}/debitNotes/nosuch`)
    await refusedUnchanged(404, 'POST', `${P}/invoices/nosuch/accept`, { totalAmountAccepted: '1', allocationId: 'nosuch' })
    await refusedUnchanged(400, 'POST', `${P}/invoices/nosuch/accept`, { totalAmountAccepted: '1.x', allocationId: 'nosuch' })
    await refusedUnchanged(404, 'POST', `${P}/debitNotes/nosuch/reject`, { rejectionReason: 'INCORRECT_AMOUNT', totalAmountAccepted: '0' })
    await refusedUnchanged(400, 'POST', `${P}/debitNotes`, { totalAmountDue: '1' })
    await refusedUnchanged(404, 'POST', `${X}/fund`, { platform: 'erc20-nosuch-tglm' })
  })

  it('answers an event poll 200 with [] when its timeout passes, and ends one whose client went away', async () => {
    assert.deepEqual(await node.client.expect(200, 'GET', `${P}/debitNoteEvents?timeout=0.3&appSessionId=none`), [])
    assert.deepEqual(await node.client.expect(200, 'GET', `${P}/invoiceEvents?timeout=0`), [])
    const controller = new AbortController()
    const polled = fetch(`${node.client.url}${P}/invoiceEvents?timeout=300`, {
      headers: { authorization: `Bearer ${node.client.key}` },
      signal: controller.signal
    })
    controller.abort()
    await assert.rejects(polled)
    // The abandoned poll holds nothing: a new one is answered, and the node stops (the after hook) without waiting for it.
    await waitFor('a poll answered after the abandoned one', async () => (await node.client.call('GET', `${P}/invoiceEvents?timeout=0`)).status === 200)
  })
})
