// Watches the policies directory: every change to a file (written in place,
// or written aside and renamed over it, as editors do) is reported once its
// events have settled for `debounceMs`. The directory is watched, not the
// files, so a file replaced by a rename is still seen.
import { watch } from 'node:fs'
import type { FSWatcher } from 'node:fs'
import type { Clock, Logger, TimerHandle } from '../../net/kernel.ts'

export interface DirWatchOptions {
  readonly dir: string
  readonly clock: Clock
  readonly debounceMs: number
  readonly logger: Logger
  /** A file changed (null: the watcher cannot tell which, so every file is to be read again). */
  readonly onSettled: (fileName: string | null) => void
}

export class DirWatch {
  readonly #options: DirWatchOptions
  readonly #pending = new Map<string | null, TimerHandle>()
  #watcher: FSWatcher | undefined

  constructor(options: DirWatchOptions) {
    this.#options = options
  }

  start(): void {
    const watcher = watch(this.#options.dir, { persistent: false }, (_event, fileName) => this.#changed(fileName === null ? null : String(fileName)))
    watcher.on('error', err => this.#options.logger.warn({ err, dir: this.#options.dir }, 'the policies directory can no longer be watched'))
    this.#watcher = watcher
  }

  stop(): void {
    this.#watcher?.close()
    this.#watcher = undefined
    for (const timer of this.#pending.values()) this.#options.clock.clearTimeout(timer)
    this.#pending.clear()
  }

  #changed(fileName: string | null): void {
    if (this.#watcher === undefined) return
    const { clock, debounceMs, onSettled } = this.#options
    const earlier = this.#pending.get(fileName)
    if (earlier !== undefined) clock.clearTimeout(earlier)
    this.#pending.set(
      fileName,
      clock.setTimeout(() => {
        this.#pending.delete(fileName)
        onSettled(fileName)
      }, debounceMs)
    )
  }
}
