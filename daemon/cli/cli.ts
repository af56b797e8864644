// The `agora` command line: finds the command its words name and runs it.
// Exit codes: 0 done, 1 failed, 2 bad usage or bad config. Help and usage
// errors load nothing but this and the command table; a command's own code is
// imported only when it runs.
import pkg from '../../package.json' with { type: 'json' }
import { ConfigError } from '../config/errors.ts'
import { COMMANDS } from './commands.ts'
import { commandHelp, parseCommandLine, UsageError } from './usage.ts'

export { COMMANDS }

export const ENVIRONMENT = `Environment:
  AGORA_DATA_DIR        data dir
  AGORA_API_ADDR        REST API address, host:port
  AGORA_LISTEN          libp2p listen addresses, comma separated
  AGORA_BOOTSTRAP       bootstrap peers, comma separated
  AGORA_KEY_PASSPHRASE  passphrase of the node keystore
  AGORA_KEYSTORE_COST   scrypt cost of a new keystore: standard or light
  AGORA_APPKEY          an app-key to create at start if absent
  AGORA_LOG             log level
`

export function mainHelp(): string {
  const rows = COMMANDS.map(command => [[...command.words, ...command.args].join(' '), command.summary.split('. ')[0] ?? ''] as const)
  const width = Math.max(...rows.map(([usage]) => usage.length)) + 2
  return [
    'Usage: agora <command> [options]',
    '',
    'Agora: a peer-to-peer compute marketplace node.',
    '',
    'Commands:',
    ...rows.map(([usage, summary]) => `  ${usage.padEnd(width)}${summary.replace(/\.$/, '')}`),
    '',
    "Run 'agora <command> --help' for a command's options.",
    '',
    ENVIRONMENT
  ].join('\n')
}

/** The commands under `group` (e.g. ['provider'] or ['provider', 'settings']). */
function groupHelp(group: readonly string[]): string {
  const commands = COMMANDS.filter(command => group.every((word, i) => command.words[i] === word))
  const next = [...new Set(commands.map(command => command.words[group.length]))]
  return (
    `Usage: agora ${group.join(' ')} <${next.join('|')}> [options]\n\n` +
    commands.map(command => `  agora ${[...command.words, ...command.args].join(' ')}\n      ${command.summary}`).join('\n') +
    '\n'
  )
}

/** Runs the command line; resolves with the exit code. */
export async function runCli(argv: string[]): Promise<number> {
  try {
    return await dispatch(argv)
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`agora: ${err.message}\nRun 'agora --help' for usage.\n`)
      return 2
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`agora: bad config: ${err.message}\n`)
      return 2
    }
    process.stderr.write(`agora: ${(err as Error).message}\n`)
    return 1
  }
}

async function dispatch(argv: string[]): Promise<number> {
  const [first] = argv
  if (first === undefined) {
    process.stderr.write(mainHelp())
    return 2
  }
  if (first === '--help' || first === '-h' || first === 'help') {
    process.stdout.write(mainHelp())
    return 0
  }
  if (first === '--version') {
    process.stdout.write(`agora ${pkg.version}\n`)
    return 0
  }
  if (!COMMANDS.some(command => command.words[0] === first)) {
    throw new UsageError(first.startsWith('-') ? `unknown option ${first}` : `unknown command ${JSON.stringify(first)}`)
  }
  // Commands have one to three words ('run', 'provider settings show'): the group is the longest prefix some command shares.
  const command = COMMANDS.find(candidate => candidate.words.every((word, i) => argv[i] === word))
  if (command === undefined) {
    let group = [first]
    while (
      COMMANDS.some(candidate => candidate.words.length > group.length + 1 && [...group, argv[group.length]].every((word, i) => candidate.words[i] === word))
    ) {
      group = [...group, argv[group.length] as string]
    }
    const next = argv[group.length]
    if (next === undefined || next === '--help' || next === '-h') {
      const help = groupHelp(group)
      if (next === undefined) {
        process.stderr.write(help)
        return 2
      }
      process.stdout.write(help)
      return 0
    }
    throw new UsageError(`unknown command ${JSON.stringify(`${group.join(' ')} ${next}`)}`)
  }
  const input = parseCommandLine(command, argv.slice(command.words.length))
  if (input === 'help') {
    process.stdout.write(commandHelp(command))
    return 0
  }
  const run = await command.load()
  return await run(input)
}
