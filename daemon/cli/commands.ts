// Every command the CLI knows, as data: words, arguments, summary, options,
// and how to import its implementation when it is the one that runs.
import { DATA_OPTIONS, JSON_OPTION, SERVICE_OPTIONS } from './options.ts'
import type { Command } from './usage.ts'

export const COMMANDS: Command[] = [
  {
    words: ['service', 'run'],
    args: [],
    summary: 'Runs the daemon until SIGINT or SIGTERM (a second signal exits at once). Logs JSON lines on stdout.',
    options: SERVICE_OPTIONS,
    load: async () => (await import('./service-commands.ts')).runService
  },
  {
    words: ['app-key', 'create'],
    args: ['<name>'],
    summary: 'Creates an app-key for the REST API and prints it. The key is shown only this once.',
    options: { ...DATA_OPTIONS, ...JSON_OPTION },
    load: async () => (await import('./app-key-commands.ts')).createAppKey
  },
  {
    words: ['app-key', 'list'],
    args: [],
    summary: 'Lists the app-keys: names, ids and creation times (never the keys).',
    options: { ...DATA_OPTIONS, ...JSON_OPTION },
    load: async () => (await import('./app-key-commands.ts')).listAppKeys
  },
  {
    words: ['app-key', 'drop'],
    args: ['<name>'],
    summary: 'Removes an app-key, by name or id. Clients using it are refused from then on.',
    options: { ...DATA_OPTIONS },
    load: async () => (await import('./app-key-commands.ts')).dropAppKey
  },
  {
    words: ['id', 'show'],
    args: [],
    summary: 'Shows the node id and peer id, creating the node key on first use. While the daemon runs, also its API and listen addresses.',
    options: { ...DATA_OPTIONS, ...JSON_OPTION },
    load: async () => (await import('./id-commands.ts')).showId
  }
]
