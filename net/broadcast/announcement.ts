// What a topic gossips: not the entries, only their hashes. Each node takes
// a body once, from the peer whose announcement reached it first (which
// holds it, for it passed the announcement on only once it had it), and
// passes on the announcement alone. A mesh of degree D then sends a body once
// per node and a 33-byte announcement D times, where pushing bodies sent the
// body D times. An announcement holds the hashes of the entries and
// retractions a node published in one turn of its event loop.
import { hash } from 'node:crypto'

/** First byte of an announcement; a pushed message (JSON) starts with '{'. */
const ANNOUNCEMENT_TAG = 0x01
const HASH_BYTES = 32
/** Hashes in one announcement, at most: what one pull asks for. */
export const MAX_ANNOUNCED = 64

/** The hash of a broadcast message (its canonical JSON bytes), as base64url text. */
export function messageHash(message: Uint8Array): string {
  return hash('sha256', message, 'base64url')
}

export function isAnnouncement(data: Uint8Array): boolean {
  return data[0] === ANNOUNCEMENT_TAG
}

export function encodeAnnouncement(hashes: readonly string[]): Uint8Array {
  if (hashes.length === 0 || hashes.length > MAX_ANNOUNCED) throw new RangeError(`an announcement holds 1 to ${MAX_ANNOUNCED} hashes, not ${hashes.length}`)
  const bytes = new Uint8Array(1 + hashes.length * HASH_BYTES)
  bytes[0] = ANNOUNCEMENT_TAG
  hashes.forEach((hash, i) => {
    bytes.set(Buffer.from(hash, 'base64url'), 1 + i * HASH_BYTES)
  })
  return bytes
}

/** The hashes announced, or undefined when the bytes are not a well-formed announcement. */
export function decodeAnnouncement(data: Uint8Array): string[] | undefined {
  const count = (data.byteLength - 1) / HASH_BYTES
  if (!isAnnouncement(data) || !Number.isInteger(count) || count < 1 || count > MAX_ANNOUNCED) return undefined
  const hashes = new Set<string>()
  for (let i = 0; i < count; i++) {
    const start = 1 + i * HASH_BYTES
    hashes.add(Buffer.from(data.subarray(start, start + HASH_BYTES)).toString('base64url'))
  }
  return [...hashes]
}
