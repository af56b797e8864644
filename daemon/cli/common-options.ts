// Turning the options every command takes into the node's config.
import { loadConfig } from '../config/load.ts'
import type { LoadedConfig } from '../config/load.ts'
import type { ConfigFlags } from '../config/sources.ts'
import type { OptionValues } from './usage.ts'

function text(values: OptionValues, name: string): string | undefined {
  const value = values[name]
  return typeof value === 'string' ? value : undefined
}

function list(values: OptionValues, name: string): string[] | undefined {
  const value = values[name]
  return Array.isArray(value) ? value : undefined
}

export function configFlags(values: OptionValues): ConfigFlags {
  return {
    config: text(values, 'config'),
    dataDir: text(values, 'data-dir'),
    apiAddr: text(values, 'api-addr'),
    listen: list(values, 'listen'),
    bootstrap: list(values, 'bootstrap'),
    announce: list(values, 'announce'),
    logLevel: text(values, 'log-level'),
    provider: values.provider === true ? true : undefined,
    relay: values.relay === true ? true : undefined,
    upnp: values.upnp === true ? true : undefined
  }
}

export async function configFrom(values: OptionValues): Promise<LoadedConfig> {
  return await loadConfig({ flags: configFlags(values) })
}
