// Options every command takes: where the node's data and config are.
import { loadConfig } from '../config/load.ts'
import type { LoadedConfig } from '../config/load.ts'
import type { ConfigFlags } from '../config/sources.ts'
import type { OptionSpec, OptionValues } from './usage.ts'

export const DATA_OPTIONS: Record<string, OptionSpec> = {
  'data-dir': { type: 'string', value: 'DIR', description: 'data dir (default $AGORA_DATA_DIR or ~/.local/share/agora)' },
  config: { type: 'string', value: 'FILE', description: 'config file (default <data dir>/config.json)' }
}

export const JSON_OPTION: Record<string, OptionSpec> = {
  json: { type: 'boolean', description: 'print JSON' }
}

function text (values: OptionValues, name: string): string | undefined {
  const value = values[name]
  return typeof value === 'string' ? value : undefined
}

function list (values: OptionValues, name: string): string[] | undefined {
  const value = values[name]
  return Array.isArray(value) ? value : undefined
}

export function configFlags (values: OptionValues): ConfigFlags {
  return {
    config: text(values, 'config'),
    dataDir: text(values, 'data-dir'),
    apiAddr: text(values, 'api-addr'),
    listen: list(values, 'listen'),
    bootstrap: list(values, 'bootstrap'),
    logLevel: text(values, 'log-level')
  }
}

export async function configFrom (values: OptionValues): Promise<LoadedConfig> {
  return await loadConfig({ flags: configFlags(values) })
}
