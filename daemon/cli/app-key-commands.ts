import { DATA_OPTIONS, JSON_OPTION } from './common-options.ts'
import { withNode } from './open-node.ts'
import type { Command } from './usage.ts'

export const appKeyCommands: Command[] = [
  {
    words: ['app-key', 'create'],
    args: ['<name>'],
    summary: 'Creates an app-key for the REST API and prints it. The key is shown only this once.',
    options: { ...DATA_OPTIONS, ...JSON_OPTION },
    async run ({ values, positionals }) {
      const created = await withNode(values, async node => await node.createAppKey(positionals[0] ?? ''))
      process.stdout.write(values.json === true ? `${JSON.stringify(created)}\n` : `${created.key}\n`)
      return 0
    }
  },
  {
    words: ['app-key', 'list'],
    args: [],
    summary: 'Lists the app-keys: names, ids and creation times (never the keys).',
    options: { ...DATA_OPTIONS, ...JSON_OPTION },
    async run ({ values }) {
      const keys = await withNode(values, async node => await node.listAppKeys())
      if (values.json === true) {
        process.stdout.write(`${JSON.stringify(keys)}\n`)
      } else if (keys.length === 0) {
        process.stdout.write('no app-keys\n')
      } else {
        const width = Math.max(4, ...keys.map(key => key.name.length)) + 2
        const rows = keys.map(key => `${key.name.padEnd(width)}${key.id}  ${key.createdAt}`)
        process.stdout.write([`${'NAME'.padEnd(width)}${'ID'.padEnd(18)}CREATED`, ...rows].join('\n') + '\n')
      }
      return 0
    }
  },
  {
    words: ['app-key', 'drop'],
    args: ['<name>'],
    summary: 'Removes an app-key, by name or id. Clients using it are refused from then on.',
    options: { ...DATA_OPTIONS },
    async run ({ values, positionals }) {
      const dropped = await withNode(values, async node => await node.dropAppKey(positionals[0] ?? ''))
      process.stdout.write(`dropped app-key ${dropped.name} (${dropped.id})\n`)
      return 0
    }
  }
]
