// What a snapshot keeps of each file as it is copied: its size, its sha3-256
// (the guard refuses an output equal to a dataset file) and the fingerprint
// of every line (custody/fingerprint.ts: the guard refuses an output line
// that is a dataset row), fed chunk by chunk so no file is held in memory.
// The hashing is node:crypto's sha3-256 (OpenSSL's): the same digests as
// custody/fingerprint.ts computes, at a fraction of the cost per short line.
import { createHash, hash } from 'node:crypto'
import type { Hash } from 'node:crypto'
import { MIN_FINGERPRINT_BYTES } from '../fingerprint.ts'

const LF = 0x0a
const CR = 0x0d

/** A growing list of 64-bit fingerprints, sorted once at the end. */
export class FingerprintList {
  #values = new BigUint64Array(1024)
  #length = 0

  add(value: bigint): void {
    if (this.#length === this.#values.length) {
      const grown = new BigUint64Array(this.#values.length * 2)
      grown.set(this.#values)
      this.#values = grown
    }
    this.#values[this.#length++] = value
  }

  get length(): number {
    return this.#length
  }

  /** Ascending, as hasFingerprint searches them. */
  sorted(): BigUint64Array {
    return this.#values.slice(0, this.#length).sort()
  }
}

export class FileDigest {
  readonly #hash = createHash('sha3-256')
  readonly #fingerprints: FingerprintList
  #bytes = 0
  /** A line that runs past the chunk it started in: hashed as it comes, its last byte held back (a CR is not part of the row). */
  #line: Hash | undefined
  #lineBytes = 0
  #held: number | undefined

  constructor(fingerprints: FingerprintList) {
    this.#fingerprints = fingerprints
  }

  update(chunk: Uint8Array): void {
    this.#hash.update(chunk)
    this.#bytes += chunk.byteLength
    let start = 0
    for (;;) {
      const end = chunk.indexOf(LF, start)
      if (end < 0) break
      if (this.#line === undefined) this.#short(chunk, start, end)
      else {
        this.#feedLong(chunk.subarray(start, end))
        this.#endLong()
      }
      start = end + 1
    }
    if (start < chunk.byteLength) this.#feedLong(chunk.subarray(start))
  }

  get bytes(): number {
    return this.#bytes
  }

  /** The file's sha3-256 (hex); its last line (with no line feed after it) is fingerprinted too. */
  finish(): string {
    if (this.#line !== undefined) this.#endLong()
    return this.#hash.digest('hex')
  }

  /** A line within one chunk (a trailing CR is not part of the row), as rowFingerprint would have it. */
  #short(chunk: Uint8Array, start: number, end: number): void {
    const stop = end > start && chunk[end - 1] === CR ? end - 1 : end
    if (stop - start < MIN_FINGERPRINT_BYTES) return
    this.#fingerprints.add(hash('sha3-256', chunk.subarray(start, stop), 'buffer').readBigUInt64BE(0))
  }

  #feedLong(piece: Uint8Array): void {
    if (piece.byteLength === 0) return
    this.#line ??= createHash('sha3-256')
    if (this.#held !== undefined) {
      this.#line.update(Uint8Array.of(this.#held))
      this.#lineBytes++
    }
    this.#line.update(piece.subarray(0, piece.byteLength - 1))
    this.#lineBytes += piece.byteLength - 1
    this.#held = piece[piece.byteLength - 1]
  }

  #endLong(): void {
    const line = this.#line
    if (line === undefined) return
    if (this.#held !== undefined && this.#held !== CR) {
      line.update(Uint8Array.of(this.#held))
      this.#lineBytes++
    }
    if (this.#lineBytes >= MIN_FINGERPRINT_BYTES) {
      this.#fingerprints.add(line.digest().readBigUInt64BE(0))
    }
    this.#line = undefined
    this.#lineBytes = 0
    this.#held = undefined
  }
}
