// A dev chain left running by a run that was killed with its watch (the watch
// ends the chain when only the run is killed): the next run finds it by the pid file beside the
// state and ends it, so two chains never write one state file. A pid is only
// trusted when the process's command line names that state file (Linux's
// /proc); a pid since reused by something else is left alone.
import { readFile, rm, writeFile } from 'node:fs/promises'
import { setTimeout as delay } from 'node:timers/promises'
import type { Clock, Logger } from '../../net/kernel.ts'

const POLL_MS = 20

export async function recordChainPid(path: string, pid: number): Promise<void> {
  await writeFile(path, `${pid}\n`, { mode: 0o600 })
}

export async function forgetChainPid(path: string): Promise<void> {
  await rm(path, { force: true })
}

/** Ends the chain the pid file names if it still runs on `statePath`: SIGTERM (it saves its state), SIGKILL after `graceMs`. */
export async function endOrphanChain(pidPath: string, statePath: string, graceMs: number, clock: Clock, log: Logger): Promise<number | null> {
  const pid = await pidIn(pidPath)
  if (pid === null || !(await runsOn(pid, statePath))) {
    await forgetChainPid(pidPath)
    return null
  }
  log.warn({ pid }, 'a dev chain of an earlier run still runs on this directory; stopping it')
  signal(pid, 'SIGTERM')
  const deadline = clock.now() + graceMs
  while (isAlive(pid)) {
    if (clock.now() > deadline) {
      signal(pid, 'SIGKILL')
      break
    }
    // A timer that holds the process open: nothing else may (the chain is not our child).
    await delay(POLL_MS)
  }
  // After SIGKILL, gone once the kernel has reaped it (its parent, init, does that at once).
  while (isAlive(pid) && !(await isZombie(pid))) await delay(POLL_MS)
  await forgetChainPid(pidPath)
  return pid
}

async function pidIn(path: string): Promise<number | null> {
  try {
    const pid = Number((await readFile(path, 'utf8')).trim())
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null
  } catch {
    return null
  }
}

async function runsOn(pid: number, statePath: string): Promise<boolean> {
  if (!isAlive(pid)) return false
  try {
    const args = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0')
    const at = args.indexOf('--state')
    return at >= 0 && args[at + 1] === statePath
  } catch {
    return false
  }
}

async function isZombie(pid: number): Promise<boolean> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '')
  return status === '' || /^State:\s+Z/m.test(status)
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name)
  } catch {
    // Gone meanwhile.
  }
}
