// Resolves the daemon config: defaults < config file < environment < flags.
import { join, resolve } from 'node:path'
import { defaultConfig } from './defaults.ts'
import type { ConfigLayer, DaemonConfig, DaemonSecrets } from './schema.ts'
import { layerFromEnv, layerFromFile, layerFromFlags, secretsFromEnv } from './sources.ts'
import type { ConfigFlags } from './sources.ts'

export interface LoadConfigOptions {
  flags?: ConfigFlags
  env?: NodeJS.ProcessEnv
  cwd?: string
}

export interface LoadedConfig {
  config: DaemonConfig
  secrets: DaemonSecrets
  /** The config file that was read, if any. */
  configFile: string | null
}

/** Throws a ConfigError naming the source and field of the first bad value. */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const env = options.env ?? process.env
  const cwd = options.cwd ?? process.cwd()
  const flags = options.flags ?? {}
  const fromFlags = layerFromFlags(flags, cwd)
  const fromEnv = layerFromEnv(env, cwd)
  const secrets = secretsFromEnv(env)
  const defaults = defaultConfig(env)
  // The file lives in the data dir unless named; the data dir it lives in
  // therefore comes from the flags, the environment or the default.
  const dataDir = fromFlags.dataDir ?? fromEnv.dataDir ?? defaults.dataDir
  const configFile = flags.config !== undefined ? resolve(cwd, flags.config) : join(dataDir, 'config.json')
  const fromFile = await layerFromFile(configFile, flags.config !== undefined)
  let config = defaults
  for (const layer of [fromFile, fromEnv, fromFlags]) {
    if (layer !== null) config = applyLayer(config, layer)
  }
  if (fromFile === null) return { config, secrets, configFile: null }
  // Each source was checked on its own; this is a second line of defence for
  // what a file brought (flags and environment are valid by construction).
  const { checkConfig } = await import('./check.ts')
  return { config: checkConfig(config), secrets, configFile }
}

export function applyLayer(base: DaemonConfig, layer: ConfigLayer): DaemonConfig {
  const modules = { ...base.modules }
  for (const [name, section] of Object.entries(layer.modules ?? {})) {
    modules[name] = { ...modules[name], ...section }
  }
  return {
    dataDir: layer.dataDir ?? base.dataDir,
    api: {
      host: layer.api?.host ?? base.api.host,
      port: layer.api?.port ?? base.api.port
    },
    net: {
      listen: layer.net?.listen ?? base.net.listen,
      bootstrap: layer.net?.bootstrap ?? base.net.bootstrap,
      announce: layer.net?.announce ?? base.net.announce,
      relay: layer.net?.relay ?? base.net.relay,
      upnp: layer.net?.upnp ?? base.net.upnp,
      webrtc: layer.net?.webrtc ?? base.net.webrtc
    },
    keystore: { cost: layer.keystore?.cost ?? base.keystore.cost },
    log: { level: layer.log?.level ?? base.log.level },
    modules
  }
}
