// Where the anvil binary lives: @foundry-rs/anvil ships it inside a platform
// package (e.g. @foundry-rs/anvil-linux-amd64) installed as an optional
// dependency, so no install script has to download it. Spawning it directly
// (not through the package's node wrapper or npx) lets a stop signal reach it.
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { ChainError } from './chain-error.ts'

const ARCH_NAMES: Readonly<Record<string, string>> = { x64: 'amd64', arm64: 'arm64' }

/** The platform package's name for this machine, e.g. `@foundry-rs/anvil-linux-amd64`. */
export function anvilPlatformPackage(platform: string = process.platform, arch: string = process.arch): string | undefined {
  const archName = ARCH_NAMES[arch]
  if (archName === undefined || !['linux', 'darwin', 'win32'].includes(platform)) return undefined
  return `@foundry-rs/anvil-${platform}-${archName}`
}

/** The absolute path of the anvil executable installed with the project. */
export function anvilBinaryPath(): string {
  const pkg = anvilPlatformPackage()
  if (pkg === undefined) throw new ChainError('Unavailable', `the dev chain has no anvil build for ${process.platform}-${process.arch}`)
  const file = process.platform === 'win32' ? 'anvil.exe' : 'anvil'
  let path: string
  try {
    path = createRequire(import.meta.url).resolve(`${pkg}/bin/${file}`)
  } catch (err) {
    throw new ChainError('Unavailable', `the dev chain's binary package ${pkg} is not installed (run npm ci)`, { cause: err })
  }
  if (!existsSync(path)) throw new ChainError('Unavailable', `the dev chain's binary is missing from ${pkg} (run npm ci)`)
  return path
}
