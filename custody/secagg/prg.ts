// The masks: a seed expanded by the ChaCha20 keystream into `length` words of
// Z_{2^64}. Both owners of a pair, and later the aggregator, expand the same
// seed to the same words.
import { chacha20 } from '@noble/ciphers/chacha.js'

const NONCE = new Uint8Array(12)

export function expandMask(seed: Uint8Array, length: number): BigUint64Array {
  const bytes = chacha20(seed, NONCE, new Uint8Array(length * 8))
  // Little-endian words, whatever the host's byte order.
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const words = new BigUint64Array(length)
  for (let i = 0; i < length; i++) words[i] = view.getBigUint64(i * 8, true)
  return words
}

/** target += sign · mask, mod 2^64 (a BigUint64Array wraps on store). */
export function addMask(target: BigUint64Array, mask: BigUint64Array, sign: 1 | -1): void {
  if (sign === 1) for (let i = 0; i < target.length; i++) target[i] = target[i]! + mask[i]!
  else for (let i = 0; i < target.length; i++) target[i] = target[i]! - mask[i]!
}
