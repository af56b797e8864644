// The schema checks of a config, loaded only when there is a config file to
// check: flags and environment have parsers of their own, and a command that
// reads no file starts without loading the schema library.
import { SchemaError, validator } from '../../net/schema/index.ts'
import { ConfigError } from './errors.ts'
import { ConfigLayerSchema, DaemonConfigSchema } from './schema.ts'
import type { ConfigLayer, DaemonConfig } from './schema.ts'

const layer = validator(ConfigLayerSchema, 'config')
const full = validator(DaemonConfigSchema, 'config')

function asConfigError<T>(parse: () => T): T {
  try {
    return parse()
  } catch (err) {
    if (err instanceof SchemaError) throw new ConfigError(err.message)
    throw err
  }
}

/** What a config file says, checked; `source` names the file in errors. */
export function checkLayer(value: unknown, source: string): ConfigLayer {
  return asConfigError(() => layer.parse(value, source))
}

/** The resolved config, checked as a whole. */
export function checkConfig(config: DaemonConfig): DaemonConfig {
  return asConfigError(() => full.parse(config))
}
