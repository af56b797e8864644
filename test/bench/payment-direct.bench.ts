// Direct payouts through the payer itself (queue on disk, batch planning, the
// exactly-once sender) on the real dev chain: gas per payment in batches of 100
// payees, fresh (no balance yet) and warm (already holding the token), on the
// cheapest path (the token's payBatch) and the any-ERC20 path (AgoraPayouts;
// its one-time approval not counted); each figure is the batch transaction's
// whole gas (the 21,000 base included) divided by its payees. Then payments
// settled per second on a chain mining a block every second: a backlog of
// payouts to fresh payees, from the cycle's start until every batch is mined.
import { DevChain, devWallet, type PayoutPath } from '../../payment/index.ts'
import { devProvider } from '../helpers/dev-chain.ts'
import { directRig, freshPayees } from '../helpers/direct-payouts.ts'
import { report } from './report.ts'

const PAY_BATCH = 100
const BACKLOG = 2_000

async function gasPerPayment(): Promise<void> {
  const chain = new DevChain()
  await chain.start()
  const provider = devProvider(chain)
  const rig = await directRig(provider, chain.rpcUrl)
  try {
    const paths: Array<{ path: PayoutPath; suffix: string; account: number }> = [
      { path: 'cheapest', suffix: '.cheapest', account: 1 },
      { path: 'any-erc20', suffix: '.any_erc20', account: 2 }
    ]
    let documentNo = 0
    for (const { path, suffix, account } of paths) {
      await rig.mint(devWallet(account).address, 10n ** 24n)
      const { payer } = rig.payer(account, (await rig.database(path)) as never, { init: { path } })
      const payees = freshPayees(PAY_BATCH)
      const batchGas = async (): Promise<number> => {
        for (const payee of payees) {
          await payer.enqueue({
            documentId: `doc-${++documentNo}`,
            agreementId: 'bench',
            platform: rig.network.platform,
            payee,
            amount: 10n ** 15n + BigInt(documentNo)
          })
        }
        const confirmations = await payer.payNow()
        const hashes = new Set(confirmations.map(c => c.txHash))
        if (confirmations.length !== PAY_BATCH || hashes.size !== 1)
          throw new Error(`expected one batch of ${PAY_BATCH}, got ${confirmations.length} in ${hashes.size}`)
        const receipt = await provider.getTransactionReceipt([...hashes][0]!)
        return Math.round(Number(receipt!.gasUsed) / PAY_BATCH)
      }
      const fresh = await batchGas()
      const warm = await batchGas()
      report(`payment.gas_per_payment.batch100.fresh${suffix}`, fresh, 'gas')
      report(`payment.gas_per_payment.batch100.warm${suffix}`, warm, 'gas')
    }
  } finally {
    await rig.close()
    provider.destroy()
    await chain.stop()
  }
}

async function paymentsPerSecond(): Promise<void> {
  const chain = new DevChain({}, { blockTimeSeconds: 1 })
  await chain.start()
  const provider = devProvider(chain)
  try {
    const rig = await directRig(provider, chain.rpcUrl)
    try {
      await rig.mint(devWallet(3).address, 10n ** 24n)
      const { payer } = rig.payer(3, (await rig.database('throughput')) as never, { sender: { pollMs: 100 } })
      const payees = freshPayees(BACKLOG)
      for (const [i, payee] of payees.entries()) {
        await payer.enqueue({ documentId: `tp-${i}`, agreementId: 'bench', platform: rig.network.platform, payee, amount: 10n ** 15n })
      }
      const started = performance.now()
      const confirmations = await payer.payNow()
      const seconds = (performance.now() - started) / 1000
      if (confirmations.length !== BACKLOG) throw new Error(`expected ${BACKLOG} payments, got ${confirmations.length}`)
      report('payment.payments_per_second', BACKLOG / seconds, 'payments/s')
    } finally {
      await rig.close()
    }
  } finally {
    provider.destroy()
    await chain.stop()
  }
}

await gasPerPayment()
await paymentsPerSecond()
