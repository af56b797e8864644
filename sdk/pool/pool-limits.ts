// The pool's `min` and `max` checked before anything is rented: whole numbers,
// 0 <= min <= max, max >= 1. They mean exactly that: `min` rentals kept ready,
// never more than `max` at once.
import { SdkError } from '../errors.ts'

export interface PoolLimits {
  readonly min: number
  readonly max: number
}

export function checkPoolLimits(limits: PoolLimits): PoolLimits {
  const { min, max } = limits
  if (!Number.isSafeInteger(max) || max < 1) throw new SdkError('BadRequest', `max must be a whole number of at least 1, not ${String(max)}`)
  if (!Number.isSafeInteger(min) || min < 0) throw new SdkError('BadRequest', `min must be a whole number of at least 0, not ${String(min)}`)
  if (min > max) throw new SdkError('BadRequest', `min (${min}) must not exceed max (${max})`)
  return { min, max }
}
