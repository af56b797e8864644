// The config's module sections, checked before the node starts anything: each
// by the module it belongs to, and a section no module owns (a typo) refused.
import { SchemaError } from '../../net/kernel.ts'
import { ConfigError } from '../config/errors.ts'
import type { DaemonConfig } from '../config/schema.ts'
import type { DaemonModule } from './module.ts'

/** Throws a ConfigError naming the section and field of the first bad value. */
export function checkModuleSections(config: DaemonConfig, modules: readonly DaemonModule[]): void {
  for (const [name, section] of Object.entries(config.modules)) {
    const owner = modules.find(module => module.name === name)
    if (owner === undefined) {
      const known = modules.map(module => module.name).join(', ')
      throw new ConfigError(`config modules.${name}: no such module (known: ${known === '' ? 'none' : known})`)
    }
    try {
      owner.config?.parse(section)
    } catch (err) {
      if (err instanceof SchemaError) throw new ConfigError(err.message)
      throw err
    }
  }
}
