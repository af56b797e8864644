// Turns a verified GVMI package into a Docker image: checks its trailer,
// superblock and metadata, lists it against the bounds, unpacks it with
// unsquashfs next to the package, streams the root filesystem as a tar into
// `docker import` with the metadata as image config, and tags the image only
// once the whole tree went in. Whatever happens, the unpacked tree is removed,
// and a failed import leaves no image.
import { spawn } from 'node:child_process'
import { mkdtemp, open, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type Docker from 'dockerode'
import { imageExists } from '../image-exists.ts'
import { ExeUnitError } from '../../../errors.ts'
import type { GvmiLimits } from './limits.ts'
import { importChanges, readConfig } from './metadata.ts'
import { readSuperblock } from './superblock.ts'
import { bad, readTrailer } from './trailer.ts'
import { checkUnsquashfs, extractImage, listImage } from './unsquashfs.ts'

export interface GvmiImporterOptions {
  docker: Docker
  limits: GvmiLimits
  /** The unsquashfs command (found on the PATH by default). */
  unsquashfs?: string
}

export interface ImageName {
  repo: string
  tag: string
}

export class GvmiImporter {
  readonly #docker: Docker
  readonly #limits: GvmiLimits
  readonly #unsquashfs: string
  /** The unsquashfs check, made once a package needs it (and again after it failed). */
  #toolChecked: Promise<void> | undefined

  constructor(options: GvmiImporterOptions) {
    this.#docker = options.docker
    this.#limits = options.limits
    this.#unsquashfs = options.unsquashfs ?? 'unsquashfs'
  }

  /** Imports the package at `path` as `name`; returns the image reference. */
  async import(path: string, name: ImageName, signal: AbortSignal): Promise<string> {
    this.#toolChecked ??= checkUnsquashfs(this.#unsquashfs).catch((error: unknown) => {
      this.#toolChecked = undefined
      throw error
    })
    await this.#toolChecked
    const { changes, inodeCount } = await this.#check(path)
    signal.throwIfAborted()
    const listing = await listImage(this.#unsquashfs, path, { maxBytes: this.#limits.maxUnpackedBytes, maxFiles: this.#limits.maxFiles }, signal)
    // Every node has a name in the listing; fewer names than nodes means lines the bounds did not count.
    if (listing.files < inodeCount) throw bad(`its listing names ${listing.files} entries for ${inodeCount} nodes`)
    const workDir = await mkdtemp(`${path}.unpack-`)
    try {
      const rootfs = join(workDir, 'rootfs')
      await extractImage(this.#unsquashfs, path, rootfs, signal)
      const id = await this.#importTree(rootfs, changes, signal)
      const ref = `${name.repo}:${name.tag}`
      try {
        // Another exe-unit on the same engine may have imported the same digest meanwhile: keep one.
        if (await imageExists(this.#docker, ref)) await this.#docker.getImage(id).remove({ force: true })
        else await this.#docker.getImage(id).tag(name)
      } catch (error) {
        await this.#docker
          .getImage(id)
          .remove({ force: true })
          .catch(() => {})
        throw error
      }
      return ref
    } finally {
      await rm(workDir, { recursive: true, force: true })
    }
  }

  /** The checks that need only the file: trailer, superblock, metadata. Returns the image config as import changes. */
  async #check(path: string): Promise<{ changes: string[]; inodeCount: number }> {
    const file = await open(path, 'r')
    try {
      const trailer = await readTrailer(file, this.#limits.maxMetadataBytes)
      const superblock = await readSuperblock(file)
      if (superblock.bytesUsed > trailer.imageBytes) {
        throw bad(`its squashfs image claims ${superblock.bytesUsed} bytes, but only ${trailer.imageBytes} precede the metadata (truncated?)`)
      }
      if (superblock.inodeCount > this.#limits.maxFiles) throw bad(`it holds ${superblock.inodeCount} files, more than the ${this.#limits.maxFiles} allowed`)
      return { changes: importChanges(readConfig(trailer.config)), inodeCount: superblock.inodeCount }
    } finally {
      await file.close()
    }
  }

  /** Streams the tree into the engine; returns the new (untagged) image's id. */
  async #importTree(rootfs: string, changes: string[], signal: AbortSignal): Promise<string> {
    // Owners are kept as numbers; a provider not running as root could not have unpacked them, so all is root's.
    const owner = process.getuid?.() === 0 ? [] : ['--owner=0', '--group=0']
    const tar = spawn('tar', ['--numeric-owner', ...owner, '-C', rootfs, '-cf', '-', '.'], { stdio: ['ignore', 'pipe', 'pipe'], signal })
    const tarExit = new Promise<number | null>((resolve, reject) => {
      tar.once('error', reject)
      tar.once('close', resolve)
    })
    tarExit.catch(() => {}) // awaited below
    let stderr = ''
    tar.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4096)
    })
    let messages: Array<Record<string, unknown>>
    try {
      const progress = await this.#docker.importImage(tar.stdout, { changes })
      messages = await new Promise((resolve, reject) => {
        this.#docker.modem.followProgress(progress, (error: Error | null, output: Array<Record<string, unknown>>) => {
          if (error !== null) reject(error)
          else resolve(output)
        })
      })
    } catch (error) {
      tar.kill('SIGKILL')
      await tarExit.catch(() => {})
      signal.throwIfAborted()
      throw new ExeUnitError('BadRequest', 'the GVMI package is refused: the engine does not import its root filesystem', { cause: error })
    }
    const status = messages.at(-1)?.status
    const id = typeof status === 'string' && status.startsWith('sha256:') ? status : undefined
    const code = await tarExit.catch(() => null)
    if (code !== 0 || id === undefined) {
      if (id !== undefined)
        await this.#docker
          .getImage(id)
          .remove({ force: true })
          .catch(() => {})
      throw new ExeUnitError('Internal', 'the unpacked GVMI root filesystem could not be imported', { cause: new Error(`tar exit ${code}: ${stderr}`) })
    }
    return id
  }
}
