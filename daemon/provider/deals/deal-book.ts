// The agreements the agent approved, kept in its sublevel: what it watches
// after a restart (and only these: agreements approved through the Market API
// are left alone), with the last time an activity ran under each.
import type { Sublevel } from '../../store/store.ts'

export interface DealRecord {
  readonly agreementId: string
  readonly offerId: string
  readonly requesterId: string
  /** epoch ms the agent approved it (the market's approvedDate counts once it has one). */
  readonly approvedAt: number
  /** epoch ms an activity under it last ended or was seen running. */
  readonly lastActivityAt?: number
}

const PREFIX = 'deal!'

export class DealBook {
  readonly #db: Sublevel
  readonly #deals = new Map<string, DealRecord>()

  constructor(db: Sublevel) {
    this.#db = db
  }

  async load(): Promise<void> {
    for await (const [key, value] of this.#db.iterator({ gt: PREFIX, lt: `${PREFIX}\xff` })) {
      const record = value as DealRecord
      if (typeof record?.agreementId === 'string' && `${PREFIX}${record.agreementId}` === key) this.#deals.set(record.agreementId, record)
    }
  }

  get(agreementId: string): DealRecord | undefined {
    return this.#deals.get(agreementId)
  }

  all(): DealRecord[] {
    return [...this.#deals.values()]
  }

  /** Written before the approval is sent: an approved agreement is always watched. */
  async put(record: DealRecord): Promise<void> {
    await this.#db.put(`${PREFIX}${record.agreementId}`, record, { sync: true } as never)
    this.#deals.set(record.agreementId, record)
  }

  async remove(agreementId: string): Promise<void> {
    await this.#db.del(`${PREFIX}${agreementId}`)
    this.#deals.delete(agreementId)
  }
}
