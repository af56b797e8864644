// The debit-note and invoice event logs a REST client long-polls. Every event
// gets an eventDate strictly above the node's previous one (of either kind), so
// `afterTimestamp` = the last date seen resumes exactly after it. Events are
// written in the same batch as the change they report; waits end on a new
// event, their timeout or their signal.
import Type from 'typebox'
import type { Static } from 'typebox'
import { ChangeSignal, InOrderRelease, validator } from '../../net/index.ts'
import type { Clock, StoreOp } from '../../net/index.ts'
import type { DebitNoteEvent, DebitNoteEventType, InvoiceEvent, InvoiceEventType, Rejection } from '../model/documents.ts'
import { RejectionWire, rejectionOf, rejectionWire } from './records.ts'

export const StoredEvent = Type.Object(
  {
    kind: Type.Union([Type.Literal('debit-note'), Type.Literal('invoice')]),
    eventType: Type.String({ pattern: '^(DebitNote|Invoice)(Received|Accepted|Rejected|Cancelled|Settled|Failed)Event$' }),
    eventDate: Type.Integer({ minimum: 0 }),
    documentId: Type.String({ minLength: 1, maxLength: 128 }),
    appSessionId: Type.Optional(Type.String({ maxLength: 256 })),
    rejection: Type.Optional(RejectionWire)
  },
  { additionalProperties: false }
)
export type StoredEvent = Static<typeof StoredEvent>
export const storedEvent = validator(StoredEvent, 'stored payment event')

export const EVENT_PREFIX = 'ev:'
/** Events kept in memory and on disk per kind; the oldest go first. */
const MAX_EVENTS = 100_000

export interface EventInput {
  readonly kind: 'debit-note' | 'invoice'
  readonly eventType: DebitNoteEventType | InvoiceEventType
  readonly documentId: string
  readonly appSessionId?: string | undefined
  readonly rejection?: Rejection | undefined
}

export interface EventWait {
  readonly afterTimestamp?: number | undefined
  readonly timeoutMs: number
  readonly maxEvents: number
  readonly appSessionId?: string | undefined
  readonly signal?: AbortSignal | undefined
}

export class EventLog {
  readonly #clock: Clock
  readonly #changed: ChangeSignal
  readonly #events = { 'debit-note': [] as StoredEvent[], invoice: [] as StoredEvent[] }
  #lastDate = 0
  #closed = false
  /** Events become visible in date order; those no longer kept are deleted with a later batch. */
  readonly #release = new InOrderRelease<StoredEvent>(released => {
    this.#visible(released)
  })

  constructor(clock: Clock) {
    this.#clock = clock
    this.#changed = new ChangeSignal(clock)
  }

  /** Loaded events, in any order. */
  load(events: readonly StoredEvent[]): void {
    for (const event of [...events].sort((a, b) => a.eventDate - b.eventDate)) {
      this.#events[event.kind].push(event)
      this.#lastDate = Math.max(this.#lastDate, event.eventDate)
    }
  }

  /**
   * The store ops for a new event, for the batch of the change it reports;
   * `commit` once that batch is written makes it visible (in date order,
   * whatever order concurrent batches land in), `abandon` if it failed.
   * Events beyond those kept are deleted by a later batch.
   */
  prepare(input: EventInput): { ops: StoreOp[]; commit: () => void; abandon: () => void } {
    const eventDate = Math.max(this.#clock.now(), this.#lastDate + 1)
    this.#lastDate = eventDate
    const event: StoredEvent = {
      kind: input.kind,
      eventType: input.eventType,
      eventDate,
      documentId: input.documentId,
      ...(input.appSessionId === undefined ? {} : { appSessionId: input.appSessionId }),
      ...(input.rejection === undefined ? {} : { rejection: rejectionWire(input.rejection) })
    }
    const { deletes, commit, abandon } = this.#release.stage(event)
    return {
      ops: [...deletes.map(key => ({ type: 'del', key }) as StoreOp), { type: 'put', key: eventKey(event), value: event }],
      commit,
      abandon
    }
  }

  #visible(released: StoredEvent[]): void {
    for (const event of released) {
      const list = this.#events[event.kind]
      list.push(event)
      if (list.length > MAX_EVENTS) {
        const oldest = list.shift()
        if (oldest !== undefined) this.#release.forget(eventKey(oldest))
      }
    }
    this.#changed.notify()
  }

  async debitNoteEvents(wait: EventWait): Promise<DebitNoteEvent[]> {
    const events = await this.#collect('debit-note', wait)
    return events.map(e => ({ ...common(e), eventType: e.eventType as DebitNoteEventType, debitNoteId: e.documentId }))
  }

  async invoiceEvents(wait: EventWait): Promise<InvoiceEvent[]> {
    const events = await this.#collect('invoice', wait)
    return events.map(e => ({ ...common(e), eventType: e.eventType as InvoiceEventType, invoiceId: e.documentId }))
  }

  /** Ends every wait with what there is (the daemon is stopping). */
  close(): void {
    this.#closed = true
    this.#changed.notify()
  }

  async #collect(kind: 'debit-note' | 'invoice', wait: EventWait): Promise<StoredEvent[]> {
    return await longPoll(
      () => this.#events[kind],
      wait,
      this.#clock,
      this.#changed,
      () => this.#closed
    )
  }
}

function common(event: StoredEvent): { eventDate: number; appSessionId?: string; rejection?: Rejection } {
  return {
    eventDate: event.eventDate,
    ...(event.appSessionId === undefined ? {} : { appSessionId: event.appSessionId }),
    ...(event.rejection === undefined ? {} : { rejection: rejectionOf(event.rejection) })
  }
}

function eventKey(event: StoredEvent): string {
  return `${EVENT_PREFIX}${event.kind}:${String(event.eventDate).padStart(16, '0')}`
}

/**
 * A long poll of dated entries (the payment events, the issued documents):
 * those after `afterTimestamp` (of the app session asked for) as soon as there
 * are any, else [] when the time is up, the caller gives up or the log closes.
 */
export async function longPoll<T extends { eventDate: number; appSessionId?: string | undefined }>(
  entries: () => readonly T[],
  wait: EventWait,
  clock: Clock,
  changed: ChangeSignal,
  closed: () => boolean
): Promise<T[]> {
  const after = wait.afterTimestamp ?? Number.NEGATIVE_INFINITY
  const deadline = clock.now() + Math.max(0, wait.timeoutMs)
  for (;;) {
    const found = entries()
      .filter(e => e.eventDate > after && (wait.appSessionId === undefined || e.appSessionId === wait.appSessionId))
      .slice(0, Math.max(1, wait.maxEvents))
    if (found.length > 0) return found
    const left = deadline - clock.now()
    if (left <= 0 || wait.signal?.aborted === true || closed()) return []
    if (!(await changed.wait(left, wait.signal))) return []
  }
}
