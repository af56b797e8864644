// Fetches task packages named as Golem names them (golem.srv.comp.task_package
// = "hash:sha3:<hex>:<url>"), verifies the SHA-3 digest before anything uses
// them, and keeps verified files by digest so each is downloaded once. The URL
// may also be `agora-requester:<name>` (or `gftp:<name>`): a file the
// activity's own requester offers, read over the requester file channel.
import { createHash, randomBytes } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdir, realpath, rename, rm, stat } from 'node:fs/promises'
import { join, sep } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { fileURLToPath } from 'node:url'
import { ExeUnitError } from '../errors.ts'
import { guardedFetch } from '../transfer/address-guard.ts'
import { bodyChunks, bounded } from '../transfer/bounded.ts'
import { REQUESTER_SCHEMES } from '../transfer/requester-channel.ts'
import type { RequesterFileChannel } from '../transfer/requester-channel.ts'

export interface TaskPackage {
  /** sha3-224/256/384/512, chosen by the digest's length (Golem's images use sha3-224). */
  algorithm: string
  /** Lowercase hex digest of the file. */
  digest: string
  url: URL
}

const ALGORITHM_BY_HEX_LENGTH: Record<number, string> = { 56: 'sha3-224', 64: 'sha3-256', 96: 'sha3-384', 128: 'sha3-512' }

export function parseTaskPackage(text: string): TaskPackage {
  const match = /^hash:(?:\/\/)?sha3:([0-9a-fA-F]+):(.+)$/.exec(text)
  if (match === null) {
    throw new ExeUnitError('BadRequest', `task package "${text.slice(0, 200)}" is not of the form hash:sha3:<hex digest>:<url>`)
  }
  const digest = (match[1] as string).toLowerCase()
  const algorithm = ALGORITHM_BY_HEX_LENGTH[digest.length]
  if (algorithm === undefined) throw new ExeUnitError('BadRequest', `task package digest has ${digest.length} hex digits, not a SHA-3 length`)
  let url: URL
  try {
    url = new URL(match[2] as string)
  } catch {
    throw new ExeUnitError('BadRequest', `task package URL "${match[2]}" is not a URL`)
  }
  if (!['http:', 'https:', 'file:'].includes(url.protocol) && !isRequesterUrl(url)) {
    throw new ExeUnitError('BadRequest', `task package URL scheme ${url.protocol} is not supported (http, https, file, agora-requester)`)
  }
  return { algorithm, digest, url }
}

function isRequesterUrl(url: URL): boolean {
  return (REQUESTER_SCHEMES as readonly string[]).includes(url.protocol)
}

/** What a runtime fetches its package through: the store, seen from one activity (its requester's files). */
export interface PackageSource {
  fetch: (taskPackage: string, signal?: AbortSignal) => Promise<string>
  discard: (taskPackage: string) => Promise<void>
}

export interface PackageStoreOptions {
  /** Where verified packages are kept. */
  dir: string
  maxBytes: number
  /** Directories file:// packages may come from; none by default. */
  localDirs: readonly string[]
  allowPrivateNetworks: boolean
}

export class PackageStore {
  readonly #options: PackageStoreOptions
  readonly #pending = new Map<string, Promise<string>>()

  constructor(options: PackageStoreOptions) {
    this.#options = options
  }

  /**
   * Path of the verified package file, fetching it when not yet kept. `requester`: the channel to the
   * activity's requester with its node id, the only source of an `agora-requester:` package.
   */
  async fetch(taskPackage: string, signal?: AbortSignal, requester?: { id: string; files: RequesterFileChannel | undefined }): Promise<string> {
    const pkg = parseTaskPackage(taskPackage)
    const key = `${pkg.algorithm}-${pkg.digest}`
    const path = join(this.#options.dir, key)
    // A kept file is the verified digest, whoever served it first.
    if (await exists(path)) return path
    // Two requesters naming the same digest each fetch from their own files: one that offers nothing fails alone.
    const pendingKey = isRequesterUrl(pkg.url) ? `${key} ${requester?.id ?? ''} ${pkg.url.href}` : key
    let pending = this.#pending.get(pendingKey)
    if (pending === undefined) {
      pending = this.#download(pkg, path, signal, requester?.files).finally(() => this.#pending.delete(pendingKey))
      this.#pending.set(pendingKey, pending)
    }
    return await pending
  }

  /** The store as one activity sees it: requester packages come from that activity's requester only. */
  forActivity(requesterId: string, files: RequesterFileChannel | undefined): PackageSource {
    return {
      fetch: async (taskPackage, signal) => await this.fetch(taskPackage, signal, { id: requesterId, files }),
      discard: async taskPackage => await this.discard(taskPackage)
    }
  }

  /** Forgets a kept package (one found unusable), so that nothing of it stays on disk. */
  async discard(taskPackage: string): Promise<void> {
    const pkg = parseTaskPackage(taskPackage)
    await rm(join(this.#options.dir, `${pkg.algorithm}-${pkg.digest}`), { force: true })
  }

  async #download(pkg: TaskPackage, path: string, signal: AbortSignal | undefined, requesterFiles: RequesterFileChannel | undefined): Promise<string> {
    await mkdir(this.#options.dir, { recursive: true })
    const partial = `${path}.${randomBytes(6).toString('hex')}.partial`
    const hash = createHash(pkg.algorithm)
    async function* hashed(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
      for await (const chunk of source) {
        hash.update(chunk)
        yield chunk
      }
    }
    try {
      const source = bounded(await this.#open(pkg.url, signal, requesterFiles), this.#options.maxBytes, 'task package')
      await pipeline(Readable.from(hashed(source)), createWriteStream(partial, { flags: 'wx', mode: 0o600 }), { signal })
      const actual = hash.digest('hex')
      if (actual !== pkg.digest) {
        throw new ExeUnitError('BadRequest', `task package hash mismatch: expected ${pkg.algorithm} ${pkg.digest}, got ${actual}`)
      }
      await rename(partial, path)
      return path
    } finally {
      await rm(partial, { force: true })
    }
  }

  async #open(url: URL, signal: AbortSignal | undefined, requesterFiles: RequesterFileChannel | undefined): Promise<AsyncIterable<Uint8Array>> {
    if (url.protocol === 'file:') return createReadStream(await this.#localPath(url))
    if (isRequesterUrl(url)) {
      if (requesterFiles === undefined) throw new ExeUnitError('BadRequest', 'task packages from the requester are not available here')
      return requesterFiles.read(url.href, signal)
    }
    const response = await guardedFetch(url, signal === undefined ? {} : { signal }, { allowPrivateNetworks: this.#options.allowPrivateNetworks })
    if (!response.ok) {
      await response.body?.cancel()
      throw new ExeUnitError('BadRequest', `task package download from ${url.href} failed: HTTP ${response.status}`)
    }
    return bodyChunks(response.body)
  }

  async #localPath(url: URL): Promise<string> {
    let real: string
    try {
      real = await realpath(fileURLToPath(url))
    } catch {
      throw new ExeUnitError('BadRequest', `task package file ${url.href} does not exist`)
    }
    for (const dir of this.#options.localDirs) {
      const root = await realpath(dir).catch(() => null)
      if (root !== null && real.startsWith(root + sep)) return real
    }
    throw new ExeUnitError('BadRequest', `task package file ${url.href} is outside the provider's package directories`)
  }
}

async function exists(path: string): Promise<boolean> {
  return await stat(path).then(
    () => true,
    () => false
  )
}
