// How much disk an activity's directory takes, as its storage limit
// (golem.inf.storage.gib) counts it: every entry at least one 4 KiB block, a
// file at least its size (a sparse file counts what it claims), links not
// followed. One walk, sync for the WASI worker (it measures between writes)
// and async for the rest.
import { lstatSync, readdirSync } from 'node:fs'
import type { Stats } from 'node:fs'
import { lstat, readdir } from 'node:fs/promises'
import { join } from 'node:path'

const BLOCK = 4096

function entryBytes(info: Stats): number {
  return Math.max(BLOCK, info.size, info.blocks * 512)
}

export function diskUsageSync(dir: string): number {
  let total = 0
  const pending = [dir]
  for (let current = pending.pop(); current !== undefined; current = pending.pop()) {
    let names: string[]
    try {
      names = readdirSync(current)
    } catch {
      continue
    }
    for (const name of names) {
      const path = join(current, name)
      let info: Stats
      try {
        info = lstatSync(path)
      } catch {
        continue
      }
      total += entryBytes(info)
      if (info.isDirectory()) pending.push(path)
    }
  }
  return total
}

export async function diskUsage(dir: string): Promise<number> {
  let total = 0
  const pending = [dir]
  for (let current = pending.pop(); current !== undefined; current = pending.pop()) {
    const names = await readdir(current).catch(() => [] as string[])
    for (const name of names) {
      const path = join(current, name)
      const info = await lstat(path).catch(() => null)
      if (info === null) continue
      total += entryBytes(info)
      if (info.isDirectory()) pending.push(path)
    }
  }
  return total
}

/** What a result says when the limit stopped a command. */
export function storageLimitMessage(limitBytes: number, what: string): string {
  return `the activity's storage limit of ${formatGib(limitBytes)} GiB (golem.inf.storage.gib) is reached: ${what}`
}

function formatGib(bytes: number): string {
  return String(Math.round((bytes / 1024 ** 3) * 1e4) / 1e4)
}
