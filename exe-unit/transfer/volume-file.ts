// Opens files inside an activity's volumes for transfers without letting a
// symbolic link, planted by the workload, lead outside the volume.
import { constants } from 'node:fs'
import type { ReadStream, WriteStream } from 'node:fs'
import { lstat, mkdir, open, realpath } from 'node:fs/promises'
import { dirname, relative, sep } from 'node:path'
import { ExeUnitError } from '../errors.ts'
import type { HostLocation } from '../runtime/runtime.ts'

async function assertInside(root: string, path: string, what: string): Promise<void> {
  const realRoot = await realpath(root)
  const real = await realpath(path)
  if (real !== realRoot && !real.startsWith(realRoot + sep)) {
    throw new ExeUnitError('BadRequest', `${what} leads outside the activity's volume`)
  }
}

export async function openVolumeFileForRead(location: HostLocation, containerPath: string): Promise<ReadStream> {
  const info = await lstat(location.path).catch(() => null)
  if (info === null) throw new ExeUnitError('BadRequest', `container:${containerPath} does not exist`)
  if (!info.isFile()) throw new ExeUnitError('BadRequest', `container:${containerPath} is not a regular file`)
  await assertInside(location.root, dirname(location.path), `container:${containerPath}`)
  const handle = await open(location.path, constants.O_RDONLY | constants.O_NOFOLLOW)
  return handle.createReadStream()
}

export async function openVolumeFileForWrite(location: HostLocation, containerPath: string): Promise<WriteStream> {
  await mkdirInside(location.root, dirname(location.path), containerPath)
  await assertInside(location.root, dirname(location.path), `container:${containerPath}`)
  const existing = await lstat(location.path).catch(() => null)
  if (existing !== null && !existing.isFile()) throw new ExeUnitError('BadRequest', `container:${containerPath} exists and is not a regular file`)
  const handle = await open(location.path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o644)
  return handle.createWriteStream()
}

/** Creates missing parent directories one by one, refusing to pass through a link. */
async function mkdirInside(root: string, dir: string, containerPath: string): Promise<void> {
  const parts = relative(root, dir)
    .split(sep)
    .filter(part => part !== '')
  let current = root
  for (const part of parts) {
    current = `${current}${sep}${part}`
    const info = await lstat(current).catch(() => null)
    if (info === null) await mkdir(current)
    else if (!info.isDirectory()) throw new ExeUnitError('BadRequest', `container:${containerPath}: ${part} is not a directory`)
  }
}
