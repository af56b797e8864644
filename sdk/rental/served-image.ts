// A local image file (a .wasm module, a `docker save` tarball, a GVMI file)
// offered by the requester's daemon to its providers: the provider fetches it
// over the activity's file channel and checks it against the SHA-3 digest the
// task package names, so a rental needs no web server of its own.
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { basename } from 'node:path'
import type { ApiClient } from '../client/api-client.ts'
import { SdkError } from '../errors.ts'

/**
 * sha3-256, the hash owners' policies and signed manifests name an algorithm
 * by (custody), so a local file is allowed by the hash its owner listed. The
 * provider takes any SHA-3 length: Golem's sha3-224 image URLs work unchanged.
 */
const ALGORITHM = 'sha3-256'
const TRANSFERS = '/agora-api/v1/transfers'

/** What rent() puts in golem.srv.comp.task_package for an image. */
export interface ServedImage {
  readonly taskPackage: string
  /** The name the daemon offers the file under (agora-requester:<name>). */
  readonly name: string
  readonly bytes: number
  readonly digest: string
}

/** The SHA-3 digest of a file, read as a stream (images may be gigabytes). */
export async function fileDigest(path: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash(ALGORITHM)
  for await (const chunk of createReadStream(path, signal === undefined ? {} : { signal })) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

/** A transfer name from the digest (so the same file is offered once) and the file's own name (for a reader). */
export function servedName(path: string, digest: string): string {
  const readable = basename(path)
    .replace(/[^A-Za-z0-9._-]/g, '_')
    .replace(/^[._-]+/, '')
    .slice(0, 59)
  // img-<64 hex>-<59>: 128 characters, the longest transfer name.
  return `img-${digest}${readable === '' ? '' : `-${readable}`}`
}

/**
 * Offers the local file at `path` through the daemon (unless an identical offer is there already) and returns its
 * task package. Refuses a path that is no readable file before anything is sent.
 */
export async function serveLocalImage(api: ApiClient, path: string, signal?: AbortSignal): Promise<ServedImage> {
  const info = await stat(path).catch(() => null)
  if (info === null || !info.isFile()) {
    throw new SdkError('BadRequest', `image ${JSON.stringify(path.slice(0, 200))} is neither a task package (hash:sha3:…), docker:<image>, nor a file here`)
  }
  const digest = await fileDigest(path, signal)
  const name = servedName(path, digest)
  const listed = await api.call<{ offered: readonly { name: string; bytes: number }[] }>('GET', `${TRANSFERS}/`, signal === undefined ? {} : { signal })
  const already = listed.offered.some(file => file.name === name && file.bytes === info.size)
  if (!already) {
    await api.call('PUT', `${TRANSFERS}/offered/${name}`, {
      bytes: createReadStream(path, signal === undefined ? {} : { signal }),
      ...(signal === undefined ? {} : { signal })
    })
  }
  return { taskPackage: `hash:sha3:${digest}:agora-requester:${name}`, name, bytes: info.size, digest }
}
