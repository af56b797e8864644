// The algorithm's content hash as policies name it, read from the task
// package the agreement names ("hash:sha3:<hex>:<url>" → "sha3:<hex>"); the
// exe-unit verifies the package against that same hash before it runs.
const TASK_PACKAGE_HASH = /^hash:(?:\/\/)?sha3:([0-9a-fA-F]{56,128}):./

export function algorithmHash(taskPackage: unknown): string | null {
  if (typeof taskPackage !== 'string') return null
  const match = TASK_PACKAGE_HASH.exec(taskPackage)
  return match === null ? null : `sha3:${(match[1] as string).toLowerCase()}`
}
