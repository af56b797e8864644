// Builds GVMI packages for the tests the way gvmkit-build does, from the
// locally built busybox image: a container created from the image with the
// config a Dockerfile would set, its root filesystem exported, squashed with
// mksquashfs (squashfs-tools, set up by scripts/squashfs-up.sh), and the
// container's config appended as JSON between its CRC-32 and its 8-digit length.
import { execFile, spawn } from 'node:child_process'
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { crc32 } from 'node:zlib'
import type Docker from 'dockerode'
import { TEST_IMAGE } from './docker.ts'

const SQUASHFS_UP = fileURLToPath(new URL('../../scripts/squashfs-up.sh', import.meta.url))

/** Runs scripts/squashfs-up.sh; fails with its output when squashfs-tools cannot be installed. */
export async function squashfsUp(): Promise<void> {
  try {
    await promisify(execFile)('bash', [SQUASHFS_UP], { timeout: 280_000 })
  } catch (error) {
    const { stderr, message } = error as { stderr?: string; message: string }
    throw new Error(`scripts/squashfs-up.sh failed: ${stderr ?? message}`)
  }
}

export interface GvmiSource {
  /** What a Dockerfile would set: Entrypoint, Cmd, Env, WorkingDir, Volumes. */
  config: Pick<Docker.ContainerCreateOptions, 'Entrypoint' | 'Cmd' | 'Env' | 'WorkingDir' | 'Volumes'>
  /** Files added to the image (path → shell script), made executable. */
  scripts?: Record<string, string>
}

export interface BuiltGvmi {
  /** The whole package file. */
  bytes: Buffer
  /** The squashfs image alone (with mksquashfs's padding). */
  squashfs: Buffer
  /** The container config as gvmkit-build writes it. */
  config: Record<string, unknown>
}

export async function buildGvmi(docker: Docker, dir: string, source: GvmiSource): Promise<BuiltGvmi> {
  const container = await docker.createContainer({ Image: TEST_IMAGE, ...source.config })
  const rootfs = join(dir, 'rootfs')
  let config: Record<string, unknown>
  try {
    await mkdir(rootfs)
    const untar = spawn('tar', ['-x', '-C', rootfs], { stdio: ['pipe', 'ignore', 'inherit'] })
    const untarred = new Promise<number | null>(resolve => untar.once('close', resolve))
    await pipeline(await container.export(), untar.stdin)
    if ((await untarred) !== 0) throw new Error('the exported root filesystem did not unpack')
    // gvmkit-build keeps the container's config, blanking the domain name and the user.
    config = { ...((await container.inspect()).Config as unknown as Record<string, unknown>), Domainname: '', User: null }
  } finally {
    await container.remove({ force: true })
  }
  for (const [path, text] of Object.entries(source.scripts ?? {})) {
    await mkdir(join(rootfs, path, '..'), { recursive: true })
    await writeFile(join(rootfs, path), text)
    await chmod(join(rootfs, path), 0o755)
  }
  const image = join(dir, 'image.squashfs')
  await promisify(execFile)('mksquashfs', [rootfs, image, '-comp', 'lzo', '-noappend', '-quiet', '-no-progress'])
  const squashfs = await readFile(image)
  return { bytes: gvmiFile(squashfs, Buffer.from(JSON.stringify(config))), squashfs, config }
}

/** squashfs, CRC-32 (little-endian) of the metadata, the metadata, its length in 8 decimal digits. */
export function gvmiFile(squashfs: Uint8Array, metadata: Buffer, lengthField = String(metadata.byteLength).padStart(8, '0')): Buffer {
  const crc = Buffer.alloc(4)
  crc.writeUInt32LE(crc32(metadata))
  return Buffer.concat([squashfs, crc, metadata, Buffer.from(lengthField, 'latin1')])
}
