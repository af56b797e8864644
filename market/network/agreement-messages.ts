// The market messages the other party must receive — the provider's
// approval, every agreement closing (reject, cancel, terminate) and the
// rejection of a proposal — go through the market's durable outbox
// (net/outbox): written with the state change they announce, delivered until
// the other party acknowledges them.
import { Outbox, OutboxError, outboxProtocol } from '../../net/index.ts'
import type { Clock, OutboxDb, OutboxHost, OutboxLogger } from '../../net/index.ts'
import { MarketError } from '../errors.ts'

export const AGREEMENT_MESSAGES = {
  approval: 'agreement.approval',
  close: 'agreement.close'
} as const

export const PROPOSAL_MESSAGES = {
  rejection: 'proposal.rejection'
} as const

/**
 * How long a call that queued a message waits for the other party's
 * acknowledgement when it is reachable; one that is away costs the caller
 * nothing (its message waits).
 */
export const TELL_GRACE_MS = 2_000

/** An enqueue the outbox refused (nothing was written) as the market's error: the caller may try again. */
export function marketErrorOfEnqueue(err: unknown): unknown {
  if (!(err instanceof OutboxError)) return err
  if (err.code === 'CapacityExceeded' || err.code === 'Unavailable') return new MarketError('Unavailable', err.message)
  return new MarketError('BadRequest', err.message)
}

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
export const MARKET_FINAL_CODES: ReadonlySet<string> = new Set(['BadRequest', 'NotFound', 'Gone', 'Conflict'])
