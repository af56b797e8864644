// Watches a container's volumes while a command runs: the host directories
// behind them sit on the provider's own file system, which Docker cannot size
// without xfs project quotas, so their disk use is measured every so often and
// the command is stopped once it passes the activity's storage limit.
import { setTimeout as sleep } from 'node:timers/promises'
import { diskUsage } from '../../usage/disk-usage.ts'

/** How often the volumes are measured while a command runs. */
export const STORAGE_POLL_MS = 100

export interface StorageWatch {
  /** Aborted once the limit is passed. */
  signal: AbortSignal
  stop: () => void
}

/**
 * Aborts `signal` once the volumes take more than the limit and more than
 * they did when the command started (a command that frees space may run).
 */
export function watchStorage(dir: string, limitBytes: number, pollMs = STORAGE_POLL_MS): StorageWatch {
  const exceeded = new AbortController()
  const stopped = new AbortController()
  void (async () => {
    const bound = Math.max(limitBytes, await diskUsage(dir))
    while (!stopped.signal.aborted) {
      if ((await diskUsage(dir)) > bound) {
        exceeded.abort()
        return
      }
      await sleep(pollMs, undefined, { signal: stopped.signal }).catch(() => {})
    }
  })()
  return { signal: exceeded.signal, stop: () => stopped.abort() }
}
