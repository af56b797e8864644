// What the direct payer keeps: each document's payout (queued, then paid with
// its batch and transaction), and each batch from the moment before it is
// sent: its exact documents, so that after a restart the same batch (the same
// id) is taken up again, never a regrouping of documents already sent.
// Keys `q:<agreementId>:<documentId>` while queued, `p:<…>` once paid, and
// `batch:<batchId>` while a batch is in flight (dropped once its documents are
// marked paid, or back in the queue), so a cycle reads only what is open.
import Type, { type Static } from 'typebox'
import { loadEach, silentLogger, validator } from '../../../net/index.ts'
import type { Logger, RawRecordStore } from '../../../net/index.ts'
import { readRecord } from '../../chain/prefixed-store.ts'

const Decimal = Type.String({ pattern: '^(0|[1-9][0-9]{0,77})$' })
const Hex32 = Type.String({ pattern: '^0x[0-9a-f]{64}$' })
const Address = Type.String({ pattern: '^0x[0-9a-f]{40}$' })
/** Ids as the ledger makes them (uuids, hex): no separator of our keys. */
export const ID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/
const Id = Type.String({ pattern: ID_PATTERN.source })

const PayoutRecordSchema = Type.Object(
  {
    documentId: Id,
    agreementId: Id,
    platform: Type.String({ minLength: 1, maxLength: 80 }),
    payee: Address,
    amount: Decimal,
    queuedAt: Type.Integer({ minimum: 0 }),
    state: Type.Union([Type.Literal('queued'), Type.Literal('paid')]),
    batchId: Type.Optional(Hex32),
    txHash: Type.Optional(Hex32)
  },
  { additionalProperties: false }
)
export type PayoutRecord = Static<typeof PayoutRecordSchema>

const BatchRecordSchema = Type.Object(
  {
    batchId: Hex32,
    documentsHash: Hex32,
    path: Type.Union([Type.Literal('cheapest'), Type.Literal('any-erc20')]),
    contract: Type.String({ pattern: '^0x[0-9a-fA-F]{40}$' }),
    gasLimit: Decimal,
    /** The chain's head before the batch was sent: its BatchPaid event is at or after it. */
    fromBlock: Type.Integer({ minimum: 0 }),
    documents: Type.Array(Type.Object({ documentId: Id, agreementId: Id, payee: Address, amount: Decimal }, { additionalProperties: false }), {
      minItems: 1
    }),
    state: Type.Union([Type.Literal('sending'), Type.Literal('paid'), Type.Literal('failed')]),
    txHash: Type.Optional(Hex32)
  },
  { additionalProperties: false }
)
export type BatchRecord = Static<typeof BatchRecordSchema>

const checkPayout = validator(PayoutRecordSchema, 'payout record')
const checkBatch = validator(BatchRecordSchema, 'batch record')

export class PayoutStore {
  readonly #db: RawRecordStore
  readonly #log: Logger

  constructor(components: { db: RawRecordStore; logger?: Logger }) {
    this.#db = components.db
    this.#log = (components.logger ?? silentLogger).child({ component: 'payment:direct-store' })
  }

  async putQueued(record: PayoutRecord): Promise<void> {
    await this.#db.put(`q:${record.agreementId}:${record.documentId}`, JSON.stringify(record), { valueEncoding: 'utf8', sync: true })
  }

  /**
   * Moves a payout from the queue to the paid ones, not synced on its own: the
   * caller keeps its batch on disk as paid until a synced write after these
   * (the log is written in order), so a crash in between only repeats this.
   */
  async markPaid(record: PayoutRecord, batchId: string, txHash: string): Promise<void> {
    const paid: PayoutRecord = { ...record, state: 'paid', batchId, txHash }
    await this.#db.put(`p:${record.agreementId}:${record.documentId}`, JSON.stringify(paid), { valueEncoding: 'utf8', sync: false })
    await this.#db.del(`q:${record.agreementId}:${record.documentId}`, { sync: false })
  }

  async payout(agreementId: string, documentId: string): Promise<PayoutRecord | undefined> {
    const text = (await readRecord(this.#db, `p:${agreementId}:${documentId}`)) ?? (await readRecord(this.#db, `q:${agreementId}:${documentId}`))
    return text === undefined ? undefined : checkPayout.parse(JSON.parse(text))
  }

  /** The queued payouts of `agreementId`, or of every agreement. */
  async queued(agreementId?: string): Promise<PayoutRecord[]> {
    return await this.#load(agreementId === undefined ? 'q:' : `q:${agreementId}:`, checkPayout.parse)
  }

  async paid(agreementId: string): Promise<PayoutRecord[]> {
    return await this.#load(`p:${agreementId}:`, checkPayout.parse)
  }

  async putBatch(record: BatchRecord): Promise<void> {
    await this.#db.put(`batch:${record.batchId}`, JSON.stringify(record), { valueEncoding: 'utf8', sync: true })
  }

  async dropBatch(batchId: string): Promise<void> {
    await this.#db.del(`batch:${batchId}`, { sync: true })
  }

  /** The batches in flight. */
  async batches(): Promise<BatchRecord[]> {
    return await this.#load('batch:', checkBatch.parse)
  }

  async #load<T>(gte: string, parse: (value: unknown, what: string) => T): Promise<T[]> {
    const loaded = await loadEach({
      store: this.#db,
      range: { gte, lt: `${gte}\uffff` },
      parse,
      onBad: bad => this.#log.warn({ ...bad }, 'a direct payout record could not be read; set aside')
    })
    return loaded.map(({ record }) => record)
  }
}
