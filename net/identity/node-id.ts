// A node id is the checksummed 0x Ethereum address of the node key. The libp2p
// peer id of a secp256k1 key embeds the public key itself, so a peer id proves
// exactly one node id; the way back needs the public key (learned on connect or
// from the DHT), and is checked against the id it claims.
import { computeAddress, getAddress, hexlify, isAddress } from 'ethers'
import { publicKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPublicKey, peerIdFromString } from '@libp2p/peer-id'
import Type from 'typebox'
import { CodedError } from '../errors/coded-error.ts'
import type { PeerId, PublicKey } from '@libp2p/interface'

export type NodeId = string

/** A node id in a schema: its shape only (any case); parseNodeId normalises it. */
export const NodeIdText = Type.String({ pattern: '^0x[0-9a-fA-F]{40}$' })

/** Normalises a node id to its checksummed form, or throws naming the bad input. */
export function parseNodeId(value: unknown): NodeId {
  if (typeof value !== 'string' || !isAddress(value)) {
    throw new CodedError('BadRequest', `not a node id (0x followed by 40 hex digits): ${JSON.stringify(value)?.slice(0, 60)}`)
  }
  return getAddress(value)
}

export function nodeIdFromPublicKey(publicKey: PublicKey): NodeId {
  if (publicKey.type !== 'secp256k1') throw new TypeError(`node keys are secp256k1, not ${publicKey.type}`)
  return computeAddress(hexlify(publicKey.raw))
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
