// The summary keys of a store, sorted, in 256 buckets (by a hash of the key),
// each with a fingerprint: the XOR of 64 bits of every item's message hash.
// Two nodes holding the same items have the same fingerprints, so a sync
// first compares the whole store's fingerprint, then the buckets', and lists
// ids only where they differ: a periodic sync of two stores already alike
// costs one short round trip, not every id of a store of 100,000 entries.
import { SortedKeys } from './sorted-keys.ts'

export const SUMMARY_BUCKETS = 256
/** Hex digits of one fingerprint. */
const FINGERPRINT_HEX = 16

export interface SummaryDigest {
  count: number
  /** The XOR of the bucket fingerprints, FINGERPRINT_HEX hex digits. */
  total: string
}

export class SummaryIndex {
  readonly #buckets = Array.from({ length: SUMMARY_BUCKETS }, () => new SortedKeys())
  /** Two 32-bit halves per bucket. */
  readonly #fingerprints = new Uint32Array(2 * SUMMARY_BUCKETS)
  #count = 0

  /** Adds a key that is not there yet, with the hash (base64url sha256) of its item's message. */
  insert(key: string, hash: string): void {
    const bucket = bucketOf(key)
    this.#buckets[bucket]?.insert(key)
    this.#flip(bucket, hash)
    this.#count++
  }

  /** Removes a key that is there, with the hash it was inserted with. */
  delete(key: string, hash: string): void {
    const bucket = bucketOf(key)
    const keys = this.#buckets[bucket] as SortedKeys
    const before = keys.size
    keys.delete(key)
    if (keys.size === before) return
    this.#flip(bucket, hash)
    this.#count--
  }

  /** Removes many keys (each with the hash it was inserted with) at once, one pass per bucket touched. */
  deleteAll(keys: ReadonlyMap<string, string>): void {
    const byBucket = new Map<number, Set<string>>()
    for (const key of keys.keys()) {
      const bucket = bucketOf(key)
      if (!(this.#buckets[bucket] as SortedKeys).has(key)) continue
      const set = byBucket.get(bucket) ?? new Set<string>()
      set.add(key)
      byBucket.set(bucket, set)
    }
    for (const [bucket, set] of byBucket) {
      ;(this.#buckets[bucket] as SortedKeys).deleteAll(set)
      for (const key of set) this.#flip(bucket, keys.get(key) as string)
      this.#count -= set.size
    }
  }

  /**
   * Up to `limit` keys after the cursor, bucket by bucket (only `bucket`'s
   * when given), and the cursor of the next page when more follow. A cursor
   * is the bucket in two hex digits and the last key given.
   */
  page(after: string | undefined, limit: number, bucket?: number): { keys: string[]; next?: string } {
    let at = after === undefined ? (bucket ?? 0) : Number.parseInt(after.slice(0, 2), 16)
    let within = after?.slice(2)
    if (!Number.isInteger(at) || at < 0 || at >= SUMMARY_BUCKETS || (bucket !== undefined && at !== bucket)) return { keys: [] }
    const last = bucket ?? SUMMARY_BUCKETS - 1
    const keys: string[] = []
    for (; at <= last; at++, within = undefined) {
      const { keys: found, more } = (this.#buckets[at] as SortedKeys).page(within, limit - keys.length)
      keys.push(...found)
      if (more) return { keys, next: cursorOf(at, found.at(-1) as string) }
      if (keys.length === limit && at < last) return { keys, next: cursorOf(at, keys.at(-1) as string) }
    }
    return { keys }
  }

  digest(): SummaryDigest {
    let high = 0
    let low = 0
    for (let bucket = 0; bucket < SUMMARY_BUCKETS; bucket++) {
      high ^= this.#fingerprints[2 * bucket] as number
      low ^= this.#fingerprints[2 * bucket + 1] as number
    }
    return { count: this.#count, total: hex(high, low) }
  }

  /** Every bucket's fingerprint, one after another. */
  bucketFingerprints(): string {
    let out = ''
    for (let bucket = 0; bucket < SUMMARY_BUCKETS; bucket++) {
      out += hex(this.#fingerprints[2 * bucket] as number, this.#fingerprints[2 * bucket + 1] as number)
    }
    return out
  }

  #flip(bucket: number, hash: string): void {
    // The first 8 bytes of the hash (a short one, as some callers give, padded with zeros).
    const bytes = Buffer.alloc(8)
    Buffer.from(hash.slice(0, 11), 'base64url').copy(bytes, 0, 0, 8)
    this.#fingerprints[2 * bucket] = ((this.#fingerprints[2 * bucket] as number) ^ bytes.readUInt32BE(0)) >>> 0
    this.#fingerprints[2 * bucket + 1] = ((this.#fingerprints[2 * bucket + 1] as number) ^ bytes.readUInt32BE(4)) >>> 0
  }
}

/** The length of the string bucketFingerprints() gives. */
export const BUCKET_FINGERPRINTS_LENGTH = SUMMARY_BUCKETS * FINGERPRINT_HEX

/** The buckets whose fingerprints differ between two bucketFingerprints() strings. */
export function differingBuckets(ours: string, theirs: string): number[] {
  const differ: number[] = []
  for (let bucket = 0; bucket < SUMMARY_BUCKETS; bucket++) {
    const start = bucket * FINGERPRINT_HEX
    if (ours.slice(start, start + FINGERPRINT_HEX) !== theirs.slice(start, start + FINGERPRINT_HEX)) differ.push(bucket)
  }
  return differ
}

/** FNV-1a of the key's UTF-16 code units, folded to a bucket: cheap, and the same on every node. */
function bucketOf(key: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return (hash ^ (hash >>> 8) ^ (hash >>> 16) ^ (hash >>> 24)) & (SUMMARY_BUCKETS - 1)
}

function cursorOf(bucket: number, key: string): string {
  return bucket.toString(16).padStart(2, '0') + key
}

function hex(high: number, low: number): string {
  // `^` gives a signed 32-bit number; `>>> 0` reads it back unsigned.
  return (high >>> 0).toString(16).padStart(8, '0') + (low >>> 0).toString(16).padStart(8, '0')
}
