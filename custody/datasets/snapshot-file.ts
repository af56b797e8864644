// One file of a snapshot being written: every chunk is counted against the
// dataset's byte budget, digested (size, sha3, line fingerprints) and
// written, in that order, so a dataset over its limit stops at the chunk
// that crosses it.
import { open } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { CodedError } from '../../net/kernel.ts'
import type { DatasetFile } from '../model.ts'
import { FileDigest } from './file-digest.ts'
import type { FingerprintList } from './file-digest.ts'

/** What is left of a dataset's byte limit. */
export class ByteBudget {
  readonly #limit: number
  #used = 0

  constructor(limit: number) {
    this.#limit = limit
  }

  take(bytes: number): void {
    this.#used += bytes
    if (this.#used > this.#limit) throw tooLarge(this.#limit)
  }
}

export function tooLarge(limit: number): CodedError {
  return new CodedError('PayloadTooLarge', `the dataset is larger than ${limit} bytes (modules.custody.datasets.maxBytes)`)
}

export class SnapshotFile {
  readonly #handle: FileHandle
  readonly #path: string
  readonly #digest: FileDigest
  readonly #budget: ByteBudget

  private constructor(handle: FileHandle, path: string, digest: FileDigest, budget: ByteBudget) {
    this.#handle = handle
    this.#path = path
    this.#digest = digest
    this.#budget = budget
  }

  /** `path` is the file's path inside the snapshot ("/" separators); `target` where it is written. */
  static async create(target: string, path: string, fingerprints: FingerprintList, budget: ByteBudget): Promise<SnapshotFile> {
    const handle = await open(target, 'wx', 0o444)
    return new SnapshotFile(handle, path, new FileDigest(fingerprints), budget)
  }

  async write(chunk: Uint8Array): Promise<void> {
    this.#budget.take(chunk.byteLength)
    this.#digest.update(chunk)
    let offset = 0
    while (offset < chunk.byteLength) {
      const { bytesWritten } = await this.#handle.write(chunk, offset, chunk.byteLength - offset)
      offset += bytesWritten
    }
  }

  /** Flushed to disk and closed: what the record says of the file. */
  async finish(): Promise<DatasetFile> {
    await this.#handle.sync()
    await this.#handle.close()
    return { path: this.#path, bytes: this.#digest.bytes, sha3: this.#digest.finish() }
  }

  /** Closed after a failure (the staging directory is removed by the caller). */
  async abandon(): Promise<void> {
    await this.#handle.close().catch(() => {})
  }
}
