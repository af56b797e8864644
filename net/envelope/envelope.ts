// Signed envelopes: anything another party may later rely on travels as
// { v, type, signer, payload, sig }. The signature covers the canonical JSON of
// everything but itself; `type` separates domains, so an offer's signature can
// never pass for an agreement's.
import { keccak_256 } from '@noble/hashes/sha3.js'
import { getAddress, getBytes } from 'ethers'
import { canonicalJson } from './canonical-json.ts'
import { CodedError } from '../errors/coded-error.ts'
import { nodeIdOfKey, parseNodeId } from '../identity/node-id.ts'
import { convertPublicKey, recoverPublicKey } from '../identity/secp256k1.ts'
import type { NodeId } from '../identity/node-id.ts'
import type { NodeKey } from '../identity/node-key.ts'

export const ENVELOPE_VERSION = 1

export interface SignedEnvelope<T = unknown> {
  v: typeof ENVELOPE_VERSION
  type: string
  signer: NodeId
  payload: T
  sig: string
}

/** A malformed, mis-typed or forged envelope: the sender's fault. */
export class EnvelopeError extends CodedError<'BadRequest'> {
  override name = 'EnvelopeError'

  constructor(message: string, options?: ErrorOptions) {
    super('BadRequest', message, options)
  }
}

const PREFIX = '\x19Agora signed envelope:\n'
const utf8 = new TextEncoder()

/**
 * keccak256 of the envelope's text as UTF-8: the same bytes as ethers'
 * keccak256(toUtf8Bytes(text)), at a third of the cost (a 59 KB offer took
 * about 12 ms there, most of it in a character-by-character encoder and a
 * slower keccak; every gossiped entry pays this before it is judged).
 */
function digestOf(v: number, type: string, signer: string, payload: unknown): Uint8Array {
  // Canonical JSON writes a lone surrogate as an escape (\ud800), so the text
  // is always well-formed and TextEncoder never has to replace a character.
  return keccak_256(utf8.encode(PREFIX + canonicalJson({ v, type, signer, payload })))
}

export function signEnvelope<T>(key: NodeKey, type: string, payload: T): SignedEnvelope<T> {
  if (type.length === 0 || type.length > 100) throw new EnvelopeError('envelope type must be 1 to 100 characters')
  const digest = digestOf(ENVELOPE_VERSION, type, key.nodeId, payload)
  return { v: ENVELOPE_VERSION, type, signer: key.nodeId, payload, sig: key.signDigest(digest) }
}

/**
 * Checks an envelope received from anywhere. Returns the signer's node id, or
 * throws an EnvelopeError that says what is wrong.
 */
export function verifyEnvelope(envelope: unknown, expectedType?: string): NodeId {
  return verifyEnvelopeSigner(envelope, expectedType).nodeId
}

/**
 * As verifyEnvelope, and also gives the signer's compressed public key: with it
 * a node id leads to its libp2p peer id (see peerIdFromNodeKey).
 */
export function verifyEnvelopeSigner(envelope: unknown, expectedType?: string): { nodeId: NodeId; publicKey: Uint8Array } {
  if (typeof envelope !== 'object' || envelope === null) throw new EnvelopeError('envelope must be an object')
  const { v, type, signer, payload, sig } = envelope as Record<string, unknown>
  if (v !== ENVELOPE_VERSION) throw new EnvelopeError(`unsupported envelope version ${String(v)}`)
  if (typeof type !== 'string') throw new EnvelopeError('envelope type must be a string')
  if (expectedType !== undefined && type !== expectedType) throw new EnvelopeError(`expected a ${expectedType} envelope, got ${type}`)
  if (typeof sig !== 'string' || !/^0x[0-9a-fA-F]{130}$/.test(sig)) throw new EnvelopeError('envelope signature must be 65 bytes of 0x hex')
  let claimed: NodeId
  try {
    claimed = parseNodeId(signer)
  } catch (err) {
    throw new EnvelopeError('envelope signer must be a node id (0x followed by 40 hex digits)', { cause: err })
  }
  let publicKey: Uint8Array
  try {
    const digest = digestOf(v, type, signer as string, payload)
    publicKey = recoverPublicKey(digest, getBytes(sig))
  } catch (err) {
    // The library's own words stay in the cause: they are not the sender's business.
    throw new EnvelopeError('envelope signature does not verify', { cause: err })
  }
  // The signature covers the signer's text as written: the one (lowercase) form,
  // or the checksum form earlier versions signed with, so that their envelopes
  // still verify. No other spelling, so that a node has no third name.
  if (nodeIdOfKey(publicKey) !== claimed) throw new EnvelopeError(`envelope signature is not ${String(signer)}'s`)
  if (signer !== claimed && signer !== getAddress(claimed)) throw new EnvelopeError('envelope signer must be written in lowercase (or in its checksum form)')
  return { nodeId: claimed, publicKey: convertPublicKey(publicKey, true) }
}

/** Verifies and returns the payload, typed by the caller's schema check. */
export function openEnvelope<T>(envelope: unknown, expectedType: string): { signer: NodeId; payload: T } {
  const signer = verifyEnvelope(envelope, expectedType)
  return { signer, payload: (envelope as SignedEnvelope<T>).payload }
}
