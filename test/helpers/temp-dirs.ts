// Temp directories a test file makes and may forget: each is noted here and
// removed after the file's last test (test/root-hooks.ts), whatever its outcome.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const made = new Set<string>()

/** A new empty directory under the OS temp dir, removed after this test file. */
export async function madeTempDir(prefix = 'agora-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  made.add(dir)
  return dir
}

/** Removes every directory madeTempDir() made so far. */
export async function removeMadeTempDirs(): Promise<void> {
  const dirs = [...made]
  made.clear()
  await Promise.all(dirs.map(async dir => await rm(dir, { recursive: true, force: true, maxRetries: 3 })))
}
