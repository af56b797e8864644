// The bytes a WASI run may still add to its work directory. Each write is
// charged at its full size (an overwrite too); when the budget runs out, the
// directory is measured again, so that only what truly lies on disk counts.
import { diskUsageSync } from '../../usage/disk-usage.ts'

export class StorageBudget {
  /** What a new file, directory or link is charged. */
  static readonly ENTRY_BYTES = 4096
  readonly #root: string
  readonly #limitBytes: number
  #left: number
  #exceeded = false

  constructor(root: string, limitBytes: number) {
    this.#root = root
    this.#limitBytes = limitBytes
    this.#left = limitBytes - diskUsageSync(root)
  }

  /** Whether a write was refused. */
  get exceeded(): boolean {
    return this.#exceeded
  }

  /** Charges `bytes`; false (and nothing charged) when they do not fit. */
  take(bytes: number): boolean {
    if (bytes <= 0) return true
    if (bytes > this.#left) this.#left = this.#limitBytes - diskUsageSync(this.#root)
    if (bytes > this.#left) {
      this.#exceeded = true
      return false
    }
    this.#left -= bytes
    return true
  }
}
