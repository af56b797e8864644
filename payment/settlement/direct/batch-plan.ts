// How queued payouts become batches: per payee the amounts summed, payees in
// address order, at most `maxPayees` per batch, every document of one payee in
// the same batch. The batch id commits to the sorted document ids, so one set
// of documents always gives the same id (and the contracts pay an id once).
import { batchIdOf, documentsHashOf, packPayment } from '../../contracts/index.ts'

export interface QueuedPayout {
  readonly documentId: string
  readonly agreementId: string
  /** Lower-case address. */
  readonly payee: string
  readonly amount: bigint
}

export interface PlannedBatch {
  readonly batchId: string
  readonly documentsHash: string
  /** The documents it pays, sorted by id. */
  readonly documents: readonly QueuedPayout[]
  /** One packed word per payee (payee << 96 | summed amount), in payee order. */
  readonly payments: readonly bigint[]
  readonly total: bigint
}

/** Splits `payouts` into batches of at most `maxPayees` payees. */
export function planBatches(payer: string, token: string, payouts: readonly QueuedPayout[], maxPayees: number): PlannedBatch[] {
  const byPayee = new Map<string, QueuedPayout[]>()
  for (const payout of payouts) {
    const list = byPayee.get(payout.payee) ?? []
    list.push(payout)
    byPayee.set(payout.payee, list)
  }
  const payees = [...byPayee.keys()].sort()
  const batches: PlannedBatch[] = []
  for (let i = 0; i < payees.length; i += maxPayees) {
    const documents = payees.slice(i, i + maxPayees).flatMap(payee => byPayee.get(payee)!)
    batches.push(batchOf(payer, token, documents))
  }
  return batches
}

/** One batch paying exactly `documents`. */
export function batchOf(payer: string, token: string, documents: readonly QueuedPayout[]): PlannedBatch {
  const sums = new Map<string, bigint>()
  for (const doc of documents) sums.set(doc.payee, (sums.get(doc.payee) ?? 0n) + doc.amount)
  const payments = [...sums.keys()].sort().map(payee => packPayment({ payee, amount: sums.get(payee)! }))
  const documentsHash = documentsHashOf(documents.map(d => d.documentId)).toLowerCase()
  return {
    batchId: batchIdOf(payer, token, documentsHash).toLowerCase(),
    documentsHash,
    documents: [...documents].sort((a, b) => (a.documentId < b.documentId ? -1 : a.documentId > b.documentId ? 1 : 0)),
    payments,
    total: [...sums.values()].reduce((a, b) => a + b, 0n)
  }
}

/** The batch split in two halves by payee (for a batch over the gas cap). */
export function halves(payer: string, token: string, batch: PlannedBatch): [PlannedBatch, PlannedBatch] {
  const payees = [...new Set(batch.documents.map(d => d.payee))].sort()
  const firstHalf = new Set(payees.slice(0, Math.ceil(payees.length / 2)))
  return [
    batchOf(
      payer,
      token,
      batch.documents.filter(d => firstHalf.has(d.payee))
    ),
    batchOf(
      payer,
      token,
      batch.documents.filter(d => !firstHalf.has(d.payee))
    )
  ]
}
