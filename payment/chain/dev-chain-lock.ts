// One dev chain per directory: its state file must have a single writer. The
// lock is a file created exclusively, naming the process that holds it; a lock
// whose process is gone (killed) is stale and taken over.
import { open, readFile, rm } from 'node:fs/promises'
import { ChainError } from './chain-error.ts'

export interface DirLock {
  release: () => Promise<void>
}

/** Takes the lock at `path`; Conflict when a live process holds it. */
export async function lockDir(path: string, what: string, pid: number = process.pid): Promise<DirLock> {
  // Two tries: the second after removing a stale lock (if another process
  // removed it and took it meanwhile, the exclusive create fails again).
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const file = await open(path, 'wx', 0o600)
      try {
        await file.writeFile(`${pid}\n`, 'utf8')
        await file.sync()
      } finally {
        await file.close()
      }
      return { release: async () => await releaseIfOurs(path, pid) }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
    const holder = await holderOf(path)
    if (holder !== null && isAlive(holder)) {
      throw new ChainError('Conflict', `${what} is in use by another process (pid ${holder})`)
    }
    await rm(path, { force: true })
  }
  throw new ChainError('Conflict', `${what} is in use by another process`)
}

async function holderOf(path: string): Promise<number | null> {
  try {
    const pid = Number((await readFile(path, 'utf8')).trim())
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null
  } catch {
    return null
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    // EPERM: it exists, under another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

async function releaseIfOurs(path: string, pid: number): Promise<void> {
  if ((await holderOf(path)) === pid) await rm(path, { force: true })
}
