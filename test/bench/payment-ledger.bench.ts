// What the ledger costs per document: pricing a usage vector exactly, and a
// debit note received and accepted on the requester's side (two synced
// LevelDB batches: the document with its event, then the acceptance with the
// allocation it spends), the latency each acceptance adds before its proof.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Level } from 'level'
import { systemClock } from '../../net/index.ts'
import type { OutboxDb } from '../../net/index.ts'
import { Ledger } from '../../payment/ledger/index.ts'
import { linearPricingOf, priceOf } from '../../payment/pricing/index.ts'
import { opsPerSecond, percentile, report } from './report.ts'

const pricing = linearPricingOf({
  'golem.com.usage.vector': ['golem.usage.cpu_sec', 'golem.usage.duration_sec'],
  'golem.com.pricing.model.linear.coeffs': [0.0001, '0.00005', 0]
})
let second = 0
report(
  'payment.price_usage_vector',
  Math.round(
    opsPerSecond(() => {
      second++
      priceOf(pricing, { 'golem.usage.cpu_sec': second * 0.731, 'golem.usage.duration_sec': second })
    })
  ),
  'ops/s'
)

const COUNT = 300
const payer = `0x${'a'.repeat(40)}`
const payee = `0x${'b'.repeat(40)}`
const dir = await mkdtemp(join(tmpdir(), 'agora-ledger-bench-'))
const db = new Level<string, unknown>(join(dir, 'db'), { valueEncoding: 'json' })
try {
  await db.open()
  const ledger = new Ledger({ db: db as unknown as OutboxDb, clock: systemClock, appSessionOf: () => undefined })
  await ledger.open()
  await ledger.createAllocation({
    allocationId: 'bench',
    paymentPlatform: 'erc20-dev-tglm',
    address: payer,
    totalAmount: 10n ** 30n,
    timeout: Date.now() + 3_600_000,
    makeDeposit: false,
    balance: 10n ** 30n
  })
  const received: number[] = []
  const accepted: number[] = []
  for (let i = 1; i <= COUNT; i++) {
    const debitNoteId = `dn-${i}`
    const started = performance.now()
    await ledger.receive({
      kind: 'debit-note',
      role: 'Requestor',
      status: 'RECEIVED',
      document: {
        debitNoteId,
        activityId: 'activity',
        agreementId: 'agreement',
        issuerId: payee,
        recipientId: payer,
        payeeAddr: payee,
        payerAddr: payer,
        paymentPlatform: 'erc20-dev-tglm',
        timestamp: Date.now(),
        totalAmountDue: String(BigInt(i) * 10n ** 15n),
        usageCounterVector: [i, i]
      }
    })
    const stored = performance.now()
    await ledger.accept(debitNoteId, BigInt(i) * 10n ** 15n, 'bench')
    accepted.push(performance.now() - stored)
    received.push(stored - started)
  }
  ledger.close()
  report('payment.ledger_debit_note_received.p50', percentile(received, 50), 'ms')
  report('payment.ledger_debit_note_accepted.p50', percentile(accepted, 50), 'ms')
  report('payment.ledger_debit_note_accepted.p95', percentile(accepted, 95), 'ms')
} finally {
  await db.close()
  await rm(dir, { recursive: true, force: true })
}
