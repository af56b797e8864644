// The owner's source paths, checked before anything is read from them.
import { realpath, stat } from 'node:fs/promises'
import { sep } from 'node:path'
import type { Stats } from 'node:fs'
import { CodedError } from '../../net/kernel.ts'

/** The size of a regular file; BadRequest (naming the option) when the path is missing or not a file. */
export async function regularFileSize(path: string, option: string): Promise<number> {
  const info = await statOf(path, option)
  if (!info.isFile()) throw new CodedError('BadRequest', `${option}: ${path} is not a regular file`)
  return Number(info.size)
}

export async function assertDirectory(path: string, option: string): Promise<void> {
  const info = await statOf(path, option)
  if (!info.isDirectory()) throw new CodedError('BadRequest', `${option}: ${path} is not a directory`)
}

async function statOf(path: string, option: string): Promise<Stats> {
  try {
    return await stat(path)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new CodedError('BadRequest', `${option}: ${path} does not exist`, { cause: err })
    if (code === 'EACCES' || code === 'EPERM') throw new CodedError('BadRequest', `${option}: ${path} cannot be read by the daemon`, { cause: err })
    throw err
  }
}

/**
 * The daemon's own data dir (its keys, its store, the snapshots) is never
 * read into a dataset: a source inside it, or a directory holding it, is
 * refused — links resolved, so a symlink does not get around it.
 */
export async function assertApartFrom(dataDir: string, path: string, option: string): Promise<void> {
  const real = await realpath(path).catch(() => undefined)
  // A missing source is the importer's to name.
  if (real === undefined) return
  const kept = await realpath(dataDir).catch(() => dataDir)
  if (within(real, kept) || within(kept, real)) {
    throw new CodedError('BadRequest', `${option}: ${path} is in or holds the daemon's data dir, which no dataset may read`)
  }
}

function within(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith(sep) ? dir : `${dir}${sep}`)
}
