// Shamir's t-of-n secret sharing of a 32-byte seed over GF(2^521 − 1): any t
// shares give the seed back, fewer tell nothing about it.
import { bigintToBytes, bytesToBigint, inverse, mod, mul, randomElement } from './field.ts'

export const SECRET_BYTES = 32

export interface Share {
  /** The holder's point, 1-based (its place in the session's participant list). */
  readonly x: number
  readonly y: bigint
}

/** Splits `secret` into one share per point of `xs`, any `threshold` of which recover it. */
export function splitSecret(secret: Uint8Array, threshold: number, xs: readonly number[]): Share[] {
  if (secret.length !== SECRET_BYTES) throw new RangeError(`a secret is ${SECRET_BYTES} bytes`)
  if (!Number.isSafeInteger(threshold) || threshold < 1 || threshold > xs.length) throw new RangeError('threshold must be between 1 and the number of shares')
  if (new Set(xs).size !== xs.length || xs.some(x => !Number.isSafeInteger(x) || x < 1)) throw new RangeError('share points must be distinct positive integers')
  const coefficients = [bytesToBigint(secret)]
  for (let i = 1; i < threshold; i++) coefficients.push(randomElement())
  return xs.map(x => ({ x, y: evaluate(coefficients, BigInt(x)) }))
}

function evaluate(coefficients: readonly bigint[], x: bigint): bigint {
  let result = 0n
  for (let i = coefficients.length - 1; i >= 0; i--) result = mod(result * x + coefficients[i]!)
  return result
}

/** Lagrange interpolation at 0 from exactly the given shares (the caller passes at least t). */
export function combineShares(shares: readonly Share[]): Uint8Array {
  if (shares.length === 0) throw new RangeError('no shares to combine')
  if (new Set(shares.map(s => s.x)).size !== shares.length) throw new RangeError('shares must be of distinct points')
  let secret = 0n
  for (const { x: xi, y } of shares) {
    let numerator = 1n
    let denominator = 1n
    for (const { x: xj } of shares) {
      if (xj === xi) continue
      numerator = mul(numerator, BigInt(-xj))
      denominator = mul(denominator, BigInt(xi - xj))
    }
    secret = mod(secret + mul(y, mul(numerator, inverse(denominator))))
  }
  // A wrong share gives a value beyond 256 bits (with overwhelming odds): say so rather than truncate.
  if (secret >> BigInt(SECRET_BYTES * 8) !== 0n) throw new RangeError('the shares do not combine to a seed')
  return bigintToBytes(secret, SECRET_BYTES)
}
