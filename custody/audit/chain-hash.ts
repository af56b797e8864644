// The link of the audit chain: an entry's hash covers the previous entry's
// hash and the canonical JSON of everything in the entry but its hash, so
// that an edit, a removal or a reordering anywhere breaks every later link.
import { sha3_256 } from '@noble/hashes/sha3.js'
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js'
import { canonicalJson } from '../../net/index.ts'
import type { AuditEntry } from '../model.ts'

export const GENESIS_HASH = '0'.repeat(64)

export function entryHash(entry: Omit<AuditEntry, 'hash'> & { hash?: string }): string {
  const { hash: _hash, ...covered } = entry
  return bytesToHex(sha3_256(utf8ToBytes(covered.prev + canonicalJson(covered))))
}
