// Finds the image an activity runs: a task package (digest verified by the
// package store) that is either a Golem GVMI image (squashfs + metadata,
// imported once and kept in the engine by digest) or a `docker save` tarball
// (loaded into the engine), or, with "docker:<name>", an image the provider
// already has. Nothing is pulled from a registry.
import { createReadStream } from 'node:fs'
import { open } from 'node:fs/promises'
import type Docker from 'dockerode'
import { imageExists } from './image-exists.ts'
import { CodedError } from '../../../net/index.ts'
import { ExeUnitError } from '../../errors.ts'
import { parseTaskPackage } from '../package-store.ts'
import type { PackageSource } from '../package-store.ts'
import { GvmiImporter } from './gvmi/gvmi-importer.ts'
import type { ImageName } from './gvmi/gvmi-importer.ts'
import { DEFAULT_GVMI_LIMITS } from './gvmi/limits.ts'
import type { GvmiLimits } from './gvmi/limits.ts'
import { startsWithSquashfs } from './gvmi/superblock.ts'

export const LOCAL_IMAGE_PREFIX = 'docker:'
/** golem-js asks for golem.srv.comp.vm.package_format=gvmkit-squash; the vm runtime says it takes that. */
export const VM_OFFER_PROPERTIES: Readonly<Record<string, unknown>> = { 'golem.srv.comp.vm.package_format': ['gvmkit-squash'] }
/** Where imported GVMI images are kept: agora-gvmi/sha3-224:<digest>. */
export const GVMI_REPOSITORY = 'agora-gvmi'

export interface ImageLoaderOptions {
  gvmiLimits?: Partial<GvmiLimits>
  /** The unsquashfs command GVMI packages are unpacked with. */
  unsquashfs?: string
}

export class ImageLoader {
  readonly #docker: Docker
  readonly #gvmi: GvmiImporter
  /** Package key → image reference, so each package is loaded once even when activities deploy it at once. */
  readonly #loaded = new Map<string, Promise<string>>()

  constructor(docker: Docker, options: ImageLoaderOptions = {}) {
    this.#docker = docker
    this.#gvmi = new GvmiImporter({
      docker,
      limits: { ...DEFAULT_GVMI_LIMITS, ...options.gvmiLimits },
      ...(options.unsquashfs === undefined ? {} : { unsquashfs: options.unsquashfs })
    })
  }

  /** The image reference to create containers from, with its configuration. */
  async resolve(taskPackage: string, packages: PackageSource, signal: AbortSignal): Promise<{ ref: string; info: Docker.ImageInspectInfo }> {
    if (taskPackage.startsWith(LOCAL_IMAGE_PREFIX)) return await this.#inspect(taskPackage.slice(LOCAL_IMAGE_PREFIX.length))
    const { algorithm, digest } = parseTaskPackage(taskPackage)
    const key = `${algorithm}-${digest}`
    const name = { repo: `${GVMI_REPOSITORY}/${algorithm}`, tag: digest }
    const loaded = await this.#fromPackage(key, name, taskPackage, packages, signal)
    const info = await this.#docker
      .getImage(loaded)
      .inspect()
      .catch(() => null)
    if (info !== null) return { ref: loaded, info }
    // Removed from the engine since it was loaded: load it again.
    this.#loaded.delete(key)
    return await this.#inspect(await this.#fromPackage(key, name, taskPackage, packages, signal))
  }

  async #inspect(ref: string): Promise<{ ref: string; info: Docker.ImageInspectInfo }> {
    try {
      return { ref, info: await this.#docker.getImage(ref).inspect() }
    } catch (error) {
      // The engine's own words stay in the cause (the provider's log), not in the requester's result.
      throw new ExeUnitError('BadRequest', `image ${ref} is not available on this provider`, { cause: error })
    }
  }

  /** One load per package key at a time; `gvmiName` is what a GVMI package is imported as. */
  async #fromPackage(key: string, gvmiName: ImageName, taskPackage: string, packages: PackageSource, signal: AbortSignal): Promise<string> {
    let pending = this.#loaded.get(key)
    if (pending === undefined) {
      pending = this.#load(taskPackage, gvmiName, packages, signal)
      pending.catch(() => this.#loaded.delete(key))
      this.#loaded.set(key, pending)
    }
    return await pending
  }

  async #load(taskPackage: string, gvmiName: ImageName, packages: PackageSource, signal: AbortSignal): Promise<string> {
    const imported = `${gvmiName.repo}:${gvmiName.tag}`
    // Kept from an earlier import, also by an earlier run of the provider.
    if (await imageExists(this.#docker, imported)) return imported
    const path = await packages.fetch(taskPackage, signal)
    if (!(await isSquashfs(path))) return await this.#loadTarball(path)
    let ref: string
    try {
      ref = await this.#gvmi.import(path, gvmiName, signal)
    } catch (error) {
      // A package refused for what it holds is not kept: nothing of it stays behind.
      if (error instanceof CodedError && error.code === 'BadRequest') await packages.discard(taskPackage)
      throw error
    }
    // The engine keeps the image by digest; the package file would only double the disk it takes.
    await packages.discard(taskPackage)
    return ref
  }

  async #loadTarball(path: string): Promise<string> {
    const progress = await this.#docker.loadImage(createReadStream(path), { quiet: true })
    const messages = await new Promise<Array<Record<string, unknown>>>((resolve, reject) => {
      this.#docker.modem.followProgress(progress, (error: Error | null, output: Array<Record<string, unknown>>) => {
        if (error !== null) reject(error)
        else resolve(output)
      })
    })
    let ref: string | undefined
    for (const message of messages) {
      if (typeof message.error === 'string') throw new ExeUnitError('BadRequest', `the image tarball does not load: ${message.error}`)
      const stream = typeof message.stream === 'string' ? message.stream : ''
      const match = /Loaded image(?: ID)?: (\S+)/.exec(stream)
      if (match !== null) ref ??= match[1]
    }
    if (ref === undefined) throw new ExeUnitError('BadRequest', 'the image tarball holds no image')
    return ref
  }
}

async function isSquashfs(path: string): Promise<boolean> {
  const file = await open(path, 'r')
  try {
    return await startsWithSquashfs(file)
  } finally {
    await file.close()
  }
}
