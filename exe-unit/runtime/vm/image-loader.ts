// Finds the image an activity runs: a `docker save` tarball named by the task
// package (digest verified by the package store, then loaded into the engine),
// or, with "docker:<name>", an image the provider already has. Nothing is
// pulled from a registry.
import { createReadStream } from 'node:fs'
import type Docker from 'dockerode'
import { ExeUnitError } from '../../errors.ts'
import type { PackageStore } from '../package-store.ts'

export const LOCAL_IMAGE_PREFIX = 'docker:'

export class ImageLoader {
  readonly #docker: Docker
  /** Verified tarball path → image reference, so each tarball is loaded once. */
  readonly #loaded = new Map<string, Promise<string>>()

  constructor(docker: Docker) {
    this.#docker = docker
  }

  /** The image reference to create containers from, with its configuration. */
  async resolve(taskPackage: string, packages: PackageStore, signal: AbortSignal): Promise<{ ref: string; info: Docker.ImageInspectInfo }> {
    const ref = taskPackage.startsWith(LOCAL_IMAGE_PREFIX)
      ? taskPackage.slice(LOCAL_IMAGE_PREFIX.length)
      : await this.#load(await packages.fetch(taskPackage, signal))
    try {
      return { ref, info: await this.#docker.getImage(ref).inspect() }
    } catch (error) {
      // The engine's own words stay in the cause (the provider's log), not in the requester's result.
      throw new ExeUnitError('BadRequest', `image ${ref} is not available on this provider`, { cause: error })
    }
  }

  async #load(path: string): Promise<string> {
    let pending = this.#loaded.get(path)
    if (pending === undefined) {
      pending = this.#loadTarball(path)
      pending.catch(() => this.#loaded.delete(path))
      this.#loaded.set(path, pending)
    }
    return await pending
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
