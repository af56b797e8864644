// Child processes that must not outlive this process: when it exits (a
// finished test run with mocha's --exit, a failed test, process.exit from the
// CLI) every one still registered is killed. A default SIGTERM/SIGINT or a
// SIGKILL of this process skips exit hooks: the dev chain has a watch process
// for that (parent-watch.ts).
import type { ChildProcess } from 'node:child_process'

const live = new Set<ChildProcess>()
let hooked = false

function killAll(): void {
  for (const child of live) {
    try {
      child.kill('SIGKILL')
    } catch {
      // Already gone: nothing to reap.
    }
  }
  live.clear()
}

/** Kills `child` when this process exits, unless it was released first. */
export function reapOnExit(child: ChildProcess): void {
  if (!hooked) {
    process.once('exit', killAll)
    hooked = true
  }
  live.add(child)
}

export function releaseReaped(child: ChildProcess): void {
  live.delete(child)
}
