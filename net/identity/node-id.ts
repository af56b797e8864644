// A node id is the 0x Ethereum address of the node key, in one form everywhere
// inside, on the wire and on the API: lowercase hex, as yagna reports node ids
// (clients compare them with ===). Any case is accepted on input and
// normalised here; the checksum (EIP-55) form is for people only. The libp2p
// peer id of a secp256k1 key embeds the public key itself, so a peer id proves
// exactly one node id; the way back needs the public key (learned on connect or
// from the DHT), and is checked against the id it claims.
import { getBytes } from 'ethers'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { publicKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPublicKey, peerIdFromString } from '@libp2p/peer-id'
import Type from 'typebox'
import { CodedError } from '../errors/coded-error.ts'
import { convertPublicKey } from './secp256k1.ts'
import type { PeerId, PublicKey } from '@libp2p/interface'

export type NodeId = string

const NODE_ID_PATTERN = '^0x[0-9a-fA-F]{40}$'
const NODE_ID_TEXT = new RegExp(NODE_ID_PATTERN)

/** A node id in a schema: its shape only (any case); parseNodeId normalises it. */
export const NodeIdText = Type.String({ pattern: NODE_ID_PATTERN })

/** Normalises a node id in any case (records of older versions hold the checksum form) to lowercase, or throws naming the bad input. */
export function parseNodeId(value: unknown): NodeId {
  if (typeof value !== 'string' || !NODE_ID_TEXT.test(value)) {
    throw new CodedError('BadRequest', `not a node id (0x followed by 40 hex digits): ${JSON.stringify(value)?.slice(0, 60)}`)
  }
  return value.toLowerCase()
}

/** The node id of a public key (compressed or not, as 0x hex or bytes): the Ethereum address, the last 20 bytes of keccak256(x ‖ y). */
export function nodeIdOfKey(publicKey: string | Uint8Array): NodeId {
  const bytes = typeof publicKey === 'string' ? getBytes(publicKey) : publicKey
  // Through libsecp256k1 either way: it checks that the key is a point of the curve.
  const uncompressed = convertPublicKey(bytes, false)
  return `0x${Buffer.from(keccak_256(uncompressed.subarray(1)).subarray(12)).toString('hex')}`
}

export function nodeIdFromPublicKey(publicKey: PublicKey): NodeId {
  if (publicKey.type !== 'secp256k1') throw new TypeError(`node keys are secp256k1, not ${publicKey.type}`)
  return nodeIdOfKey(publicKey.raw)
}

export function nodeIdFromPeerId(peerId: PeerId | string): NodeId {
  const id = typeof peerId === 'string' ? peerIdFromString(peerId) : peerId
  if (id.type !== 'secp256k1' || id.publicKey == null) {
    throw new TypeError(`peer ${id.toString()} is not an Agora node (its id holds no secp256k1 key)`)
  }
  return nodeIdFromPublicKey(id.publicKey)
}

/** The peer id of a node, given its public key; refuses a key that is not that node's. */
export function peerIdFromNodeKey(nodeId: NodeId, publicKeyRaw: Uint8Array): PeerId {
  const publicKey = publicKeyFromRaw(publicKeyRaw)
  const actual = nodeIdFromPublicKey(publicKey)
  if (actual !== parseNodeId(nodeId)) throw new CodedError('BadRequest', `public key belongs to ${actual}, not ${nodeId}`)
  return peerIdFromPublicKey(publicKey)
}
