// Escrow settlement through the settlement service on the real dev chain (the
// raw contracts' figures are in payment-gas.bench.ts): gas per deposit opened
// when 50 prepares arrive together (one createMany), gas per deposit claimed
// when 50 vouchers are claimed by one claim() (one claimMany), and how long the
// provider takes to verify and keep a voucher (p50/p95, ms). The standing
// allowance is approved once per token; its gas is reported apart, and as the
// share a per-batch approve would add.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseEther } from 'ethers'
import { DevChain, type SignedVoucher } from '../../payment/index.ts'
import { devProvider } from '../helpers/dev-chain.ts'
import { mintTo, SettlementNode, settlementWorld, termsBetween } from '../helpers/settlement.ts'
import { percentile, report } from './report.ts'

const BATCH = 50
const VERIFY_ROUNDS = 8

const chain = new DevChain()
await chain.start()
const provider = devProvider(chain)
const dir = await mkdtemp(join(tmpdir(), 'agora-bench-escrow-'))
const world = await settlementWorld({ chain, provider })
const requester = new SettlementNode(world, { index: 1, dir: join(dir, 'requester') })
const payee = new SettlementNode(world, { index: 2, dir: join(dir, 'provider'), init: { claimWorthGasFactor: 1e15 } })
try {
  await mintTo(world, requester.address, '100000')
  await requester.start()
  await payee.start()
  const gasOf = async (hash: string): Promise<number> => Number((await provider.getTransactionReceipt(hash))!.gasUsed)
  const openedBy = async (depositId: string): Promise<string> =>
    (await world.contracts.escrow.queryFilter(world.contracts.escrow.filters.DepositOpened(depositId)))[0]!.transactionHash

  /** The requester's approve mined since `from` (automine: one transaction per block). */
  const approveSince = async (from: number): Promise<string | undefined> => {
    for (let n = from; n <= (await provider.getBlockNumber()); n++) {
      const block = await provider.getBlock(n, true)
      const approve = block?.prefetchedTransactions.find(tx => tx.from.toLowerCase() === requester.address && tx.data.startsWith('0x095ea7b3'))
      if (approve !== undefined) return approve.hash
    }
    return undefined
  }

  const openBatch = async () => {
    const now = Date.now()
    const all = Array.from({ length: BATCH }, () => termsBetween(requester, payee, { now, expiresInMs: 24 * 3_600_000 }))
    await Promise.all(all.map(terms => requester.settlement.requester.prepare(terms, parseEther('10'))))
    return all
  }

  // The first batch also sets the standing allowance; the second is what every later batch costs.
  const firstBlock = (await provider.getBlockNumber()) + 1
  await openBatch()
  const approveHash = await approveSince(firstBlock)
  const batch = await openBatch()
  const ids: string[] = []
  const vouchers: Array<{ terms: (typeof batch)[number]; voucher: SignedVoucher }> = []
  for (const terms of batch) {
    const proof = await requester.settlement.requester.settleAccepted(terms, 'dn-1', parseEther('1'))
    if (proof.kind !== 'voucher') throw new Error('escrow gives vouchers')
    vouchers.push({ terms, voucher: proof.voucher })
    ids.push(proof.voucher.depositId)
  }
  const openGas = await gasOf(await openedBy(ids[0]!))
  report('payment.gas_per_deposit_open.batch50', Math.round(openGas / BATCH), 'gas')
  if (approveHash !== undefined) {
    const approveGas = await gasOf(approveHash)
    report('payment.gas_allowance_approve', approveGas, 'gas')
    report('payment.gas_per_deposit_open.batch50.approve_per_batch', Math.round((openGas + approveGas) / BATCH), 'gas')
  }

  // Voucher verification: every deposit's voucher raised VERIFY_ROUNDS times, each checked and kept by the provider.
  const samples: number[] = []
  for (let round = 1; round <= VERIFY_ROUNDS; round++) {
    for (const { terms } of vouchers) {
      const proof = await requester.settlement.requester.settleAccepted(terms, `dn-${round}`, parseEther('1') + BigInt(round) * 10n ** 15n)
      if (proof.kind !== 'voucher') throw new Error('escrow gives vouchers')
      const start = performance.now()
      const result = await payee.settlement.provider.acceptVoucher(terms, proof.voucher)
      samples.push(performance.now() - start)
      if (!result.ok) throw new Error(`voucher refused: ${result.reason}`)
    }
  }
  report('payment.voucher_verify.p50', percentile(samples, 50), 'ms')
  report('payment.voucher_verify.p95', percentile(samples, 95), 'ms')

  // Claims: the 50 deposits' best vouchers in one claimMany.
  const outcome = await payee.settlement.claim({ all: true })
  if (outcome.depositIds.length !== BATCH || outcome.txHash === undefined)
    throw new Error(`expected one claimMany of ${BATCH}, got ${outcome.depositIds.length}`)
  report('payment.gas_per_deposit_claim.batch50', Math.round((await gasOf(outcome.txHash)) / BATCH), 'gas')
} finally {
  await payee.stop()
  await requester.stop()
  provider.destroy()
  await chain.stop()
  await rm(dir, { recursive: true, force: true })
}
