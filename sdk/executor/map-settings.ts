// A map's options checked before any task is queued, with their defaults:
// concurrency up to the executor's max, 3 retries, no per-attempt timeout.
import { SdkError } from '../errors.ts'
import type { MapOptions } from '../types.ts'

export interface MapSettings {
  readonly concurrency: number
  readonly retries: number
  readonly timeoutMs: number | undefined
}

export const DEFAULT_RETRIES = 3

export function mapSettings(options: MapOptions, max: number): MapSettings {
  const concurrency = options.concurrency ?? max
  const retries = options.retries ?? DEFAULT_RETRIES
  if (!Number.isSafeInteger(concurrency) || concurrency < 1) {
    throw new SdkError('BadRequest', `concurrency must be a whole number of at least 1, not ${String(concurrency)}`)
  }
  if (!Number.isSafeInteger(retries) || retries < 0) throw new SdkError('BadRequest', `retries must be a whole number of at least 0, not ${String(retries)}`)
  const timeoutMs = options.timeout
  if (timeoutMs !== undefined && (!Number.isFinite(timeoutMs) || timeoutMs <= 0)) {
    throw new SdkError('BadRequest', `timeout must be a number of milliseconds above 0, not ${String(timeoutMs)}`)
  }
  return { concurrency: Math.min(concurrency, max), retries, timeoutMs }
}
