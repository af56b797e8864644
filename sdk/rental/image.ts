// What a rental's `image` becomes in the demand (golem.srv.comp.task_package):
// a Golem task package (`hash:sha3:<hex>:<url>`) passes through for either
// runtime; on vm, `docker:<image>` names an image the provider already has,
// as the vm runtime takes it. Anything else is refused before a demand exists.
import { SdkError } from '../errors.ts'

const TASK_PACKAGE = /^hash:(?:\/\/)?sha3:(?:[0-9a-fA-F]{56}|[0-9a-fA-F]{64}|[0-9a-fA-F]{96}|[0-9a-fA-F]{128}):\S+$/
const DOCKER_IMAGE = /^docker:[A-Za-z0-9][A-Za-z0-9._\-/:@]{0,254}$/

export function resolveImage(runtime: 'wasmtime' | 'vm', image: string): string {
  if (typeof image !== 'string' || image === '') throw new SdkError('BadRequest', 'image must name a task package or, on vm, docker:<image>')
  if (TASK_PACKAGE.test(image)) return image
  if (image.startsWith('docker:')) {
    if (runtime !== 'vm') throw new SdkError('BadRequest', `image ${image.slice(0, 100)} is a container image: rent it with runtime "vm"`)
    if (!DOCKER_IMAGE.test(image)) throw new SdkError('BadRequest', `image ${image.slice(0, 100)} is not a valid docker:<image> name`)
    return image
  }
  throw new SdkError('BadRequest', `image ${image.slice(0, 100)} is neither a task package (hash:sha3:<hex>:<url>) nor docker:<image>`)
}
