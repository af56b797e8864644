// The one key of a node: signs envelopes (Ethereum-style), pays on chain, and
// is the libp2p identity.
import { SigningKey, getBytes, hexlify, randomBytes } from 'ethers'
import { privateKeyFromRaw, publicKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import type { PeerId, PrivateKey } from '@libp2p/interface'
import { nodeIdOfKey } from './node-id.ts'
import type { NodeId } from './node-id.ts'

export class NodeKey {
  readonly nodeId: NodeId
  readonly peerId: PeerId
  readonly #signingKey: SigningKey
  #libp2pKey: PrivateKey | undefined

  constructor(privateKeyHex: string) {
    this.#signingKey = new SigningKey(privateKeyHex)
    this.nodeId = nodeIdOfKey(this.#signingKey.publicKey)
    // From the public key: deriving it from the private key would make
    // libp2p's curve code build its tables, which only the host needs.
    this.peerId = peerIdFromPublicKey(publicKeyFromRaw(getBytes(this.#signingKey.compressedPublicKey)))
  }

  /** The same key in libp2p's form, for the libp2p host (made on first use). */
  get libp2pKey(): PrivateKey {
    this.#libp2pKey ??= privateKeyFromRaw(getBytes(this.#signingKey.privateKey))
    return this.#libp2pKey
  }

  static random(): NodeKey {
    return new NodeKey(randomPrivateKeyHex())
  }

  /** Compressed public key (33 bytes), what peers need to derive the peer id. */
  get publicKey(): Uint8Array {
    return getBytes(this.#signingKey.compressedPublicKey)
  }

  /** Signs a 32-byte digest; returns a 65-byte recoverable signature as 0x hex. */
  signDigest(digest: Uint8Array): string {
    return this.#signingKey.sign(digest).serialized
  }

  /** The private key, only for the keystore and the chain wallet. */
  exportPrivateKey(): string {
    return this.#signingKey.privateKey
  }

  // Keep the key out of logs and JSON dumps.
  toJSON(): { nodeId: NodeId } {
    return { nodeId: this.nodeId }
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `NodeKey(${this.nodeId})`
  }
}

function randomPrivateKeyHex(): string {
  // Any 32 random bytes below the curve order; rejection is astronomically rare.
  for (;;) {
    const hex = hexlify(randomBytes(32))
    try {
      SigningKey.computePublicKey(hex)
      return hex
    } catch {
      /* out of range: draw again */
    }
  }
}
