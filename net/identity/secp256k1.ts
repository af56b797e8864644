// The secp256k1 operations every received message pays for, in libsecp256k1
// compiled to WebAssembly (tiny-secp256k1): recovering a signer's key takes
// about 0.5 ms there and about 3.3 ms in JavaScript (ethers and noble alike),
// and each gossiped or synced entry, on each node, recovers one. Signing
// stays with ethers: a node signs only what it publishes.
import { pointCompress, recover } from 'tiny-secp256k1'

// Half the group order: a signature's s above it is the malleable twin of a valid one.
const HALF_ORDER = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n

/**
 * The public key (65 bytes, uncompressed) that made a 65-byte signature
 * (r, s, v as 27/28 or 0/1) over a 32-byte digest. Throws on a signature
 * that is malformed, not canonical (high s) or recovers no key.
 */
export function recoverPublicKey(digest: Uint8Array, signature: Uint8Array): Uint8Array {
  if (digest.length !== 32) throw new TypeError('a digest is 32 bytes')
  if (signature.length !== 65) throw new TypeError('a signature is 65 bytes')
  const v = signature[64] as number
  const recoveryId = v >= 27 ? v - 27 : v
  if (recoveryId !== 0 && recoveryId !== 1) throw new TypeError(`not a recovery id: ${v}`)
  const s = BigInt(`0x${Buffer.from(signature.subarray(32, 64)).toString('hex')}`)
  if (s > HALF_ORDER) throw new TypeError('a signature with a high s is not canonical')
  const key = recover(digest, signature.subarray(0, 64), recoveryId, false)
  if (key === null) throw new TypeError('the signature recovers no key')
  return key
}

/** A public key (33 bytes compressed or 65 uncompressed) in the other form; throws if it is not a point of the curve. */
export function convertPublicKey(publicKey: Uint8Array, compressed: boolean): Uint8Array {
  return pointCompress(publicKey, compressed)
}
