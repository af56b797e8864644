// The sign command's signature: keccak256 of the payload's canonical JSON,
// signed with the provider's node key, so a requester recovers the node id
// from it. The daemon and the tests use this one.
import { keccak256 } from 'ethers'
import { canonicalJson } from '../../net/index.ts'
import type { JsonValue, NodeKey } from '../../net/index.ts'

/** Signs a plain JSON object (the batch's results) with the provider's node key. */
export type Signer = (payload: Record<string, unknown>) => Promise<string>

export function resultSigner(key: NodeKey): Signer {
  return async payload => {
    const digest = keccak256(new TextEncoder().encode(canonicalJson(payload as JsonValue)))
    return key.signDigest(Buffer.from(digest.slice(2), 'hex'))
  }
}
