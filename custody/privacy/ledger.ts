// The owner's ε ledger: per dataset, the ε spent so far, in the custody
// sublevel `privacy`. A spend is checked against the budget before anything is
// written, written synced before it counts, and spends are serialised, so
// two queries at once can never overspend. Every spend and every refusal is
// audited.
import { CodedError, loadEach, silentLogger, systemClock } from '../../net/kernel.ts'
import type { Clock, Logger, RawRecordStore } from '../../net/kernel.ts'
import type { AuditSink, PrivacyLedger } from '../model.ts'
import { type Decimal, ZERO, addDecimal, compareDecimal, formatDecimal, readDecimal, subtractDecimal } from './decimal.ts'

export const EPSILON_BUDGET_RULE = 'privacy.epsilonBudget'

const DATASET_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/

/** A spend the budget cannot cover: Forbidden, naming the rule and what is left. */
export class PrivacyBudgetError extends CodedError<'Forbidden'> {
  override name = 'PrivacyBudgetError'
  readonly rule = EPSILON_BUDGET_RULE
  readonly dataset: string
  /** ε still left (decimal string). */
  readonly left: string

  constructor(dataset: string, epsilon: string, left: string, why = '') {
    super('Forbidden', `${EPSILON_BUDGET_RULE}: dataset ${dataset} has ε ${left} left of its budget${why}; this query needs ${epsilon}`)
    this.dataset = dataset
    this.left = left
  }
}

interface LedgerRecord {
  readonly dataset: string
  /** Decimal string. */
  readonly spent: string
  readonly queries: number
  /** ISO time of the last spend. */
  readonly updatedAt: string
}

export interface PrivacyLedgerComponents {
  /** The custody sublevel `privacy`. */
  readonly db: RawRecordStore
  readonly audit: AuditSink
  readonly logger?: Logger
  readonly clock?: Pick<Clock, 'now'>
}

/** Loads the ledger's records (a damaged one is set aside and logged) and returns the ledger. */
export async function openPrivacyLedger(components: PrivacyLedgerComponents): Promise<PrivacyLedger> {
  const log = (components.logger ?? silentLogger).child({ component: 'custody:privacy-ledger' })
  // A record that cannot be read does not reset its budget: the dataset is
  // refused further spends until the owner looks (the record is kept aside).
  const damaged = new Set<string>()
  const loaded = await loadEach({
    store: components.db,
    parse: parseRecord,
    onBad: bad => {
      damaged.add(bad.key)
      log.error({ key: bad.key, reason: bad.reason, quarantinedAs: bad.quarantinedAs }, 'privacy ledger record damaged: set aside, its dataset refuses spends')
    }
  })
  const records = new Map(loaded.map(({ record }) => [record.dataset, record]))
  return new DatasetPrivacyLedger(components, log, records, damaged)
}

class DatasetPrivacyLedger implements PrivacyLedger {
  readonly #db: RawRecordStore
  readonly #audit: AuditSink
  readonly #clock: Pick<Clock, 'now'>
  readonly #log: Logger
  readonly #records: Map<string, LedgerRecord>
  readonly #damaged: ReadonlySet<string>
  #queue: Promise<unknown> = Promise.resolve()

  constructor(components: PrivacyLedgerComponents, log: Logger, records: Map<string, LedgerRecord>, damaged: ReadonlySet<string>) {
    this.#damaged = damaged
    this.#db = components.db
    this.#audit = components.audit
    this.#clock = components.clock ?? systemClock
    this.#log = log
    this.#records = records
  }

  spent(dataset: string): string {
    return this.#records.get(dataset)?.spent ?? '0'
  }

  async spend(dataset: string, epsilon: string, budget: string, ref: { requesterId: string; agreementId?: string }): Promise<void> {
    if (!DATASET_NAME.test(dataset)) throw new CodedError('BadRequest', 'the dataset name must match ^[a-z0-9][a-z0-9._-]{0,63}$')
    const amount = readDecimal(epsilon, 'privacy.epsilonPerQuery')
    if (amount.units === 0n) throw new CodedError('BadRequest', 'privacy.epsilonPerQuery must be above 0')
    const limit = readDecimal(budget, EPSILON_BUDGET_RULE)
    const turn = this.#queue.then(() => this.#spendNow(dataset, amount, limit, ref))
    this.#queue = turn.catch(() => {})
    await turn
  }

  async #spendNow(dataset: string, amount: Decimal, limit: Decimal, ref: { requesterId: string; agreementId?: string }): Promise<void> {
    const before = this.#records.get(dataset)
    const spent = before === undefined ? ZERO : readDecimal(before.spent, 'spent')
    const after = addDecimal(spent, amount)
    const who = { requesterId: ref.requesterId, ...(ref.agreementId === undefined ? {} : { agreementId: ref.agreementId }) }
    const damaged = this.#damaged.has(dataset)
    if (damaged || compareDecimal(after, limit) > 0) {
      const left = !damaged && compareDecimal(limit, spent) > 0 ? formatDecimal(subtractDecimal(limit, spent)) : '0'
      const refusal = new PrivacyBudgetError(dataset, formatDecimal(amount), left, damaged ? ' (its ledger record is damaged)' : '')
      await this.#audit
        .append({
          kind: 'refusal',
          dataset,
          ...who,
          allow: false,
          reasons: [{ rule: EPSILON_BUDGET_RULE, message: refusal.message }],
          detail: { epsilon: formatDecimal(amount), spent: formatDecimal(spent), budget: formatDecimal(limit), left }
        })
        .catch((err: unknown) => this.#log.error({ err, dataset }, 'could not audit a refused privacy spend'))
      throw refusal
    }
    const record: LedgerRecord = {
      dataset,
      spent: formatDecimal(after),
      queries: (before?.queries ?? 0) + 1,
      updatedAt: new Date(this.#clock.now()).toISOString()
    }
    await this.#db.put(dataset, JSON.stringify(record), { valueEncoding: 'utf8', sync: true })
    this.#records.set(dataset, record)
    // The spend stands even if the audit write fails: the budget errs on the side of the data.
    await this.#audit.append({
      kind: 'privacy-spent',
      dataset,
      ...who,
      allow: true,
      detail: { epsilon: formatDecimal(amount), spent: record.spent, budget: formatDecimal(limit), left: formatDecimal(subtractDecimal(limit, after)) }
    })
  }
}

function parseRecord(value: unknown, key: string): LedgerRecord {
  const record = value as Partial<LedgerRecord> | null
  if (
    record === null ||
    typeof record !== 'object' ||
    record.dataset !== key ||
    typeof record.spent !== 'string' ||
    !Number.isSafeInteger(record.queries) ||
    typeof record.updatedAt !== 'string'
  ) {
    throw new Error('not a privacy ledger record')
  }
  readDecimal(record.spent, 'spent')
  return { dataset: record.dataset, spent: record.spent, queries: record.queries as number, updatedAt: record.updatedAt }
}
