// Which libp2p peer id a node id stands for. A node id is an address (a hash
// of the public key), so the way to its peer id needs the public key itself:
// learned from a connection or a discovered peer (a secp256k1 peer id embeds
// its key), or from an envelope whose signature verified.
import { CodedError } from '../errors/coded-error.ts'
import { nodeIdFromPeerId, nodeIdOfKey, peerIdFromNodeKey } from '../identity/node-id.ts'
import type { NodeId } from '../identity/node-id.ts'
import { peerIdFromString } from '@libp2p/peer-id'
import type { PeerId } from '@libp2p/interface'

export class NodeDirectory {
  readonly #peers = new Map<NodeId, PeerId>()
  readonly #byPeerId = new Map<string, NodeId>()
  /**
   * Keys of nodes learned from envelopes, whose peer ids are not made yet:
   * most signers are never dialled, and making a peer id costs more than
   * checking the signature did (libp2p checks the key again, in JavaScript).
   */
  readonly #keys = new Map<NodeId, Uint8Array>()
  readonly #capacity: number

  /** At most `capacity` nodes are remembered; the least recently learned go first. */
  constructor(capacity = 50_000) {
    this.#capacity = capacity
  }

  get size(): number {
    return this.#peers.size + this.#keys.size
  }

  /** Remembers a peer; returns its node id, or undefined for a peer that is not an Agora node. */
  learnPeer(peerId: PeerId): NodeId | undefined {
    const known = this.#byPeerId.get(peerId.toString())
    if (known !== undefined) return known
    let nodeId: NodeId
    try {
      nodeId = nodeIdFromPeerId(peerId)
    } catch {
      return undefined
    }
    this.#remember(nodeId, peerId)
    return nodeId
  }

  /**
   * Remembers a node from its public key (33 bytes, compressed), as
   * verifyEnvelopeSigner returns it; throws if the key is not that node's.
   */
  learnKey(nodeId: NodeId, publicKey: Uint8Array): void {
    if (this.#peers.has(nodeId) || this.#keys.has(nodeId)) return
    const actual = nodeIdOfKey(publicKey)
    if (actual !== nodeId) throw new CodedError('BadRequest', `public key belongs to ${actual}, not ${nodeId}`)
    this.#keys.set(nodeId, publicKey)
    this.#trim()
  }

  /** The node id of a peer id in text form (cheap for peers already known). */
  nodeIdOf(peerId: string): NodeId | undefined {
    const known = this.#byPeerId.get(peerId)
    if (known !== undefined) return known
    try {
      return this.learnPeer(peerIdFromString(peerId))
    } catch {
      return undefined
    }
  }

  peerIdOf(nodeId: NodeId): PeerId | undefined {
    const known = this.#peers.get(nodeId)
    if (known !== undefined) return known
    const key = this.#keys.get(nodeId)
    if (key === undefined) return undefined
    let peerId: PeerId
    try {
      peerId = peerIdFromNodeKey(nodeId, key)
    } catch {
      // Checked when learned; a key libp2p refuses all the same leads nowhere.
      this.#keys.delete(nodeId)
      return undefined
    }
    this.#remember(nodeId, peerId)
    return peerId
  }

  #remember(nodeId: NodeId, peerId: PeerId): void {
    this.#keys.delete(nodeId)
    this.#peers.delete(nodeId)
    this.#peers.set(nodeId, peerId)
    this.#byPeerId.set(peerId.toString(), nodeId)
    this.#trim()
  }

  /** Keeps at most `capacity` nodes in all: the oldest keys not made into peer ids go first, then the oldest peers. */
  #trim(): void {
    if (this.size <= this.#capacity) return
    const oldestKey = this.#keys.keys().next()
    if (oldestKey.done !== true) {
      this.#keys.delete(oldestKey.value)
      return
    }
    const oldest = this.#peers.entries().next()
    if (oldest.done !== true) {
      this.#peers.delete(oldest.value[0])
      this.#byPeerId.delete(oldest.value[1].toString())
    }
  }
}
