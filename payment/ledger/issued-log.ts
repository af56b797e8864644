// The documents this node issued, as events its own clients can long-poll:
// the payment events tell an issuer only of the answers to its documents, so
// a dashboard or script following them would not hear of a new debit note.
// Kept in memory only: at open it is rebuilt from the issued documents
// themselves, so nothing more is written per document. An entry's eventDate
// is its document's timestamp, raised when needed to stay strictly above the
// previous one, so `afterTimestamp` = the last date seen resumes exactly
// after it, and the dates are the same after a restart.
import { ChangeSignal } from '../../net/index.ts'
import type { Clock } from '../../net/index.ts'
import type { IssuedEvent } from '../model/documents.ts'
import { longPoll } from './event-log.ts'
import type { EventWait } from './event-log.ts'
import { documentIdOf } from './records.ts'
import type { StoredDocument } from './records.ts'

/** Entries kept; the oldest go first (the documents stay in the ledger). */
const MAX_ISSUED = 100_000

export class IssuedLog {
  readonly #clock: Clock
  readonly #changed: ChangeSignal
  readonly #entries: IssuedEvent[] = []
  #lastDate = 0
  #closed = false

  constructor(clock: Clock) {
    this.#clock = clock
    this.#changed = new ChangeSignal(clock)
  }

  /** The issued documents found at open, in any order. */
  load(records: readonly StoredDocument[], appSessionOf: (agreementId: string) => string | undefined): void {
    const issued = records.filter(r => r.role === 'Provider').sort((a, b) => a.document.timestamp - b.document.timestamp)
    for (const record of issued) this.#push(record, record.document.timestamp, appSessionOf(record.document.agreementId))
  }

  /** A document just issued (written): its event, and every waiting poll wakes. */
  add(record: StoredDocument, appSessionId: string | undefined): void {
    // The issue time, as at a rebuild: the dates a client saw hold after a restart.
    this.#push(record, record.document.timestamp, appSessionId)
    this.#changed.notify()
  }

  async events(wait: EventWait): Promise<IssuedEvent[]> {
    return await longPoll(
      () => this.#entries,
      wait,
      this.#clock,
      this.#changed,
      () => this.#closed
    )
  }

  /** Ends every wait with what there is (the daemon is stopping). */
  close(): void {
    this.#closed = true
    this.#changed.notify()
  }

  #push(record: StoredDocument, at: number, appSessionId: string | undefined): void {
    const eventDate = Math.max(at, this.#lastDate + 1)
    this.#lastDate = eventDate
    const id = documentIdOf(record)
    const event: IssuedEvent =
      record.kind === 'invoice'
        ? { eventType: 'InvoiceIssuedEvent', eventDate, invoiceId: id, agreementId: record.document.agreementId }
        : { eventType: 'DebitNoteIssuedEvent', eventDate, debitNoteId: id, agreementId: record.document.agreementId }
    this.#entries.push(appSessionId === undefined ? event : { ...event, appSessionId })
    if (this.#entries.length > MAX_ISSUED) this.#entries.shift()
  }
}
