// The squashfs 4.0 superblock at the start of a GVMI image: enough of it to
// tell a GVMI package from a tarball and to check the image's size and file
// count before anything is unpacked.
import type { FileHandle } from 'node:fs/promises'
import { bad } from './trailer.ts'

/** "hsqs": the squashfs magic as it lies on disk (little-endian 0x73717368). */
export const SQUASHFS_MAGIC = Buffer.from('hsqs', 'latin1')
const SUPERBLOCK_BYTES = 96

export interface Superblock {
  /** Files, directories, links and other nodes in the image. */
  inodeCount: number
  /** Bytes of the image proper (the rest up to the metadata is padding). */
  bytesUsed: number
  versionMajor: number
}

export async function startsWithSquashfs(file: FileHandle): Promise<boolean> {
  const head = Buffer.alloc(SQUASHFS_MAGIC.length)
  const { bytesRead } = await file.read(head, 0, head.length, 0)
  return bytesRead === head.length && head.equals(SQUASHFS_MAGIC)
}

export async function readSuperblock(file: FileHandle): Promise<Superblock> {
  const block = Buffer.alloc(SUPERBLOCK_BYTES)
  const { bytesRead } = await file.read(block, 0, SUPERBLOCK_BYTES, 0)
  if (bytesRead !== SUPERBLOCK_BYTES || !block.subarray(0, 4).equals(SQUASHFS_MAGIC)) throw bad('it does not start with a squashfs superblock')
  const versionMajor = block.readUInt16LE(28)
  if (versionMajor !== 4) throw bad(`its squashfs version is ${versionMajor}, not 4`)
  const bytesUsed = block.readBigUInt64LE(40)
  return {
    inodeCount: block.readUInt32LE(4),
    bytesUsed: bytesUsed > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(bytesUsed),
    versionMajor
  }
}
