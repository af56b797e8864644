// The algorithm's content hash, read from its task package
// (golem.srv.comp.task_package): the sha3 the exe-unit verifies the package
// against, or the sha256 digest the container engine resolves a local image
// by. A package that names neither cannot be told apart from another one, so
// custody refuses it.
const SHA3_PACKAGE = /^hash:(?:\/\/)?sha3:([0-9a-fA-F]{56}|[0-9a-fA-F]{64}|[0-9a-fA-F]{96}|[0-9a-fA-F]{128}):./
/** docker:sha256:<hex> (an image id) or docker:<name>@sha256:<hex> (a repository digest). */
const DOCKER_DIGEST = /^docker:(?:[^@\s]+@)?sha256:([0-9a-fA-F]{64})$/

/** "sha3:<hex>" / "sha256:<hex>" (lowercase), or null when the package names no hash. */
export function algorithmHashOf(taskPackage: unknown): string | null {
  if (typeof taskPackage !== 'string') return null
  const sha3 = SHA3_PACKAGE.exec(taskPackage)
  if (sha3 !== null) return `sha3:${(sha3[1] as string).toLowerCase()}`
  const docker = DOCKER_DIGEST.exec(taskPackage)
  if (docker !== null) return `sha256:${(docker[1] as string).toLowerCase()}`
  return null
}
