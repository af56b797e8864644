// Watches the agreements the agent approved: on the clock, each Approved one
// is judged from stored facts (see termination-reasons.ts) and ended through
// the market with its reason; ended ones leave the book. The payment flow
// issues the invoice when the market reports the termination.
import type { Logger, TimerHandle } from '../../../net/index.ts'
import type { StateEvent } from '../../../exe-unit/index.ts'
import type { DealBook, DealRecord } from './deal-book.ts'
import type { DealKeeperComponents } from './deal-keeper.ts'
import type { RequesterReachability } from './requester-reachability.ts'
import { terminationVerdict } from './termination-reasons.ts'
import type { DealFacts, PayableNote } from './termination-reasons.ts'

export interface DealWatchSettings {
  readonly watchIntervalMs: number
  readonly paymentGraceMs: number
  readonly unreachableAfterMs: number
}

const ENDED = new Set(['Terminated', 'Expired', 'Rejected', 'Cancelled'])

export class DealWatch {
  readonly #c: DealKeeperComponents
  readonly #book: DealBook
  readonly #reachability: RequesterReachability
  readonly #log: Logger
  readonly #settings: DealWatchSettings
  #timer: TimerHandle | undefined
  #watching: Promise<void> | undefined
  #running = false

  constructor(components: DealKeeperComponents, book: DealBook, reachability: RequesterReachability, logger: Logger, settings: DealWatchSettings) {
    this.#c = components
    this.#book = book
    this.#reachability = reachability
    this.#log = logger
    this.#settings = settings
  }

  start(): void {
    this.#running = true
    this.#c.exeUnit.on('state', this.#onActivityState)
    this.#schedule()
  }

  async stop(): Promise<void> {
    this.#running = false
    this.#c.exeUnit.off('state', this.#onActivityState)
    if (this.#timer !== undefined) this.#c.clock.clearTimeout(this.#timer)
    this.#timer = undefined
    await this.#watching
  }

  /** Looks at every deal once; runs on the clock. */
  async watchOnce(): Promise<void> {
    for (const deal of this.#book.all()) {
      await this.#judge(deal).catch((err: unknown) => {
        this.#log.warn({ err, agreementId: deal.agreementId }, 'an agreement could not be watched this time')
      })
    }
  }

  #schedule(): void {
    if (!this.#running) return
    this.#timer = this.#c.clock.setTimeout(() => {
      this.#timer = undefined
      this.#watching = this.watchOnce().finally(() => {
        this.#watching = undefined
        this.#schedule()
      })
    }, this.#settings.watchIntervalMs)
  }

  async #judge(deal: DealRecord): Promise<void> {
    const record = this.#c.market.agreementRecord(deal.agreementId)
    if (record === undefined || ENDED.has(record.state)) {
      await this.#book.remove(deal.agreementId)
      return
    }
    if (record.state !== 'Approved') return
    const facts = this.#factsOf(deal, record.approvedDate === undefined ? deal.approvedAt : Date.parse(record.approvedDate))
    const verdict = terminationVerdict(facts)
    if (verdict === undefined) return
    this.#log.info({ agreementId: deal.agreementId, code: verdict.code }, 'ending an agreement')
    await this.#c.market.terminateAgreement(deal.agreementId, verdict.reason)
    await this.#book.remove(deal.agreementId)
  }

  #factsOf(deal: DealRecord, approvedAt: number): DealFacts {
    const { exeUnit, ledger, settings, clock } = this.#c
    const activities = exeUnit.listActivities({ agreementId: deal.agreementId })
    const documents = ledger.documents.ofAgreement(deal.agreementId, 'Provider')
    const payableNotes: PayableNote[] = []
    let lastActivityAt = deal.lastActivityAt ?? 0
    for (const activity of activities) lastActivityAt = Math.max(lastActivityAt, Date.parse(activity.createdAt) || 0)
    for (const record of documents) {
      if (record.kind !== 'debit-note') continue
      const note = record.document
      // A debit note meters a running activity: it is a sign of activity too.
      lastActivityAt = Math.max(lastActivityAt, note.timestamp)
      if (note.paymentDueDate !== undefined) {
        payableNotes.push({
          debitNoteId: note.debitNoteId,
          activityId: note.activityId,
          amount: BigInt(note.totalAmountDue),
          status: record.status,
          paymentDueDate: note.paymentDueDate
        })
      }
    }
    return {
      now: clock.now(),
      approvedAt,
      activityRunning: activities.some(activity => activity.state.state[0] !== 'Terminated'),
      lastActivityAt: lastActivityAt === 0 ? undefined : lastActivityAt,
      idleAfterMs: settings.settings().idleAgreementSec * 1000,
      payableNotes,
      paymentGraceMs: this.#settings.paymentGraceMs,
      unreachableSince: this.#reachability.unreachableSince(deal.requesterId),
      unreachableAfterMs: this.#settings.unreachableAfterMs
    }
  }

  /** An activity of a deal ended: its time is stored, so the idle time counts from it after a restart too. */
  readonly #onActivityState = (event: StateEvent): void => {
    const deal = this.#book.get(event.agreementId)
    if (deal === undefined || event.state.state[0] !== 'Terminated') return
    this.#book.put({ ...deal, lastActivityAt: this.#c.clock.now() }).catch((err: unknown) => {
      this.#log.warn({ err, agreementId: deal.agreementId }, 'the end of an activity was not stored')
    })
  }
}
