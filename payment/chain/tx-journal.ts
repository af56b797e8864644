// The transaction journal: every signed transaction (its nonce, fees, raw
// bytes and hash) is on disk before it is broadcast, so a daemon that crashes
// at any point can, after a restart, ask the chain what became of each one and
// send again exactly the bytes it signed: never a second, different payment.
// Keys `tx:<from>:<nonce>:<hash>` (from in lower case, nonce in 16 digits):
// one nonce may carry several hashes (replacements), and all are kept until
// the chain has mined one transaction of that nonce.
import { Transaction } from 'ethers'
import Type from 'typebox'
import type { Provider } from 'ethers'
import { loadEach, silentLogger, validator } from '../../net/index.ts'
import type { BadRecord, Logger, RawRecordStore } from '../../net/index.ts'
import type { SignedTransaction } from './nonce-lane.ts'

const Decimal = Type.String({ pattern: '^(0|[1-9][0-9]{0,77})$' })
const JournalRecordSchema = Type.Object(
  {
    from: Type.String({ pattern: '^0x[0-9a-fA-F]{40}$' }),
    nonce: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
    hash: Type.String({ pattern: '^0x[0-9a-f]{64}$' }),
    raw: Type.String({ pattern: '^0x([0-9a-f]{2})+$', maxLength: 262_144 }),
    gasLimit: Decimal,
    maxFeePerGas: Decimal,
    maxPriorityFeePerGas: Decimal,
    intent: Type.Optional(Type.String({ minLength: 1, maxLength: 300 }))
  },
  { additionalProperties: false }
)
const checkRecord = validator(JournalRecordSchema, 'journal record')

const PREFIX = 'tx:'

export interface RebroadcastOutcome {
  /** Transactions sent again (not yet mined when the journal was read). */
  readonly rebroadcast: readonly string[]
  /** Nonces the chain has mined, whose records were dropped. */
  readonly settled: number
}

export class TxJournal {
  readonly #db: RawRecordStore
  readonly #log: Logger

  constructor(components: { db: RawRecordStore; logger?: Logger }) {
    this.#db = components.db
    this.#log = (components.logger ?? silentLogger).child({ component: 'payment:tx-journal' })
  }

  /** Writes `tx` (synced to disk) before it may be broadcast: a NonceLane's beforeBroadcast. */
  readonly record = async (tx: SignedTransaction): Promise<void> => {
    const record = {
      from: tx.from,
      nonce: tx.nonce,
      hash: tx.hash.toLowerCase(),
      raw: tx.raw.toLowerCase(),
      gasLimit: String(tx.gasLimit),
      maxFeePerGas: String(tx.fees.maxFeePerGas),
      maxPriorityFeePerGas: String(tx.fees.maxPriorityFeePerGas),
      ...(tx.intent === undefined ? {} : { intent: tx.intent })
    }
    await this.#db.put(keyOf(record), JSON.stringify(record), { valueEncoding: 'utf8', sync: true })
  }

  /** Drops one transaction's record: the node refused it, so it can never be mined. */
  readonly forget = async (tx: SignedTransaction): Promise<void> => {
    await this.#db.del(keyOf({ from: tx.from, nonce: tx.nonce, hash: tx.hash }), { sync: true })
  }

  /** The transactions not yet known to be mined, in key order (by sender, then nonce). */
  async pending(): Promise<SignedTransaction[]> {
    const loaded = await loadEach({
      store: this.#db,
      range: { gte: PREFIX, lt: `${PREFIX}~` },
      parse: parseRecord,
      onBad: (bad: BadRecord) => this.#log.warn({ ...bad }, 'a journal record could not be read; set aside')
    })
    return loaded.map(({ record }) => record)
  }

  /** Drops every record of `from`'s `nonce`: the chain has mined one transaction with it. */
  async settle(from: string, nonce: number): Promise<number> {
    const gte = `${PREFIX}${from.toLowerCase()}:${pad(nonce)}:`
    const keys: string[] = []
    for await (const [key] of this.#db.iterator({ gte, lt: `${gte}~`, valueEncoding: 'utf8' })) keys.push(key)
    for (const key of keys) await this.#db.del(key, { sync: true })
    return keys.length
  }

  /**
   * After a restart: each journalled nonce the chain has mined is settled; every
   * other transaction is broadcast again, byte for byte. Run it before any lane
   * sends, so the lanes' pending counts include what it sent again.
   */
  async rebroadcastPending(provider: Provider): Promise<RebroadcastOutcome> {
    const rebroadcast: string[] = []
    let settled = 0
    const minedCount = new Map<string, number>()
    const settledNonces = new Set<string>()
    for (const tx of await this.pending()) {
      const nonceKey = `${tx.from.toLowerCase()}:${tx.nonce}`
      if (settledNonces.has(nonceKey)) continue
      let mined = minedCount.get(tx.from.toLowerCase())
      if (mined === undefined) {
        mined = await provider.getTransactionCount(tx.from, 'latest')
        minedCount.set(tx.from.toLowerCase(), mined)
      }
      if (tx.nonce < mined) {
        await this.settle(tx.from, tx.nonce)
        settledNonces.add(nonceKey)
        settled++
        continue
      }
      try {
        await provider.broadcastTransaction(tx.raw)
        rebroadcast.push(tx.hash)
      } catch (err) {
        // The node already holds it, or holds a replacement of it: the chain will say which is mined.
        this.#log.warn({ err, hash: tx.hash, nonce: tx.nonce }, 'a journalled transaction was not taken again')
      }
    }
    return { rebroadcast, settled }
  }
}

function parseRecord(value: unknown, key: string): SignedTransaction {
  const record = checkRecord.parse(value, `journal record ${key}`)
  const decoded = Transaction.from(record.raw)
  if (decoded.hash !== record.hash || decoded.nonce !== record.nonce || decoded.from?.toLowerCase() !== record.from.toLowerCase() || key !== keyOf(record)) {
    throw new Error(`journal record ${key} does not match its signed bytes`)
  }
  return {
    from: decoded.from,
    nonce: record.nonce,
    hash: record.hash,
    raw: record.raw,
    gasLimit: BigInt(record.gasLimit),
    fees: { maxFeePerGas: BigInt(record.maxFeePerGas), maxPriorityFeePerGas: BigInt(record.maxPriorityFeePerGas) },
    ...(record.intent === undefined ? {} : { intent: record.intent })
  }
}

function keyOf(record: { from: string; nonce: number; hash: string }): string {
  return `${PREFIX}${record.from.toLowerCase()}:${pad(record.nonce)}:${record.hash.toLowerCase()}`
}

function pad(nonce: number): string {
  return String(nonce).padStart(16, '0')
}
