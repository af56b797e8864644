// What a rental's `image` becomes in the demand (golem.srv.comp.task_package):
// a Golem task package (`hash:sha3:<hex>:<url>`) passes through for either
// runtime; on vm, `docker:<image>` names an image the provider already has,
// as the vm runtime takes it. Anything else is a local file (a .wasm module, a
// `docker save` tarball, a GVMI image), offered to the provider by the
// requester's daemon and named by its digest (served-image.ts).
import type { ApiClient } from '../client/api-client.ts'
import { SdkError } from '../errors.ts'
import { serveLocalImage } from './served-image.ts'

const TASK_PACKAGE = /^hash:(?:\/\/)?sha3:([0-9a-fA-F]{56}|[0-9a-fA-F]{64}|[0-9a-fA-F]{96}|[0-9a-fA-F]{128}):(\S+)$/
const SHA3_OF_LENGTH: Readonly<Record<number, string>> = { 56: 'sha3-224', 64: 'sha3-256', 96: 'sha3-384', 128: 'sha3-512' }

/** A task package's parts: the node:crypto name of its digest, the digest (hex) and where it is fetched from. */
export function taskPackageOf(image: string): { readonly algorithm: string; readonly hex: string; readonly url: string } | undefined {
  const match = TASK_PACKAGE.exec(image)
  if (match === null) return undefined
  const [, hex, url] = match as unknown as [string, string, string]
  return { algorithm: SHA3_OF_LENGTH[hex.length] as string, hex, url }
}
const DOCKER_IMAGE = /^docker:[A-Za-z0-9][A-Za-z0-9._\-/:@]{0,254}$/
/** A URL other than a task package's: it has no digest the provider could check. */
const URL_LIKE = /^[a-z][a-z0-9+.-]*:\/\//i

export function resolveImage(runtime: 'wasmtime' | 'vm', image: string): string {
  if (typeof image !== 'string' || image === '') throw new SdkError('BadRequest', 'image must name a task package or, on vm, docker:<image>')
  if (TASK_PACKAGE.test(image)) return image
  if (image.startsWith('docker:')) {
    if (runtime !== 'vm') throw new SdkError('BadRequest', `image ${image.slice(0, 100)} is a container image: rent it with runtime "vm"`)
    if (!DOCKER_IMAGE.test(image)) throw new SdkError('BadRequest', `image ${image.slice(0, 100)} is not a valid docker:<image> name`)
    return image
  }
  throw new SdkError(
    'BadRequest',
    `image ${image.slice(0, 100)} is neither a task package (hash:sha3:<hex>:<url>), docker:<image>, nor a local file (a URL needs its digest: hash:sha3:<hex>:<url>)`
  )
}

/** A path on this machine: neither a task package, nor docker:, nor a URL. */
export function isLocalImage(image: string): boolean {
  return typeof image === 'string' && image !== '' && !TASK_PACKAGE.test(image) && !image.startsWith('docker:') && !URL_LIKE.test(image)
}

/** As resolveImage, but a local path passes: it is checked when it is served. */
export function checkImage(runtime: 'wasmtime' | 'vm', image: string): void {
  if (!isLocalImage(image)) resolveImage(runtime, image)
}

/** The image as the demand names it: a local file is offered through the daemon first (before anything is reserved). */
export async function servedImage(api: ApiClient, runtime: 'wasmtime' | 'vm', image: string, signal?: AbortSignal): Promise<string> {
  if (!isLocalImage(image)) return resolveImage(runtime, image)
  return (await serveLocalImage(api, image, signal)).taskPackage
}
