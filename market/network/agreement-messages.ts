// The agreement messages the other party must receive — the provider's
// approval and every closing (reject, cancel, terminate) — go through the
// market's durable outbox (net/outbox): written with the state change they
// announce, delivered until the other party acknowledges them.
import { EnvelopeError, MessageRefused, Outbox, SchemaError, outboxProtocol } from '../../net/index.ts'
import type { Clock, OutboxDb, OutboxHost, OutboxLogger } from '../../net/index.ts'
import { MarketError } from '../errors.ts'

export const AGREEMENT_MESSAGES = {
  approval: 'agreement.approval',
  close: 'agreement.close'
} as const

/** The protocol the market's outbox speaks (what another node dials to deliver). */
export const MARKET_OUTBOX_PROTOCOL = outboxProtocol('market')

/** What the market uses of its outbox. */
export type MarketOutbox = Pick<
  Outbox,
  'enqueue' | 'nextAttempt' | 'handle' | 'onSettled' | 'start' | 'stop' | 'pending' | 'addEventListener' | 'removeEventListener'
>

export interface MarketOutboxOptions {
  host: OutboxHost
  /** The market's sublevel: the outbox writes under `outbox:` there. */
  db: OutboxDb
  logger?: OutboxLogger
  /** Retry delays and waits for an attempt run on it (default: the system clock). */
  clock?: Clock
  minRetryMs?: number
  maxRetryMs?: number
  maxPendingPerPeer?: number
  maxPending?: number
}

export function marketOutbox(options: MarketOutboxOptions): Outbox {
  return new Outbox({ owner: 'market', ...options })
}

/** Codes that no retry changes: the message is refused for good and dropped by its sender. */
const FINAL_CODES = new Set(['BadRequest', 'NotFound', 'Gone', 'Conflict'])

/** Runs a receiving step; a final market error becomes a refusal, anything else a retry. */
export async function refusingFinally(step: () => Promise<void>): Promise<void> {
  try {
    await step()
  } catch (err) {
    if (err instanceof MarketError && FINAL_CODES.has(err.code)) throw new MessageRefused(err.code, err.message)
    if (err instanceof SchemaError) throw new MessageRefused('BadRequest', err.message)
    // Its text may carry the crypto library's words: only the fact goes back.
    if (err instanceof EnvelopeError) throw new MessageRefused('BadRequest', 'the envelope does not verify')
    throw err
  }
}
