import assert from 'node:assert/strict'
import { access, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { JsonRpcProvider, parseEther } from 'ethers'
import { attach, testTokenArtifact } from '../../payment/index.ts'
import { agora, reapChildren } from '../helpers/agora-process.ts'
import type { Result } from '../helpers/agora-process.ts'
import { startChainDev } from '../helpers/chain-dev-process.ts'
import type { ChainDevProcess } from '../helpers/chain-dev-process.ts'
import { Cluster } from '../helpers/cluster.ts'
import type { NodeOptions, TestNode } from '../helpers/cluster.ts'
import { approvedAgreement } from '../helpers/negotiation.ts'

const PLATFORM = 'erc20-holesky-tglm'
const PAYMENT_API = '/payment-api/v1'
const WAIT_MS = 90_000

/** Runs `agora payment <args>` on a node's data dir; it must succeed. */
async function payment(node: TestNode, args: string[]): Promise<Result> {
  const result = await agora(['payment', ...args, '--data-dir', node.dataDir])
  assert.equal(result.code, 0, `agora payment ${args.join(' ')}: ${result.stderr}`)
  return result
}

async function paymentJson<T = any>(node: TestNode, args: string[]): Promise<T> {
  return JSON.parse((await payment(node, [...args, '--json'])).stdout) as T
}

/** Waits, by long polls of the node's REST API, for a debit note or invoice event that passes `test`. */
async function event(node: TestNode, kind: 'debitNote' | 'invoice', test: (event: any) => boolean): Promise<any> {
  const deadline = Date.now() + WAIT_MS
  let after: string | undefined
  while (Date.now() < deadline) {
    const query = new URLSearchParams({ timeout: '5', maxEvents: '100' })
    if (after !== undefined) query.set('afterTimestamp', after)
    const events = await node.client.expect<any[]>(200, 'GET', `${PAYMENT_API}/${kind}Events?${query.toString()}`)
    const found = events.find(test)
    if (found !== undefined) return found
    if (events.length > 0) after = events.at(-1).eventDate
  }
  throw new Error(`no such ${kind} event within ${WAIT_MS} ms`)
}

describe('agora payment', function () {
  this.timeout(180_000)
  let dir: string

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agora-payment-cli-'))
  })
  afterEach(async () => {
    await reapChildren()
  })
  after(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('refuses bad options with exit code 2, and says so when no daemon runs', async () => {
    const dataDir = join(dir, 'none')
    for (const [args, message] of [
      [['status', '--platform', 'polygon'], /--platform: "polygon" is not a payment platform/],
      [['status', '--address', '0x12'], /--address: "0x12" is not a 0x address/],
      [['fund', '--platform', 'ERC20-x-y'], /--platform/],
      [['claim', '--deposit', '0xabc'], /--deposit: "0xabc" is not a deposit id/],
      [['deposits', 'extra'], /unexpected argument "extra"/]
    ] as const) {
      const result = await agora(['payment', ...args, '--data-dir', dataDir])
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`)
      assert.match(result.stderr, message)
    }
    for (const command of ['status', 'accounts', 'deposits', 'claim', 'fund']) {
      const result = await agora(['payment', command, '--data-dir', dataDir])
      assert.equal(result.code, 1, result.stderr)
      assert.match(result.stderr, /^agora: no daemon is running on .*: the payment commands ask a running one/)
    }
    await assert.rejects(access(join(dataDir, 'db')), 'no store was opened')
  })

  describe('the whole path as a user drives it: agora chain dev, two daemons on its network file, the payment commands', () => {
    const cluster = new Cluster()
    let chain: ChainDevProcess
    let provider: TestNode
    let requester: TestNode
    let rpc: JsonRpcProvider

    before(async function () {
      this.timeout(180_000)
      chain = await startChainDev(join(dir, 'dev-chain'))
      const options: NodeOptions = {
        configure: config => {
          config.modules.payment = {
            networkFiles: [chain.info.networkFile],
            debitNoteIntervalMs: 300,
            outboxMinRetryMs: 50,
            outboxMaxRetryMs: 500,
            finalUsageWaitMs: 10_000,
            // Claimed when asked (agora payment claim) or at the agreement's end, not because the gas is cheap.
            claimWorthGasFactor: 1e15
          }
        }
      }
      provider = await cluster.start(options)
      requester = await cluster.start(options)
      rpc = new JsonRpcProvider(chain.info.rpcUrl, chain.info.chainId, { staticNetwork: true, cacheTimeout: -1 })
    })
    after(async function () {
      this.timeout(60_000)
      rpc?.destroy()
      await cluster.stop()
      chain?.child.kill('SIGTERM')
      await chain?.exited
    })

    it('funds, lists accounts and status, shows deposits both sides, claims mid-agreement and at its end: balances on chain', async () => {
      const token = attach(testTokenArtifact, chain.info.contracts.token, rpc)
      const balanceOf = async (node: TestNode): Promise<bigint> => (await token.getFunction('balanceOf')(node.nodeId)) as bigint

      // Funds: test tokens and gas from the dev network's faucet.
      for (const node of [requester, provider]) {
        const funded = await paymentJson(node, ['fund'])
        assert.equal(funded.token, '1000')
        assert.ok(funded.txHashes.length >= 1)
        assert.equal(await balanceOf(node), parseEther('1000'))
      }
      const fundedText = await payment(requester, ['fund', '--platform', PLATFORM])
      assert.match(fundedText.stdout, /^funded: 1000 tokens, 1 gas\n/)
      assert.equal(await balanceOf(requester), parseEther('2000'))

      const accounts = await paymentJson(requester, ['accounts'])
      assert.deepEqual(
        accounts.requestor.map((a: any) => [a.platform, a.address.toLowerCase(), a.send]),
        [['erc20-dev-tglm', requester.nodeId.toLowerCase(), true]]
      )
      assert.ok(accounts.provider.some((a: any) => a.platform === 'erc20-dev-tglm' && a.receive === true))
      const accountsText = (await payment(requester, ['accounts'])).stdout
      assert.match(accountsText, /^ROLE\s+PLATFORM\s+ADDRESS\s+SEND\s+RECEIVE\n/)
      assert.match(accountsText, /requestor\s+erc20-dev-tglm\s+0x[0-9a-fA-F]{40}\s+yes/)

      const status = await paymentJson(provider, ['status', '--platform', PLATFORM])
      assert.equal(status.tokenBalance, '1000')
      assert.equal(status.network, 'dev')
      assert.match((await payment(provider, ['status'])).stdout, /^tokenBalance\s+1000$/m)
      // A platform the daemon does not know is refused by it, in its words.
      const unknownPlatform = await agora(['payment', 'status', '--platform', 'erc20-polygon-glm', '--data-dir', provider.dataDir])
      assert.equal(unknownPlatform.code, 1)
      assert.match(unknownPlatform.stderr, /^agora: payment platform erc20-polygon-glm is not configured on this node\n$/)
      assert.deepEqual(await paymentJson(provider, ['deposits']), [])
      assert.equal((await payment(provider, ['deposits'])).stdout, 'no deposits\n')

      // An agreement whose debit notes the requester accepts, with vouchers.
      const allocation = await requester.client.expect<{ allocationId: string }>(201, 'POST', `${PAYMENT_API}/allocations`, {
        totalAmount: '100',
        paymentPlatform: PLATFORM,
        makeDeposit: false
      })
      const { agreementId } = await approvedAgreement(
        { nodeId: provider.nodeId, client: provider.client },
        { nodeId: requester.nodeId, client: requester.client },
        {
          demandExtra: {
            'golem.com.payment.chosen-platform': PLATFORM,
            [`golem.com.payment.platform.${PLATFORM}.address`]: requester.nodeId.toLowerCase(),
            'golem.srv.comp.task_package': 'http://127.0.0.1:9/never-fetched.wasm'
          }
        }
      )
      await requester.client.expect(201, 'POST', '/activity-api/v1/activity', { agreementId })
      const received = await event(requester, 'debitNote', e => e.eventType === 'DebitNoteReceivedEvent')
      const note = await requester.client.expect<any>(200, 'GET', `${PAYMENT_API}/debitNotes/${received.debitNoteId}`)
      assert.equal(note.agreementId, agreementId)
      await requester.client.expect(200, 'POST', `${PAYMENT_API}/debitNotes/${note.debitNoteId}/accept`, {
        totalAmountAccepted: note.totalAmountDue,
        allocationId: allocation.allocationId
      })
      await event(provider, 'debitNote', e => e.eventType === 'DebitNoteAcceptedEvent' && e.debitNoteId === note.debitNoteId)

      // Both sides see the deposit and the voucher.
      const [requesterDeposit] = await paymentJson(requester, ['deposits'])
      assert.equal(requesterDeposit.role, 'Requestor')
      assert.deepEqual(requesterDeposit.agreementIds, [agreementId])
      assert.equal(requesterDeposit.voucherCumulative, note.totalAmountDue)
      const [providerDeposit] = await paymentJson(provider, ['deposits'])
      assert.equal(providerDeposit.role, 'Provider')
      assert.equal(providerDeposit.depositId, requesterDeposit.depositId)
      assert.equal(providerDeposit.voucherCumulative, note.totalAmountDue)
      assert.equal(providerDeposit.claimed, '0')
      const table = (await payment(provider, ['deposits'])).stdout
      assert.match(table, /^DEPOSIT\s+ROLE\s+PLATFORM\s+AMOUNT\s+CLAIMED\s+VOUCHER\s+DEADLINE\n/)
      assert.ok(table.includes(providerDeposit.depositId))

      // A deposit that is not this provider's is refused by the daemon, and nothing is claimed.
      const unknown = await agora(['payment', 'claim', '--deposit', `0x${'ab'.repeat(32)}`, '--data-dir', provider.dataDir])
      assert.equal(unknown.code, 1)
      assert.match(unknown.stderr, /^agora: /)
      assert.equal(await balanceOf(provider), parseEther('1000'))

      // Claimed on demand while the agreement runs: exactly the voucher's value reaches the provider.
      const claimed = await paymentJson(provider, ['claim', '--all', '--deposit', providerDeposit.depositId])
      assert.deepEqual(claimed.depositIds, [providerDeposit.depositId])
      assert.equal(claimed.amount, note.totalAmountDue)
      assert.match(claimed.txHash, /^0x[0-9a-f]{64}$/)
      const afterClaim = await balanceOf(provider)
      assert.equal(afterClaim - parseEther('1000'), parseEther(note.totalAmountDue))
      assert.equal((await payment(provider, ['claim', '--all'])).stdout, 'nothing to claim now\n')

      // The invoice, accepted, is claimed at the agreement's end: the provider holds the invoice's amount.
      await requester.client.expect(204, 'POST', `/market-api/v1/agreements/${agreementId}/terminate`, { message: 'done' })
      const invoiceReceived = await event(requester, 'invoice', e => e.eventType === 'InvoiceReceivedEvent')
      const invoice = await requester.client.expect<any>(200, 'GET', `${PAYMENT_API}/invoices/${invoiceReceived.invoiceId}`)
      await requester.client.expect(200, 'POST', `${PAYMENT_API}/invoices/${invoice.invoiceId}/accept`, {
        totalAmountAccepted: invoice.amount,
        allocationId: allocation.allocationId
      })
      await event(provider, 'invoice', e => e.eventType === 'InvoiceSettledEvent' && e.invoiceId === invoice.invoiceId)
      assert.equal((await balanceOf(provider)) - parseEther('1000'), parseEther(invoice.amount))
      const [settled] = await paymentJson(provider, ['deposits'])
      assert.equal(settled.claimed, invoice.amount)
      // The requester's tokens are what it was given less what its deposit locked (the rest is reclaimable after the deadline).
      const [locked] = await paymentJson(requester, ['deposits'])
      assert.equal(locked.claimed, invoice.amount)
      assert.equal((await balanceOf(requester)) + parseEther(locked.amount), parseEther('2000'))
      const finalStatus = await paymentJson(provider, ['status'])
      assert.equal(parseEther(finalStatus.tokenBalance), await balanceOf(provider))
    })
  })
})
