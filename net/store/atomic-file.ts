// Files other processes read (api.url, the dev network's network file and
// deployment record) are written whole or not at all: to a temporary name
// beside them, synced, then renamed over them, so a reader never sees one half written.
import { randomBytes } from 'node:crypto'
import { open, rename, rm } from 'node:fs/promises'

export async function writeFileAtomic(path: string, text: string, mode = 0o600): Promise<void> {
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  const file = await open(temporary, 'wx', mode)
  try {
    try {
      await file.writeFile(text, 'utf8')
      await file.sync()
    } finally {
      await file.close()
    }
    await rename(temporary, path)
  } catch (err) {
    await rm(temporary, { force: true })
    throw err
  }
}
