// What a snapshot keeps of each file as it is copied: its size, its sha3-256
// (the guard refuses an output equal to a dataset file) and the fingerprint
// of every line (custody/fingerprint.ts: the guard refuses an output line
// that is a dataset row), fed chunk by chunk so no file is held in memory.
import { sha3_256 } from '@noble/hashes/sha3.js'
import { bytesToHex } from '@noble/hashes/utils.js'
import { MIN_FINGERPRINT_BYTES, rowFingerprint } from '../fingerprint.ts'

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
  readonly #hash = sha3_256.create()
  readonly #fingerprints: FingerprintList
  #bytes = 0
  /** A line that runs past the chunk it started in: hashed as it comes, its last byte held back (a CR is not part of the row). */
  #line: ReturnType<typeof sha3_256.create> | undefined
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
      if (this.#line === undefined) this.#add(rowFingerprint(chunk.subarray(start, end)))
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
    return bytesToHex(this.#hash.digest())
  }

  #add(fingerprint: bigint | null): void {
    if (fingerprint !== null) this.#fingerprints.add(fingerprint)
  }

  #feedLong(piece: Uint8Array): void {
    if (piece.byteLength === 0) return
    this.#line ??= sha3_256.create()
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
      const digest = line.digest()
      this.#fingerprints.add(new DataView(digest.buffer, digest.byteOffset, 8).getBigUint64(0))
    }
    this.#line = undefined
    this.#lineBytes = 0
    this.#held = undefined
  }
}
