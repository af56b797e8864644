// The three sources of config, each turned into a validated ConfigLayer whose
// errors name where the bad value came from.
import { readFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { checkAppKeyText } from '../app-keys/format.ts'
import { ConfigError } from './errors.ts'
import type { ConfigLayer, DaemonSecrets } from './schema.ts'
import { checkMultiaddrs, parseHostPort, parseKeystoreCost, parseList, parseLogLevel } from './values.ts'

/** The CLI flags that carry config (as `node:util` parseArgs returns them). */
export interface ConfigFlags {
  config?: string | undefined
  dataDir?: string | undefined
  apiAddr?: string | undefined
  listen?: string[] | undefined
  bootstrap?: string[] | undefined
  announce?: string[] | undefined
  logLevel?: string | undefined
  /** `--provider`: the node offers (modules.provider.offer). */
  provider?: boolean | undefined
  /** `--relay`: the node relays for nodes behind NATs (net.relay). */
  relay?: boolean | undefined
  /** `--upnp`: the node asks its router for a port mapping (net.upnp). */
  upnp?: boolean | undefined
}

export function layerFromFlags(flags: ConfigFlags, cwd: string): ConfigLayer {
  const result: ConfigLayer = {}
  if (flags.dataDir !== undefined) {
    if (flags.dataDir.trim() === '') throw new ConfigError('--data-dir: must not be empty')
    result.dataDir = resolve(cwd, flags.dataDir)
  }
  if (flags.apiAddr !== undefined) result.api = parseHostPort(flags.apiAddr, '--api-addr')
  if (flags.listen !== undefined || flags.bootstrap !== undefined || flags.announce !== undefined || flags.relay === true || flags.upnp === true) {
    result.net = {}
    if (flags.listen !== undefined) {
      checkMultiaddrs(flags.listen, '--listen')
      result.net.listen = flags.listen
    }
    if (flags.bootstrap !== undefined) {
      checkMultiaddrs(flags.bootstrap, '--bootstrap')
      result.net.bootstrap = flags.bootstrap
    }
    if (flags.announce !== undefined) {
      checkMultiaddrs(flags.announce, '--announce')
      result.net.announce = flags.announce
    }
    if (flags.relay === true) result.net.relay = true
    if (flags.upnp === true) result.net.upnp = true
  }
  if (flags.logLevel !== undefined) result.log = { level: parseLogLevel(flags.logLevel, '--log-level') }
  if (flags.provider === true) result.modules = { provider: { offer: true } }
  return result
}

/** Unset and empty variables count as absent. */
function read(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]
  return value === undefined || value === '' ? undefined : value
}

export function layerFromEnv(env: NodeJS.ProcessEnv, cwd: string): ConfigLayer {
  const result: ConfigLayer = {}
  const dataDir = read(env, 'AGORA_DATA_DIR')
  if (dataDir !== undefined) result.dataDir = resolve(cwd, dataDir)
  const apiAddr = read(env, 'AGORA_API_ADDR')
  if (apiAddr !== undefined) result.api = parseHostPort(apiAddr, 'AGORA_API_ADDR')
  const listen = read(env, 'AGORA_LISTEN')
  const bootstrap = read(env, 'AGORA_BOOTSTRAP')
  if (listen !== undefined || bootstrap !== undefined) {
    result.net = {}
    if (listen !== undefined) {
      result.net.listen = parseList(listen)
      checkMultiaddrs(result.net.listen, 'AGORA_LISTEN')
    }
    if (bootstrap !== undefined) {
      result.net.bootstrap = parseList(bootstrap)
      checkMultiaddrs(result.net.bootstrap, 'AGORA_BOOTSTRAP')
    }
  }
  const level = read(env, 'AGORA_LOG')
  if (level !== undefined) result.log = { level: parseLogLevel(level, 'AGORA_LOG') }
  const cost = read(env, 'AGORA_KEYSTORE_COST')
  if (cost !== undefined) result.keystore = { cost: parseKeystoreCost(cost, 'AGORA_KEYSTORE_COST') }
  return result
}

export function secretsFromEnv(env: NodeJS.ProcessEnv): DaemonSecrets {
  const autoAppKey = read(env, 'AGORA_APPKEY') ?? null
  if (autoAppKey !== null) {
    const problem = checkAppKeyText(autoAppKey)
    if (problem !== null) throw new ConfigError(`AGORA_APPKEY: ${problem}`)
  }
  return { keyPassphrase: env.AGORA_KEY_PASSPHRASE ?? '', autoAppKey }
}

/**
 * Reads a JSON config file. A missing file is an error only when it was asked
 * for by name; relative paths in it are relative to the file.
 */
export async function layerFromFile(path: string, required: boolean): Promise<ConfigLayer | null> {
  const source = `config file ${path}`
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' && !required) return null
    throw new ConfigError(`${source}: cannot read (${code ?? (err as Error).message})`)
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw new ConfigError(`${source}: not valid JSON (${(err as Error).message})`)
  }
  const { checkLayer } = await import('./check.ts')
  const result = checkLayer(value, source)
  if (result.net?.listen !== undefined) checkMultiaddrs(result.net.listen, `${source} at /net/listen`)
  if (result.net?.bootstrap !== undefined) checkMultiaddrs(result.net.bootstrap, `${source} at /net/bootstrap`)
  if (result.net?.announce !== undefined) checkMultiaddrs(result.net.announce, `${source} at /net/announce`)
  if (result.dataDir !== undefined) result.dataDir = resolve(dirname(path), result.dataDir)
  return result
}
