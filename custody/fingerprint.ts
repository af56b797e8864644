// Row fingerprints: how the output guard tells that a result copies rows of
// the dataset byte for byte. Each line of a dataset's files (and of an
// output) long enough to be telling is hashed to 64 bits; a dataset keeps
// the sorted set of its rows' fingerprints beside its snapshot.
import { sha3_256 } from '@noble/hashes/sha3.js'

/** Lines shorter than this say too little to be a copied row (a single count, "1.5"). */
export const MIN_FINGERPRINT_BYTES = 12

/** The line's fingerprint, or null when it is too short; a trailing "\r" is ignored. */
export function rowFingerprint(line: Uint8Array): bigint | null {
  const end = line.byteLength > 0 && line[line.byteLength - 1] === 0x0d ? line.byteLength - 1 : line.byteLength
  if (end < MIN_FINGERPRINT_BYTES) return null
  const digest = sha3_256(line.subarray(0, end))
  return new DataView(digest.buffer, digest.byteOffset, 8).getBigUint64(0)
}

/** Whether `fingerprint` is in `sorted` (ascending). */
export function hasFingerprint(sorted: BigUint64Array, fingerprint: bigint): boolean {
  let low = 0
  let high = sorted.length - 1
  while (low <= high) {
    const middle = (low + high) >>> 1
    const value = sorted[middle] as bigint
    if (value === fingerprint) return true
    if (value < fingerprint) low = middle + 1
    else high = middle - 1
  }
  return false
}
