// Vectors in fixed point: a value v is the integer round(v · 2^fractionalBits)
// held in Z_{2^64}; masks wrap around freely, and the sum is read back as a
// two's-complement integer. A value that would not survive the trip is refused.
import { CodedError } from '../../net/kernel.ts'

export const DEFAULT_FRACTIONAL_BITS = 16
export const MAX_FRACTIONAL_BITS = 32
const HALF_RING = 1n << 63n

/**
 * The largest magnitude of one encoded contribution such that the sum of
 * `parties` of them stays below 2^63 (and so decodes exactly).
 */
export function contributionBound(parties: number): bigint {
  return (HALF_RING - 1n) / BigInt(Math.max(1, parties))
}

/** Encodes the values; `noise` (integers in the same units) is added before the bound is checked. */
export function encodeFixed(values: readonly number[], fractionalBits: number, parties: number, noise?: readonly bigint[]): BigUint64Array {
  if (noise !== undefined && noise.length !== values.length) throw new CodedError('BadRequest', `noise has ${noise.length} values, the vector ${values.length}`)
  const scale = 2 ** fractionalBits
  const bound = contributionBound(parties)
  const words = new BigUint64Array(values.length)
  for (let i = 0; i < values.length; i++) {
    const value = values[i]
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new CodedError('BadRequest', `value ${i} is not a finite number`)
    const scaled = Math.round(value * scale)
    if (!Number.isFinite(scaled)) throw new CodedError('BadRequest', `value ${i} is too large for fixed point`)
    const encoded = BigInt(scaled) + (noise?.[i] ?? 0n)
    if (encoded > bound || encoded < -bound)
      throw new CodedError(
        'BadRequest',
        `value ${i} is too large: ${parties} contributions of it would overflow 64-bit fixed point with ${fractionalBits} fractional bits`
      )
    words[i] = encoded
  }
  return words
}

/** A word of Z_{2^64} read as a signed integer. */
export function decodeSigned(word: bigint): bigint {
  return BigInt.asIntN(64, word)
}

/** The signed integer as a number of the vector's units (nearest double). */
export function fixedToNumber(fixed: bigint, fractionalBits: number): number {
  // Integer and fraction apart, so that a large sum loses no more than a double must.
  const scale = 1n << BigInt(fractionalBits)
  const negative = fixed < 0n
  const magnitude = negative ? -fixed : fixed
  const value = Number(magnitude / scale) + Number(magnitude % scale) / Number(scale)
  return negative ? -value : value
}
