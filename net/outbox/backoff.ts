// How long to wait before the next delivery attempt: exponential, capped, with
// jitter so that many senders retrying one peer do not knock in step.

export interface BackoffOptions {
  /** Delay after the first failed attempt, in ms. */
  minMs: number
  /** No delay is ever longer than this, in ms. */
  maxMs: number
  /** A number in [0, 1); Math.random unless a test injects its own. */
  random: () => number
}

/** Delay before attempt `failures + 1`, given `failures` >= 1 failed attempts in a row. */
export function backoffDelay(failures: number, options: BackoffOptions): number {
  const exponent = Math.min(Math.max(failures - 1, 0), 30)
  const ceiling = Math.min(options.maxMs, options.minMs * 2 ** exponent)
  // "Equal jitter": at least half the ceiling, so the delay still grows.
  return Math.round(ceiling / 2 + options.random() * (ceiling / 2))
}
