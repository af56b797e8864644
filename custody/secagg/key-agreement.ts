// X25519 key agreement, and the keys the session derives from a shared
// secret with HKDF-SHA256: one for the pairwise masks, one for the boxes that
// carry an owner's shares to another owner through the aggregator.
import { x25519 } from '@noble/curves/ed25519.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'

export interface KeyPair {
  readonly secretKey: Uint8Array
  readonly publicKey: Uint8Array
}

export type KeyPurpose = 'mask' | 'share'

const utf8 = new TextEncoder()

export function generateKeyPair(): KeyPair {
  const secretKey = new Uint8Array(32)
  crypto.getRandomValues(secretKey)
  return { secretKey, publicKey: x25519.getPublicKey(secretKey) }
}

export function publicKeyOf(secretKey: Uint8Array): Uint8Array {
  return x25519.getPublicKey(secretKey)
}

/** The 32-byte key both ends of a pair derive; bound to the session so that no key serves two sessions. */
export function agreeKey(secretKey: Uint8Array, theirPublicKey: Uint8Array, sessionId: string, purpose: KeyPurpose): Uint8Array {
  const shared = x25519.getSharedSecret(secretKey, theirPublicKey)
  return hkdf(sha256, shared, utf8.encode(sessionId), utf8.encode(`agora-secagg/1 ${purpose}`), 32)
}
