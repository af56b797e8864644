// The owner's source paths, checked before anything is read from them.
import { stat } from 'node:fs/promises'
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
