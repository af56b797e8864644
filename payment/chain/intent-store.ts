// The intents of one TxSender: what a caller asked to happen on chain (an id
// it chose and the call), written before anything is signed, and what became
// of it. Keys `intent:<id>`; a final state is kept so that asking again for
// the same id answers from it instead of sending anything.
import Type, { type Static } from 'typebox'
import { loadEach, silentLogger, validator } from '../../net/index.ts'
import type { Logger, RawRecordStore } from '../../net/index.ts'
import { readRecord } from './prefixed-store.ts'

const Decimal = Type.String({ pattern: '^(0|[1-9][0-9]{0,77})$' })
const Hex32 = Type.String({ pattern: '^0x[0-9a-f]{64}$' })

export const INTENT_ID_MAX = 200

const IntentRecordSchema = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: INTENT_ID_MAX }),
    to: Type.String({ pattern: '^0x[0-9a-fA-F]{40}$' }),
    data: Type.String({ pattern: '^0x([0-9a-f]{2})*$' }),
    value: Decimal,
    gasLimit: Type.Optional(Decimal),
    /** How many times it was started afresh (a failed attempt may be tried again). */
    attempt: Type.Integer({ minimum: 1 }),
    state: Type.Union([Type.Literal('pending'), Type.Literal('mined'), Type.Literal('done'), Type.Literal('failed')]),
    hash: Type.Optional(Hex32),
    blockNumber: Type.Optional(Type.Integer({ minimum: 0 })),
    code: Type.Optional(Type.String({ maxLength: 40 })),
    reason: Type.Optional(Type.String({ maxLength: 500 }))
  },
  { additionalProperties: false }
)
const checkIntent = validator(IntentRecordSchema, 'intent record')

export type IntentRecord = Static<typeof IntentRecordSchema>

const PREFIX = 'intent:'

export class IntentStore {
  readonly #db: RawRecordStore
  readonly #log: Logger

  constructor(components: { db: RawRecordStore; logger?: Logger }) {
    this.#db = components.db
    this.#log = (components.logger ?? silentLogger).child({ component: 'payment:intents' })
  }

  /** Writes `record` synced to disk. */
  async put(record: IntentRecord): Promise<void> {
    await this.#db.put(PREFIX + record.id, JSON.stringify(record), { valueEncoding: 'utf8', sync: true })
  }

  async get(id: string): Promise<IntentRecord | undefined> {
    const text = await readRecord(this.#db, PREFIX + id)
    return text === undefined ? undefined : checkIntent.parse(JSON.parse(text), `intent ${id}`)
  }

  /** The intents not yet mined, done or failed. */
  async pending(): Promise<IntentRecord[]> {
    const loaded = await loadEach({
      store: this.#db,
      range: { gte: PREFIX, lt: `${PREFIX}\uffff` },
      parse: (value, key) => checkIntent.parse(value, `intent record ${key}`),
      onBad: bad => this.#log.warn({ ...bad }, 'an intent record could not be read; set aside')
    })
    return loaded.map(({ record }) => record).filter(record => record.state === 'pending')
  }
}
