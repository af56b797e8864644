// `agora data add <name> --dir DIR`: the tree copied into the snapshot. It is
// walked first — only directories and regular files (a symlink, device,
// socket or FIFO anywhere refuses the whole import), at most maxFiles files
// and maxBytes bytes — and only then copied, digesting every file.
import { createReadStream } from 'node:fs'
import { lstat, mkdir, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { CodedError } from '../../net/kernel.ts'
import type { DatasetFile } from '../model.ts'
import type { FingerprintList } from './file-digest.ts'
import type { ImportedSnapshot } from './import-types.ts'
import type { DatasetLimits } from './limits.ts'
import { ByteBudget, SnapshotFile, tooLarge } from './snapshot-file.ts'
import { assertDirectory } from './source-checks.ts'

/** Deeper than this is refused (a tree so deep is a mistake, and it bounds the walk). */
const MAX_DEPTH = 32

interface Tree {
  readonly dirs: string[]
  readonly files: string[]
}

export async function importDir(source: string, snapshotDir: string, fingerprints: FingerprintList, limits: DatasetLimits): Promise<ImportedSnapshot> {
  await assertDirectory(source, '--dir')
  const tree = await walk(source, limits)
  for (const dir of tree.dirs) await mkdir(join(snapshotDir, dir), { recursive: true })
  const budget = new ByteBudget(limits.maxBytes)
  const files: DatasetFile[] = []
  for (const path of tree.files) {
    const file = await SnapshotFile.create(join(snapshotDir, path), path, fingerprints, budget)
    try {
      for await (const chunk of createReadStream(join(source, path), { highWaterMark: 256 * 1024 }) as AsyncIterable<Buffer>) await file.write(chunk)
      files.push(await file.finish())
    } catch (err) {
      await file.abandon()
      throw err
    }
  }
  return { files, columns: [], rows: 0 }
}

/** Every directory and file under `root` (relative, "/" separators, sorted), within the limits. */
async function walk(root: string, limits: DatasetLimits): Promise<Tree> {
  const tree: Tree = { dirs: [], files: [] }
  let bytes = 0
  const visit = async (relative: string, depth: number): Promise<void> => {
    if (depth > MAX_DEPTH) throw new CodedError('BadRequest', `--dir: ${relative} is more than ${MAX_DEPTH} directories deep`)
    const names = (await readdir(join(root, relative))).sort()
    for (const name of names) {
      const path = relative === '' ? name : `${relative}/${name}`
      const info = await lstat(join(root, path))
      if (info.isDirectory()) {
        tree.dirs.push(path)
        await visit(path, depth + 1)
      } else if (info.isFile()) {
        tree.files.push(path)
        bytes += info.size
        if (tree.files.length > limits.maxFiles) {
          throw new CodedError('PayloadTooLarge', `--dir: more than ${limits.maxFiles} files (modules.custody.datasets.maxFiles)`)
        }
        if (bytes > limits.maxBytes) throw tooLarge(limits.maxBytes)
      } else throw new CodedError('BadRequest', `--dir: ${path} is ${kindOf(info)}: only regular files and directories are copied`)
    }
  }
  await visit('', 0)
  return tree
}

function kindOf(info: Awaited<ReturnType<typeof lstat>>): string {
  if (info.isSymbolicLink()) return 'a symbolic link'
  if (info.isBlockDevice() || info.isCharacterDevice()) return 'a device'
  if (info.isFIFO()) return 'a FIFO'
  if (info.isSocket()) return 'a socket'
  return 'not a regular file'
}
